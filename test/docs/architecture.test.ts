import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
 * draws every state and every transition. The hand-written table of "Where each behaviour lives" is
 * checked name by name, so a renamed state, file, export or test cannot leave it pointing nowhere.
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

/** The heading of the behaviour table; its rows are read up to the next `## ` heading. */
const BEHAVIOUR_SECTION = '## Where each behaviour lives';
const BEHAVIOUR_ROWS = 10;

/** Every state name of a definition, including those nested in Map and Parallel states. */
function allStateNames(definition: AslDefinition): Set<string> {
  const names = new Set<string>();
  const visit = (d: AslDefinition) => {
    for (const [name, state] of Object.entries(d.States)) {
      names.add(name);
      for (const nested of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])])
        if (nested) visit(nested);
    }
  };
  visit(definition);
  return names;
}

interface Reference {
  path: string;
  /** Backticked names in the parentheses: exports of the module. */
  exports: string[];
  /** “Quoted” names in the parentheses: titles of tests in the file. */
  tests: string[];
}

/**
 * A cell of `path` (`export`, …) or `path` (“test title”, …) entries separated by `;`. Test titles may
 * hold `;` and parentheses, so an entry ends at the first `)` followed by `;` or the end of the cell.
 * Anything else in the cell (a path without backticks, a name without quotes) is an error, not skipped.
 */
function references(cell: string): Reference[] {
  const entry = /\s*`([^`]+)`(?:\s*\((.*?)\))?\s*(?:;|$)/y;
  const refs: Reference[] = [];
  while (entry.lastIndex < cell.length) {
    const at = entry.lastIndex;
    const match = entry.exec(cell);
    if (!match) throw new Error(`cannot read "${cell.slice(at)}": expected \`path\` (names); …`);
    const inner = match[2] ?? '';
    const rest = inner.replace(/`[^`]+`|“[^”]+”/g, '').replace(/[\s,]/g, '');
    if (rest !== '') throw new Error(`cannot read "${inner}": names are \`export\` or “test title”`);
    refs.push({
      path: match[1] ?? '',
      exports: [...inner.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ''),
      tests: [...inner.matchAll(/“([^”]+)”/g)].map((m) => m[1] ?? ''),
    });
  }
  return refs;
}

/** `machine`: `State`, `State`; … → the states named per machine. */
function namedStates(cell: string): { machine: string; states: string[] }[] {
  return cell.split(';').map((segment) => {
    const match = /^\s*`([a-z][a-z0-9-]*)`:\s*(.*)$/.exec(segment);
    if (!match) throw new Error(`cannot read "${segment.trim()}": expected \`machine\`: \`State\`, …`);
    const states = match[2] ?? '';
    if (states.replace(/`[A-Za-z0-9_]+`/g, '').replace(/[\s,]/g, '') !== '')
      throw new Error(`cannot read "${states}": states are \`State\`, \`State\`, …`);
    return { machine: match[1] ?? '', states: [...states.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '') };
  });
}

/** The table's body rows, each split into its cells (no cell holds a `|`). */
function behaviourRows(doc: string): string[][] {
  const start = doc.indexOf(`\n${BEHAVIOUR_SECTION}\n`);
  if (start < 0) return [];
  const end = doc.indexOf('\n## ', start + 1);
  const lines = doc
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) =>
    l
      .slice(1, l.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim()),
  );
}

