import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  aslToMermaid,
  diagramSection,
  loadStateMachines,
  sectionName,
  staleDiagrams,
} from '../../scripts/asl-diagrams.js';
import { readSection } from '../../scripts/doc-sections.js';

/**
 * The state machine diagrams in docs/architecture.md are generated from the ASL files; these tests
 * fail when a file changed and `npm run docs:diagrams` was not run, and check that the generator
 * draws every state and every transition.
 */

const DOC = readFileSync('docs/architecture.md', 'utf8');
const machines = loadStateMachines();

interface Transition {
  from: string;
  to: string;
}

/** Every transition of a definition, with nested Map states flattened to `Map__State` ids. */
function transitions(definition: AslDefinition, prefix = ''): Transition[] {
  const id = (name: string) => (prefix ? `${prefix}__${name}` : name);
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const targets = [
      state.Next,
      state.Default,
      ...(state.Choices ?? []).map((c) => c.Next),
      ...(state.Catch ?? []).map((c) => c.Next),
    ].filter((t): t is string => t !== undefined);
    const nested = state.ItemProcessor ?? state.Iterator;
    return [
      ...targets.map((to) => ({ from: id(name), to: id(to) })),
      ...(nested ? transitions(nested, id(name)) : []),
    ];
  });
}

function stateIds(definition: AslDefinition, prefix = ''): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const id = prefix ? `${prefix}__${name}` : name;
    const nested = state.ItemProcessor ?? state.Iterator;
    return [id, ...(nested ? stateIds(nested, id) : [])];
  });
}

describe('docs/architecture.md', () => {
  it('has an up-to-date diagram for every state machine (npm run docs:diagrams when this fails)', () => {
    expect(machines.size).toBeGreaterThanOrEqual(4);
    for (const [machine, definition] of machines) {
      expect(readSection(DOC, sectionName(machine)), machine).toBe(diagramSection(definition));
    }
    const sections = [...DOC.matchAll(/<!-- BEGIN generated:asl-([a-z-]+)/g)].map((m) => m[1]);
    expect(sections.sort()).toEqual([...machines.keys()].sort());
  });

  it.each([...machines])('draws every state and transition of %s', (_, definition) => {
    const mermaid = aslToMermaid(definition);
    expect(mermaid.startsWith('flowchart TD\n  start((start)) --> ')).toBe(true);
    const defined = new Set(
      [...mermaid.matchAll(/^\s*(?:subgraph )?([A-Za-z0-9_]+)(?:\[|\(|\{)/gm)].map((m) => m[1]),
    );
    for (const id of stateIds(definition)) expect(defined, id).toContain(id);
    const edges = new Set(
      [
        ...mermaid.matchAll(/^\s*([A-Za-z0-9_]+) (?:-->|-- "[^"]*" -->|-\. "[^"]*" \.->) ([A-Za-z0-9_]+)/gm),
      ].map((m) => `${m[1]} -> ${m[2]}`),
    );
    for (const t of transitions(definition))
      expect(edges, `${t.from} -> ${t.to}`).toContain(`${t.from} -> ${t.to}`);
  });

  it('draws a machine that starts itself again (continue-as-new) and flags diagrams of removed machines', () => {
    const again: AslDefinition = {
      StartAt: 'Again',
      States: {
        Again: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution.sync:2',
          Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id' },
          End: true,
        },
      },
    };
    expect(aslToMermaid(again)).toContain(
      '  Again[["Again<br/>▶ itself (a new execution), waits for it"]]\n',
    );
    expect(staleDiagrams(DOC, machines)).toEqual([]);
    const removed = `${DOC}\n<!-- BEGIN generated:asl-gone (x) -->\n<!-- END generated:asl-gone -->\n`;
    expect(staleDiagrams(removed, machines)).toEqual(['gone (no statemachines/gone.asl.json)']);
  });

  it('the script checks the doc the same way', async () => {
    const { stderr } = await promisify(execFile)('npx', [
      '--no-install',
      'tsx',
      'scripts/asl-diagrams.ts',
      '--check',
    ]);
    expect(stderr).toContain(`${machines.size} diagrams up to date`);
  });
});
