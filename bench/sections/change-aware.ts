import { readFileSync } from 'node:fs';
import { syntheticProject } from '../../local/synthetic/project.js';
import { seededRandom } from '../../local/synthetic/random.js';
import { downstreamOfSources } from '../../shared/graph/dag.js';
import { indexManifest } from '../../shared/graph/plan.js';
import type { ChangeAwareResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { RefreshBench } from '../lib/simulate-refresh.js';
import { sum } from '../lib/stats.js';

/**
 * Issue 8's figure: a 200-model DAG refreshed once in full, then again with no change, then again
 * after 10 % of the landing tables moved their replication position. Models built, the plan's
 * warehouse reads, and modeled warehouse seconds against the full refresh. Only when plan-refresh has
 * change detection.
 */

export function hasChangeDetection(): boolean {
  const core = readFileSync('functions/plan-refresh/core.ts', 'utf8');
  return /change-detection/.test(core) && /decideChanges|decide/.test(core);
}

await runSection(async (args): Promise<ChangeAwareResult> => {
  const models = args.number('models', 200);
  const empty: ChangeAwareResult = {
    available: false,
    models_total: models,
    tables_total: 0,
    tables_changed: 0,
    models_built: 0,
    models_downstream_of_changed: 0,
    decision_queries: 0,
    decision_query_names: [],
    unchanged_refresh_models_built: 0,
    warehouse_seconds: 0,
    full_refresh_warehouse_seconds: 0,
    full_refresh_makespan_seconds: 0,
    makespan_seconds: 0,
    status: '',
  };
  if (!hasChangeDetection())
    return { ...empty, reason: 'functions/plan-refresh/core.ts has no change detection yet' };
  const project = syntheticProject({
    models,
    seed: 20260501 + models,
    maxConcurrency: args.number('concurrency', 40),
  });
  const bench = await RefreshBench.create(project.manifest, project.durations);
  try {
    const built = (run: { output: unknown }) =>
      (run.output as { counts?: { built?: number } } | undefined)?.counts?.built ?? 0;
    const warehouseSeconds = (run: { builds: { model: string }[] }) =>
      sum(run.builds.map((b) => project.durations.get(b.model) ?? 0));
    const full = await bench.refresh({ trigger: 'manual' }, 'change-aware-initial');
    const unchanged = await bench.refresh({ trigger: 'manual' }, 'change-aware-unchanged');
    const random = seededRandom(8);
    const tables = [...project.sourceTables];
    const changed = new Set<string>();
    const target = Math.max(1, Math.round(tables.length * 0.1));
    while (changed.size < target) changed.add(tables[Math.floor(random() * tables.length)] ?? 'orders_0');
    await bench.dataApi.touchTables(
      [...changed].map((t) => `public.${t}`),
      bench.vt.date(),
    );
    const run = await bench.refresh({ trigger: 'manual' }, 'change-aware-changed');
    const index = indexManifest(project.manifest);
    const downstream = downstreamOfSources(
      index.dag,
      [...changed].map((t) => `public.${t}`),
    );
    return {
      available: true,
      models_total: models,
      tables_total: tables.length,
      tables_changed: changed.size,
      models_built: built(run),
      models_downstream_of_changed: downstream.size,
      decision_queries: run.planQueries.length,
      decision_query_names: run.planQueries.map((q) => q.replace(/^zeo:[^:]+:/, '')),
      unchanged_refresh_models_built: built(unchanged),
      warehouse_seconds: warehouseSeconds(run),
      full_refresh_warehouse_seconds: warehouseSeconds(full),
      full_refresh_makespan_seconds: full.makespanMs / 1000,
      makespan_seconds: run.makespanMs / 1000,
      status: [full.status, unchanged.status, run.status].join(' / '),
    };
  } finally {
    await bench.close();
  }
});
