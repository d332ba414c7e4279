import { UpstreamNotBuiltError } from '../errors.js';
import type { IndexedManifest } from '../graph/plan.js';
import { notSyncedReason, type TableState } from '../sql/landing-state.js';
import type { RecordedOutcome } from '../sql/run-log.js';

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

/**
 * The descendants of failed models still waiting to build, skipped as dbt does, each naming the failed
 * upstream it waited on (the first one found, breadth first). Models no longer pending (built, in
 * flight, or already given an outcome) are neither skipped nor walked through.
 */
export function skippedDescendants(
  index: IndexedManifest,
  failed: readonly string[],
  isPending: (model: string) => boolean,
): RecordedOutcome[] {
  const cause = new Map<string, string>(failed.map((f) => [f, f]));
  const queue = [...failed];
  for (let i = 0; i < queue.length; i++) {
    const model = queue[i] as string;
    for (const down of index.dag.downstream.get(model) ?? []) {
      if (cause.has(down) || !isPending(down)) continue;
      cause.set(down, cause.get(model) ?? model);
      queue.push(down);
    }
  }
  for (const f of failed) cause.delete(f);
  return [...cause].map(([model, upstream]) => ({
    model,
    status: 'skipped',
    reason: `upstream ${upstream} failed`,
  }));
}

/**
 * The curated models that the models to build read but that are not being built in this refresh:
 * their tables must already be there.
 */
export function upstreamsOutside(index: IndexedManifest, toBuild: ReadonlySet<string>): string[] {
  const outside = new Set<string>();
  for (const model of toBuild)
    for (const u of index.dag.upstream.get(model) ?? []) if (!toBuild.has(u)) outside.add(u);
  return [...outside].sort();
}

/**
 * Models to build that read a curated model which is not being built in this refresh and whose table
 * is not there (never built, or dropped since): failed before any SQL is sent, naming the upstream and
 * what to run instead. `absence(u)` says why u is missing, or undefined when it is there. Their
 * descendants are then skipped by `skippedDescendants`.
 */
export function unbuiltUpstreamFailures(
  index: IndexedManifest,
  toBuild: ReadonlySet<string>,
  absence: (model: string) => string | undefined,
): RecordedOutcome[] {
  const failures: RecordedOutcome[] = [];
  for (const model of index.dag.names) {
    if (!toBuild.has(model)) continue;
    for (const u of index.dag.upstream.get(model) ?? []) {
      const why = toBuild.has(u) ? undefined : absence(u);
      if (why === undefined) continue;
      const error = new UpstreamNotBuiltError(
        `${u} ${why}: select +${model} (the model and its upstreams), or run a full refresh`,
      );
      failures.push({ model, status: 'failed', reason: `${error.name}: ${error.message}` });
      break;
    }
  }
  return failures;
}
