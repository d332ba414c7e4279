import { type AslDefinition, type AslState, allStates } from './definitions.js';
import type { EventLog } from './runner.js';

/**
 * aws-local-stepfunctions logs its own events (StateEntered, StateExited, MapIteration*, …). Step
 * Functions counts history events differently; this is the mapping used to estimate the AWS history
 * size of an execution from a local event log:
 *
 * | local event | AWS history events |
 * |---|---|
 * | ExecutionStarted / ExecutionSucceeded / ExecutionFailed | 1 each |
 * | StateEntered of a lambda:invoke or SDK Task | 3: TaskStateEntered, TaskScheduled, TaskStarted |
 * | StateEntered of a startExecution.sync Task | 4: … plus TaskSubmitted |
 * | StateExited of a Task | 2: TaskSucceeded, TaskStateExited |
 * | StateFailed of a Task | 1: TaskFailed |
 * | StateRetried | 2: TaskScheduled, TaskStarted of the next attempt |
 * | StateCaught | 1: TaskStateExited |
 * | StateEntered / StateExited of a Map | 2 each: MapStateEntered + MapStateStarted, MapStateSucceeded + MapStateExited |
 * | MapIterationStarted / MapIterationSucceeded / MapIterationFailed | 1 each |
 * | StateEntered / StateExited of Wait, Choice, Pass, Succeed | 1 each (…StateEntered, …StateExited) |
 * | StateEntered of Fail | 1 (FailStateEntered; ExecutionFailed follows) |
 */
export const HISTORY_MAPPING_DOC = [
  ['ExecutionStarted / ExecutionSucceeded / ExecutionFailed', '1 each'],
  ['StateEntered of a lambda:invoke or SDK Task', '3: TaskStateEntered, TaskScheduled, TaskStarted'],
  [
    'StateEntered of a startExecution.sync Task',
    '4: TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted',
  ],
  ['StateExited of a Task', '2: TaskSucceeded, TaskStateExited'],
  ['StateFailed of a Task', '1: TaskFailed'],
  ['StateRetried', '2: TaskScheduled, TaskStarted of the next attempt'],
  ['StateCaught', '1: TaskStateExited'],
  [
    'StateEntered / StateExited of a Map',
    '2 each: MapStateEntered + MapStateStarted; MapStateSucceeded + MapStateExited',
  ],
  ['MapIterationStarted / Succeeded / Failed', '1 each'],
  ['StateEntered / StateExited of Wait, Choice, Pass, Succeed', '1 each'],
  ['StateEntered of Fail', '1: FailStateEntered (ExecutionFailed follows)'],
] as const;

export type StateIndex = Map<string, AslState>;

export function stateIndex(definition: AslDefinition): StateIndex {
  return new Map(allStates(definition));
}

function isSyncStart(state: AslState | undefined): boolean {
  return Boolean(state?.Resource?.includes(':states:startExecution') && state.Resource.includes('.sync'));
}

/** AWS history events one local event stands for. */
export function historyWeight(event: EventLog, states: StateIndex): number {
  const name = event.state?.name;
  const def = name === undefined ? undefined : states.get(name);
  const type = event.state?.type ?? def?.Type;
  switch (event.type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
      return 1;
    case 'StateEntered':
      if (type === 'Task') return isSyncStart(def) ? 4 : 3;
      if (type === 'Map' || type === 'Parallel') return 2;
      return 1;
    case 'StateExited':
      if (type === 'Task' || type === 'Map' || type === 'Parallel') return 2;
      return 1;
    case 'StateFailed':
      return 1;
    case 'StateRetried':
      return 2;
    case 'StateCaught':
      return 1;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return 1;
    default:
      return 0;
  }
}

/** UTF-8 bytes of a state input/output as Step Functions measures it (JSON text). */
export function payloadBytes(value: unknown): number {
  if (value === undefined) return 0;
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** The JSON payloads one local event carries: state input, state output, execution input/output. */
export function eventPayloads(event: EventLog): { where: string; bytes: number }[] {
  const out: { where: string; bytes: number }[] = [];
  const name = event.state?.name ?? '';
  if (event.type === 'StateEntered' && event.state?.input !== undefined)
    out.push({ where: `${name} input`, bytes: payloadBytes(event.state.input) });
  if (event.type === 'StateExited' && event.state?.output !== undefined)
    out.push({ where: `${name} output`, bytes: payloadBytes(event.state.output) });
  if (event.type === 'ExecutionStarted' && 'input' in event)
    out.push({ where: 'execution input', bytes: payloadBytes(event.input) });
  if (event.type === 'ExecutionSucceeded' && 'output' in event)
    out.push({ where: 'execution output', bytes: payloadBytes(event.output) });
  return out;
}
