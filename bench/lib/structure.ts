import { CHUNK_SIZE } from '../../functions/plan-refresh/core.js';
import { type AslDefinition, allStates, loadDefinitions } from '../../local/sfn/definitions.js';
import { MAX_POLL_SECONDS, nextPollSeconds } from '../../shared/refresh/polling.js';
import { historyWeight, stateIndex } from './history.js';

/**
 * The parts of the product's design the figures depend on, read from the product itself (never
 * restated here): chunk size, chunks built at once, the poll loop and its history cost, the poll cap.
 */
export interface RefreshStructure {
  chunkSize: number;
  chunksAtOnce: number;
  /** State names of one poll round in curated-build (Wait → CheckBuild → Choice). */
  pollCycle: string[];
  /** AWS history events one poll round adds to its execution. */
  historyEventsPerPoll: number;
  maxPollSeconds: number;
  /** Statement age (s) at which a wait first reaches the cap (MAX_POLL_SECONDS); later waits grow again with the age (shared/refresh/polling.ts). */
  capReachedAfterSeconds: number;
}

export function refreshStructure(
  definitions: Record<string, AslDefinition> = loadDefinitions(),
): RefreshStructure {
  const refresh = definitions.CuratedRefreshStateMachine;
  const build = definitions.CuratedBuildStateMachine;
  if (!refresh || !build) throw new Error('curated-refresh / curated-build definitions not found');
  // The Map whose iterations start the child executions (BuildChunks).
  const chunks = [...allStates(refresh)].find(
    ([, s]) =>
      s.Type === 'Map' &&
      Object.values(s.ItemProcessor?.States ?? s.Iterator?.States ?? {}).some((inner) =>
        inner.Resource?.includes(':states:startExecution'),
      ),
  );
  const chunksAtOnce = Number(chunks?.[1].MaxConcurrency ?? 1);
  const states = new Map(allStates(build));
  const wait = [...states].find(([, s]) => s.Type === 'Wait');
  const cycle: string[] = [];
  for (let name = wait?.[0]; name !== undefined && !cycle.includes(name); ) {
    cycle.push(name);
    const state = states.get(name);
    name =
      typeof state?.Next === 'string'
        ? state.Next
        : typeof state?.Default === 'string'
          ? state.Default
          : undefined;
  }
  const index = stateIndex(build);
  const historyEventsPerPoll = cycle.reduce((acc, name) => {
    const type = states.get(name)?.Type ?? '';
    return (
      acc +
      historyWeight({ type: 'StateEntered', state: { name, type } }, index) +
      historyWeight({ type: 'StateExited', state: { name, type } }, index)
    );
  }, 0);
  let capReachedAfterSeconds = 0;
  while (nextPollSeconds(capReachedAfterSeconds) < MAX_POLL_SECONDS && capReachedAfterSeconds < 86_400)
    capReachedAfterSeconds++;
  return {
    chunkSize: CHUNK_SIZE,
    chunksAtOnce,
    pollCycle: cycle,
    historyEventsPerPoll,
    maxPollSeconds: MAX_POLL_SECONDS,
    capReachedAfterSeconds,
  };
}
