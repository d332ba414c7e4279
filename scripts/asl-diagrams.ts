import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mermaidText } from '../cli/render/mermaid.js';
import { isMain, readSection, replaceSection } from './doc-sections.js';

/**
 * Mermaid diagrams of the state machines, generated from statemachines/*.asl.json so that the
 * pictures in docs/architecture.md cannot drift from what is deployed (a test compares them).
 *
 *   npx tsx scripts/asl-diagrams.ts           rewrite the diagrams in docs/architecture.md
 *   npx tsx scripts/asl-diagrams.ts --check   exit 1 when they are stale
 *
 * Shapes: rectangle = Lambda task, subroutine = child state machine (or the machine itself, started
 * again as a new execution), parallelogram = Wait, rhombus = Choice, subgraph = Map; ✓ / ✗ mark
 * Succeed / Fail. Solid arrows are Next/Choice transitions, dotted arrows are Catch transitions
 * labelled with the caught errors.
 */

interface ChoiceRule {
  Variable?: string;
  Next?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  [comparison: string]: unknown;
}

interface AslState {
  Type: string;
  Comment?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: ChoiceRule[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  ItemsPath?: string;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Branches?: AslDefinition[];
  Error?: string;
}

export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

export const DOC_PATH = 'docs/architecture.md';
export const STATE_MACHINE_DIR = 'statemachines';

const OPERATORS: Record<string, string> = {
  StringEquals: '=',
  StringEqualsPath: '=',
  NumericEquals: '=',
  NumericEqualsPath: '=',
  BooleanEquals: '=',
  BooleanEqualsPath: '=',
  TimestampEquals: '=',
  StringLessThan: '<',
  NumericLessThan: '<',
  TimestampLessThan: '<',
  StringGreaterThan: '>',
  NumericGreaterThan: '>',
  TimestampGreaterThan: '>',
  StringLessThanEquals: '≤',
  NumericLessThanEquals: '≤',
  TimestampLessThanEquals: '≤',
  StringGreaterThanEquals: '≥',
  NumericGreaterThanEquals: '≥',
  TimestampGreaterThanEquals: '≥',
  StringMatches: 'matches',
};

/** Ids Mermaid would read as keywords. */
const RESERVED = new Set(['end', 'graph', 'flowchart', 'subgraph', 'style', 'class', 'classdef', 'click']);

function condition(rule: ChoiceRule): string {
  if (rule.And) return rule.And.map(condition).join(' and ');
  if (rule.Or) return rule.Or.map(condition).join(' or ');
  if (rule.Not) return `not (${condition(rule.Not)})`;
  const variable = rule.Variable ?? '?';
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'IsNull' || key === 'IsPresent') {
      const what = key === 'IsNull' ? 'null' : 'present';
      return `${variable} is ${value === true ? '' : 'not '}${what}`;
    }
    const op = OPERATORS[key];
    if (op) return `${variable} ${op} ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  }
  return variable;
}

/** `{ "Fn::GetAtt": ["PlanRefreshLambdaFunction", "Arn"] }` → `planRefresh`. */
function lambdaName(parameters: Record<string, unknown> | undefined): string | undefined {
  const fn = parameters?.FunctionName;
  if (typeof fn !== 'object' || fn === null || !('Fn::GetAtt' in fn)) return undefined;
  const att = (fn as { 'Fn::GetAtt': unknown })['Fn::GetAtt'];
  const id = Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined;
  if (!id) return undefined;
  const name = id.replace(/LambdaFunction$/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** What `$$.StateMachine.Id` names: the state machine the state belongs to. */
export const SELF_START = 'itself (a new execution)';

/**
 * The state machine a startExecution Task starts: `{ "Ref": "ResyncRecoveryStateMachine" }` →
 * `resync-recovery`; `"StateMachineArn.$": "$$.StateMachine.Id"` (a machine continuing as a new
 * execution of itself) → SELF_START; any other path → that path.
 */
function machineName(parameters: Record<string, unknown> | undefined): string | undefined {
  const path = parameters?.['StateMachineArn.$'];
  if (path === '$$.StateMachine.Id') return SELF_START;
  if (typeof path === 'string') return `the machine at ${path}`;
  const arn = parameters?.StateMachineArn;
  if (typeof arn !== 'object' || arn === null || !('Ref' in arn)) return undefined;
  const ref = (arn as { Ref: unknown }).Ref;
  if (typeof ref !== 'string') return undefined;
  return ref
    .replace(/StateMachine$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

function taskLine(state: AslState): string {
  const resource = state.Resource ?? '';
  const fn = lambdaName(state.Parameters);
  if (resource.endsWith(':lambda:invoke') && fn) return `λ ${fn}`;
  const machine = machineName(state.Parameters);
  if (machine && resource.includes(':states:startExecution')) {
    return resource.includes('.sync') ? `▶ ${machine}, waits for it` : `▶ ${machine}, does not wait`;
  }
  return resource;
}

function waitLine(state: AslState): string {
  if (state.Seconds !== undefined) return `wait ${state.Seconds} s`;
  return `wait ${state.SecondsPath ?? state.TimestampPath ?? state.Timestamp ?? '?'}`;
}

function mapLine(state: AslState): string {
  const concurrency = state.MaxConcurrencyPath
    ? `at most ${state.MaxConcurrencyPath} at once`
    : state.MaxConcurrency === 1
      ? 'one at a time'
      : state.MaxConcurrency
        ? `at most ${state.MaxConcurrency} at once`
        : 'all at once';
  return `over ${state.ItemsPath ?? '$'}, ${concurrency}`;
}

const label = (...lines: string[]) => `"${lines.map(mermaidText).join('<br/>')}"`;

class Renderer {
  readonly lines: string[] = [];
  readonly classes = new Map<string, string[]>();

  private addClass(name: string, id: string) {
    this.classes.set(name, [...(this.classes.get(name) ?? []), id]);
  }

  id(prefix: string, name: string): string {
    const base = name.replace(/[^A-Za-z0-9_]/g, '_');
    const id = prefix ? `${prefix}__${base}` : base;
    return RESERVED.has(id.toLowerCase()) ? `${id}_` : id;
  }

  /** Declares the states of a definition (nested Maps become subgraphs), then their transitions. */
  definition(definition: AslDefinition, prefix: string, indent: string): void {
    const states = Object.entries(definition.States);
    for (const [name, state] of states) this.node(name, state, prefix, indent);
    for (const [name, state] of states) this.edges(name, state, prefix, indent);
  }

  private node(name: string, state: AslState, prefix: string, indent: string): void {
    const id = this.id(prefix, name);
    switch (state.Type) {
      case 'Task': {
        const line = taskLine(state);
        const child = line.startsWith('▶');
        this.lines.push(`${indent}${id}${child ? '[[' : '['}${label(name, line)}${child ? ']]' : ']'}`);
        return;
      }
      case 'Wait':
        this.lines.push(`${indent}${id}[/${label(name, waitLine(state))}/]`);
        this.addClass('wait', id);
        return;
      case 'Choice':
        this.lines.push(`${indent}${id}{${label(name)}}`);
        this.addClass('choice', id);
        return;
      case 'Succeed':
        this.lines.push(`${indent}${id}([${label(`✓ ${name}`)}])`);
        this.addClass('succeed', id);
        return;
      case 'Fail':
        this.lines.push(`${indent}${id}([${label(`✗ ${name}`, state.Error ?? 'failed')}])`);
        this.addClass('fail', id);
        return;
      case 'Map': {
        const processor = state.ItemProcessor ?? state.Iterator;
        this.lines.push(`${indent}subgraph ${id}[${label(`${name}: Map ${mapLine(state)}`)}]`);
        if (processor) this.definition(processor, id, `${indent}  `);
        this.lines.push(`${indent}end`);
        this.addClass('map', id);
        return;
      }
      case 'Parallel': {
        this.lines.push(`${indent}subgraph ${id}[${label(`${name}: Parallel`)}]`);
        for (const [i, branch] of (state.Branches ?? []).entries()) {
          this.definition(branch, `${id}__b${i}`, `${indent}  `);
        }
        this.lines.push(`${indent}end`);
        return;
      }
      default:
        this.lines.push(`${indent}${id}[${label(name, state.Type)}]`);
    }
  }

  private edges(name: string, state: AslState, prefix: string, indent: string): void {
    const from = this.id(prefix, name);
    const to = (target: string) => this.id(prefix, target);
    if (state.Next) this.lines.push(`${indent}${from} --> ${to(state.Next)}`);
    if (state.End && !prefix) this.lines.push(`${indent}${from} --> stop((end))`);
    for (const choice of state.Choices ?? []) {
      if (choice.Next)
        this.lines.push(`${indent}${from} -- ${label(condition(choice))} --> ${to(choice.Next)}`);
    }
    if (state.Default) this.lines.push(`${indent}${from} -- "otherwise" --> ${to(state.Default)}`);
    for (const caught of state.Catch ?? []) {
      this.lines.push(`${indent}${from} -. ${label(caught.ErrorEquals.join(', '))} .-> ${to(caught.Next)}`);
    }
  }
}

const CLASS_STYLES: Record<string, string> = {
  wait: 'fill:#fff7e0,stroke:#b7950b',
  choice: 'fill:#eef4fb,stroke:#4a78b5',
  succeed: 'fill:#e3f6e8,stroke:#2e7d32',
  fail: 'fill:#fde2e1,stroke:#c0392b',
  map: 'fill:#fafafa,stroke:#888888',
};

/** One state machine as a Mermaid flowchart (deterministic: states in file order). */
export function aslToMermaid(definition: AslDefinition): string {
  const renderer = new Renderer();
  renderer.lines.push('flowchart TD');
  renderer.lines.push(`  start((start)) --> ${renderer.id('', definition.StartAt)}`);
  renderer.definition(definition, '', '  ');
  for (const [name, style] of Object.entries(CLASS_STYLES)) {
    const members = renderer.classes.get(name);
    if (members) {
      renderer.lines.push(`  classDef ${name} ${style};`);
      renderer.lines.push(`  class ${members.join(',')} ${name};`);
    }
  }
  return `${renderer.lines.join('\n')}\n`;
}

/** State machine name (file name without `.asl.json`) → its definition, sorted by name. */
export function loadStateMachines(root = '.'): Map<string, AslDefinition> {
  const dir = join(root, STATE_MACHINE_DIR);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort();
  return new Map(
    files.map((f): [string, AslDefinition] => [
      f.replace(/\.asl\.json$/, ''),
      JSON.parse(readFileSync(join(dir, f), 'utf8')) as AslDefinition,
    ]),
  );
}

/** The doc section name of a state machine's diagram. */
export const sectionName = (machine: string) => `asl-${machine}`;

/** The body of a diagram's section: the Mermaid block. */
export function diagramSection(definition: AslDefinition): string {
  return `\`\`\`mermaid\n${aslToMermaid(definition)}\`\`\`\n`;
}

