import type { IndexedManifest } from '../graph/plan.js';
import { notSyncedReason, type TableState } from './landing-state.js';
import type { RecordedOutcome } from './run-log.js';

/**
 * Models that must not build now because a landing-zone table they read is not Synced, and the
 * selected models built from them. Deferred is not failed: the data is fine, just not readable yet,
 * and the next refresh (or the resync recovery) builds them.
 */
export function deferredModels(
  index: IndexedManifest,
  selected: ReadonlySet<string>,
  states: ReadonlyMap<string, TableState>,
): RecordedOutcome[] {
  const reasons = new Map<string, string>();
  for (const name of index.dag.names) {
    if (!selected.has(name)) continue;
    const blocked = index
      .model(name)
      .sources.map((s) => notSyncedReason(s, states))
      .find((r) => r !== undefined);
    if (blocked) reasons.set(name, blocked);
  }
  // Descendants inside the selection, in topological order so every reason names a real upstream.
  const queue = [...reasons.keys()];
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i];
    if (name === undefined) continue;
    for (const down of index.dag.downstream.get(name) ?? []) {
      if (selected.has(down) && !reasons.has(down)) {
        reasons.set(down, `upstream ${name} is deferred`);
        queue.push(down);
      }
    }
  }
  return [...reasons]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([model, reason]) => ({ model, status: 'deferred', reason }));
}

/** Models of a level whose direct upstream did not build in this run: skipped, like dbt does. */
export function skippedModels(
  index: IndexedManifest,
  level: readonly string[],
  blocked: ReadonlyMap<string, string>,
): RecordedOutcome[] {
  const skipped: RecordedOutcome[] = [];
  for (const name of level) {
    if (blocked.has(name)) continue;
    const upstream = (index.dag.upstream.get(name) ?? []).find((u) => blocked.has(u));
    if (upstream)
      skipped.push({
        model: name,
        status: 'skipped',
        reason: `upstream ${upstream} ${blocked.get(upstream)}`,
      });
  }
  return skipped;
}