/** Whether a test file has a test or describe block with exactly this title. */
function hasTestTitled(source: string, title: string): boolean {
  const quoted = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b(?:it|test|describe)(?:\\.\\w+)*\\(\\s*(['"\`])${quoted}\\1`).test(source);
}

/**
 * Everything the behaviour table names that does not exist: states missing from the named state
 * machine, files missing, names the module does not export, tests missing from the named file, and
 * rows or cells that are not in the table's format. Empty when the table is right.
 */
async function behaviourTableProblems(
  doc: string,
  stateMachines: ReadonlyMap<string, AslDefinition>,
): Promise<string[]> {
  const problems: string[] = [];
  const rows = behaviourRows(doc);
  if (rows.length !== BEHAVIOUR_ROWS)
    problems.push(`${BEHAVIOUR_SECTION}: ${rows.length} rows, expected ${BEHAVIOUR_ROWS}`);
  const modules = new Map<string, Promise<string[]>>();
  const exportsOf = (path: string) => {
    const known = modules.get(path);
    if (known) return known;
    const loaded = import(pathToFileURL(resolve(path)).href).then((m: Record<string, unknown>) =>
      Object.keys(m),
    );
    modules.set(path, loaded);
    return loaded;
  };
  const checkCode = async (row: string, cell: string, under: readonly string[], needExports: boolean) => {
    const refs = references(cell);
    if (refs.length === 0) problems.push(`${row}: no file named`);
    for (const ref of refs) {
      if (!under.some((u) => ref.path.startsWith(u)) || !ref.path.endsWith('.ts')) {
        problems.push(`${row}: ${ref.path} is not a .ts file under ${under.join(' or ')}`);
      } else if (!existsSync(ref.path)) {
        problems.push(`${row}: ${ref.path} does not exist`);
        continue;
      }
      if (ref.tests.length > 0) problems.push(`${row}: ${ref.path} names tests, expected exports`);
      if (needExports && ref.exports.length === 0) problems.push(`${row}: ${ref.path} names no export`);
      if (ref.exports.length === 0 || !existsSync(ref.path)) continue;
      const exported = await exportsOf(ref.path);
      for (const name of ref.exports)
        if (!exported.includes(name)) problems.push(`${row}: ${ref.path} does not export ${name}`);
    }
  };
  for (const cells of rows) {
    const [behaviour = '', states = '', functions = '', sql = '', tests = '', ...extra] = cells;
    const row = `row "${behaviour.slice(0, 50)}"`;
    if (behaviour === '' || extra.length > 0 || cells.length !== 5) {
      problems.push(`${row}: expected 5 cells, found ${cells.length}`);
      continue;
    }
    try {
      for (const { machine, states: names } of namedStates(states)) {
        const definition = stateMachines.get(machine);
        if (!definition) {
          problems.push(`${row}: no state machine ${machine} (statemachines/${machine}.asl.json)`);
          continue;
        }
        if (names.length === 0) problems.push(`${row}: no state of ${machine} named`);
        const defined = allStateNames(definition);
        for (const name of names)
          if (!defined.has(name)) problems.push(`${row}: ${machine} has no state ${name}`);
      }
      await checkCode(row, functions, ['functions/', 'shared/'], false);
      if (sql !== 'none') await checkCode(row, sql, ['shared/sql/'], true);
      const testRefs = references(tests);
      if (testRefs.length === 0) problems.push(`${row}: no test named`);
      for (const ref of testRefs) {
        if (!/^test\/.+\.test\.ts$/.test(ref.path)) {
          problems.push(`${row}: ${ref.path} is not a test file (test/**/*.test.ts)`);
          continue;
        }
        if (!existsSync(ref.path)) {
          problems.push(`${row}: ${ref.path} does not exist`);
          continue;
        }
        if (ref.exports.length > 0) problems.push(`${row}: ${ref.path} names exports, expected tests`);
        const source = readFileSync(ref.path, 'utf8');
        for (const title of ref.tests)
          if (!hasTestTitled(source, title)) problems.push(`${row}: ${ref.path} has no test "${title}"`);
      }
    } catch (error) {
      problems.push(`${row}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
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

  it('the behaviour table names only states, files, exports and tests that exist', async () => {
    expect(await behaviourTableProblems(DOC, machines)).toEqual([]);
  });

  it('the behaviour table check finds a renamed state, file, export or test', async () => {
    const rows = behaviourRows(DOC);
    const first = rows[0];
    expect(first, 'the table has rows').toBeDefined();
    const line = DOC.split('\n').find((l) => l.startsWith(`| ${first?.[0] ?? ''} |`)) ?? '';
    const broken = (from: string, to: string) => {
      expect(line, from).toContain(from);
      return DOC.replace(line, line.replace(from, to));
    };
    const problems = async (doc: string) => (await behaviourTableProblems(doc, machines)).join('\n');
    expect(await problems(broken('`DispatchBuilds`', '`DispatchBuild`'))).toContain(
      'curated-refresh has no state DispatchBuild',
    );
    expect(await problems(broken('`curated-refresh`:', '`curated-refreshes`:'))).toContain(
      'no state machine curated-refreshes',
    );
    expect(await problems(broken('`shared/refresh/gating.ts`', '`shared/refresh/gate.ts`'))).toContain(
      'shared/refresh/gate.ts does not exist',
    );
    expect(await problems(broken('`insertFailureSql`', '`insertFailuresSql`'))).toContain(
      'shared/sql/run-log.ts does not export insertFailuresSql',
    );
    expect(await problems(broken('“a failure mid-DAG skips', '“a failure mid-DAG drops'))).toContain(
      'test/statemachines/dispatch-dag.test.ts has no test "a failure mid-DAG drops',
    );
    expect(await problems(DOC.replace(line, ''))).toContain(
      `${rows.length - 1} rows, expected ${BEHAVIOUR_ROWS}`,
    );
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