/** The architecture doc with every diagram regenerated; throws when a diagram has no section. */
export function updateDoc(doc: string, machines: ReadonlyMap<string, AslDefinition>): string {
  let text = doc;
  for (const [machine, definition] of machines) {
    text = replaceSection(text, sectionName(machine), diagramSection(definition));
  }
  return text;
}

/**
 * Machines whose diagram in the doc is missing or differs from the ASL file, then diagrams of machines
 * that no longer exist (their section, and the text about them, must be removed by hand).
 */
export function staleDiagrams(doc: string, machines: ReadonlyMap<string, AslDefinition>): string[] {
  const stale = [...machines]
    .filter(([machine, definition]) => readSection(doc, sectionName(machine)) !== diagramSection(definition))
    .map(([machine]) => machine);
  const orphans = [...doc.matchAll(/<!-- BEGIN generated:asl-([a-z0-9-]+)/g)]
    .map((m) => m[1] ?? '')
    .filter((machine) => !machines.has(machine))
    .map((machine) => `${machine} (no statemachines/${machine}.asl.json)`);
  return [...stale, ...orphans];
}

if (isMain(import.meta.url)) {
  const machines = loadStateMachines();
  const doc = readFileSync(DOC_PATH, 'utf8');
  if (process.argv.includes('--check')) {
    const stale = staleDiagrams(doc, machines);
    if (stale.length > 0) {
      console.error(
        `stale diagrams in ${DOC_PATH}: ${stale.join(', ')} (run: npm run docs:diagrams; remove the sections of machines that no longer exist by hand)`,
      );
      process.exitCode = 1;
    } else console.error(`${DOC_PATH}: ${machines.size} diagrams up to date`);
  } else {
    const updated = updateDoc(doc, machines);
    writeFileSync(DOC_PATH, updated);
    console.error(
      `${DOC_PATH}: ${machines.size} diagrams ${updated === doc ? 'already up to date' : 'rewritten'}`,
    );
  }
}
