import type { Manifest } from '../../shared/project/manifest.js';

/**
 * Bounds of a refresh's makespan from the DAG and the modeled SQL durations alone (no orchestration
 * overhead): the critical path (the physical limit), the sum over DAG levels of each level's longest
 * build (the limit of any level-by-level design), and the ideal schedule — a zero-overhead DAG-aware
 * list schedule at the refresh's concurrency (the limit when concurrency, not the critical path, binds).
 */

export interface DagBounds {
  criticalPathMs: number;
  /** Σ over levels of max(duration): a level-by-level design cannot beat this. */
  levelBarrierMs: number;
  sumDurationsMs: number;
  /** Zero-overhead DAG-aware list schedule (no level barriers, longest-path-first) with `slots` builds at once. */
  dagAwareMs: number;
  /**
   * The same list schedule ordered by the longest remaining chain counted in models, not seconds:
   * what a dispatcher that knows no build's duration can aim for (a first refresh).
   */
  dagAwareByCountMs: number;
  /** Σ durations ÷ slots: no schedule at this concurrency beats it. */
  capacityMs: number;
  levels: number[];
  /** The longest chain of models. */
  criticalChain: string[];
}

export function dagBounds(
  manifest: Manifest,
  durations: ReadonlyMap<string, number>,
  slots: number,
): DagBounds {
  const ms = (m: string) => (durations.get(m) ?? 0) * 1000;
  const ups = new Map(manifest.models.map((m) => [m.name, m.refs]));
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  for (const level of manifest.levels) {
    for (const m of level) {
      let best = 0;
      let from: string | undefined;
      for (const u of ups.get(m) ?? []) {
        const f = finish.get(u) ?? 0;
        if (f > best) {
          best = f;
          from = u;
        }
      }
      finish.set(m, best + ms(m));
      via.set(m, from);
    }
  }
  let end: string | undefined;
  for (const [m, f] of finish) if (end === undefined || f > (finish.get(end) ?? 0)) end = m;
  const chain: string[] = [];
  for (let m = end; m !== undefined; m = via.get(m)) chain.unshift(m);
  const levelBarrierMs = manifest.levels.reduce((acc, level) => acc + Math.max(0, ...level.map(ms)), 0);
  const sumDurationsMs = manifest.models.reduce((acc, m) => acc + ms(m.name), 0);
  return {
    dagAwareMs: dagAwareSchedule(manifest, ms, slots),
    dagAwareByCountMs: dagAwareSchedule(manifest, ms, slots, () => 1),
    capacityMs: sumDurationsMs / Math.max(1, slots),
    criticalPathMs: end === undefined ? 0 : (finish.get(end) ?? 0),
    levelBarrierMs,
    sumDurationsMs,
    levels: manifest.levels.map((l) => l.length),
    criticalChain: chain,
  };
}

/**
 * What a dispatcher that starts each model as soon as its upstreams are built would achieve with the
 * same number of builds at once and no overhead: list scheduling, longest remaining path first (path
 * length measured with `weight`, by default the true durations).
 */
export function dagAwareSchedule(
  manifest: Manifest,
  ms: (model: string) => number,
  slots: number,
  weight: (model: string) => number = ms,
): number {
  const downstream = new Map<string, string[]>(manifest.models.map((m) => [m.name, []]));
  for (const m of manifest.models) for (const r of m.refs) downstream.get(r)?.push(m.name);
  const tail = new Map<string, number>();
  for (const level of [...manifest.levels].reverse()) {
    for (const m of level)
      tail.set(m, weight(m) + Math.max(0, ...(downstream.get(m) ?? []).map((d) => tail.get(d) ?? 0)));
  }
  const pending = new Map(manifest.models.map((m) => [m.name, m.refs.length]));
  const ready = manifest.models.filter((m) => m.refs.length === 0).map((m) => m.name);
  const running: { model: string; end: number }[] = [];
  let now = 0;
  let done = 0;
  while (done < manifest.models.length) {
    ready.sort((a, b) => (tail.get(b) ?? 0) - (tail.get(a) ?? 0));
    while (running.length < slots && ready.length > 0) {
      const model = ready.shift();
      if (model !== undefined) running.push({ model, end: now + ms(model) });
    }
    running.sort((a, b) => a.end - b.end);
    const next = running.shift();
    if (!next) break;
    now = next.end;
    done++;
    for (const d of downstream.get(next.model) ?? []) {
      const left = (pending.get(d) ?? 1) - 1;
      pending.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  return now;
}
