import { type AslDefinition, allStates, loadDefinitions, waitLoop } from '../../local/sfn/definitions.js';
import { historyWeight, stateIndex } from '../../local/sfn/history.js';
import { MAX_FAILURES_PER_TICK } from '../../shared/refresh/build-failure.js';
import { RefreshContext } from '../../shared/refresh/dispatch-state.js';
import {
  HISTORY_EVENTS_PER_TICK,
  MAX_WAIT_SECONDS,
  MIN_LOOK_SECONDS,
  nextLookSeconds,
  TICKS_PER_EXECUTION,
} from '../../shared/refresh/polling.js';

/**
 * The parts of the product's design the figures depend on, read from the product itself (never
 * restated here): the dispatcher loop of curated-refresh and its history cost, when an execution
 * continues as a new one, the bounds of the wait between ticks, the concurrency limit.
 */
export interface RefreshStructure {
  /** State machines the refresh uses (curated-refresh only, since the dispatcher loop). */
  machines: string[];
  /** States of curated-refresh. */
  states: number;
  /** State names of one dispatcher tick (Wait → DispatchBuilds → Choice), read from the ASL. */
  tickCycle: string[];
  /** AWS history events one tick adds, from the ASL and the history mapping (local/sfn/history.ts). */
  historyEventsPerTick: number;
  /** The same figure as the product budgets it (shared/refresh/polling.ts HISTORY_EVENTS_PER_TICK). */
  productHistoryEventsPerTick: number;
  /** Ticks after which an execution continues as a new one (TICKS_PER_EXECUTION). */
  ticksPerExecution: number;
  minLookSeconds: number;
  maxWaitSeconds: number;
  /** Build age (s) at which the wait for a build without history first reaches MAX_WAIT_SECONDS. */
  capReachedAfterSeconds: number;
  /** Failures fenced and recorded per tick (MAX_FAILURES_PER_TICK). */
  maxFailuresPerTick: number;
  /** The largest refresh.maxConcurrency the project schema accepts. */
  maxConcurrencyLimit: number;
}

export function refreshStructure(
  definitions: Record<string, AslDefinition> = loadDefinitions(),
): RefreshStructure {
  const refresh = definitions.CuratedRefreshStateMachine;
  if (!refresh) throw new Error('curated-refresh definition not found');
  const states = new Map(allStates(refresh));
  const cycle = waitLoop(refresh);
  const index = stateIndex(refresh);
  const historyEventsPerTick = cycle.reduce((acc, name) => {
    const type = states.get(name)?.Type ?? '';
    return (
      acc +
      historyWeight({ type: 'StateEntered', state: { name, type } }, index) +
      historyWeight({ type: 'StateExited', state: { name, type } }, index)
    );
  }, 0);
  let capReachedAfterSeconds = 0;
  while (nextLookSeconds(capReachedAfterSeconds) < MAX_WAIT_SECONDS && capReachedAfterSeconds < 86_400)
    capReachedAfterSeconds++;
  return {
    machines: Object.keys(definitions).filter((k) => k.startsWith('Curated')),
    states: states.size,
    tickCycle: cycle,
    historyEventsPerTick,
    productHistoryEventsPerTick: HISTORY_EVENTS_PER_TICK,
    ticksPerExecution: TICKS_PER_EXECUTION,
    minLookSeconds: MIN_LOOK_SECONDS,
    maxWaitSeconds: MAX_WAIT_SECONDS,
    capReachedAfterSeconds,
    maxFailuresPerTick: MAX_FAILURES_PER_TICK,
    maxConcurrencyLimit: RefreshContext.shape.maxConcurrency.maxValue ?? 40,
  };
}
