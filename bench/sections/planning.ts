import { syntheticProject } from '../../local/synthetic/project.js';
import { topologicalLevels } from '../../shared/graph/dag.js';
import { type IndexedManifest, indexManifest } from '../../shared/graph/plan.js';
import { serializeManifest } from '../../shared/project/compile.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { selectedModels } from '../../shared/refresh/selection.js';
import type { PlanningResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { median } from '../lib/stats.js';

/**
 * Planning a refresh of 500 / 2,000 / 5,000 models, as plan-refresh does it before its warehouse
 * reads: parse the bundled manifest, build the DAG (`indexManifest`), select (`selectedModels`) and
 * order the selection (`topologicalLevels`, the order change detection walks). `plan_ms` is the median
 * of repeated cold plans (parse + index + select + order; what a fresh Lambda container does); the
 * warm figure reuses the index (a warm container). Memory: heap retained by the indexed manifest (run
 * with --expose-gc).
 */

function plan(index: IndexedManifest): string[][] {
  return topologicalLevels(index.dag, selectedModels(index, {}));
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

await runSection(async (args): Promise<PlanningResult> => {
  const sizes = (args.get('sizes') ?? '500,2000,5000').split(',').map(Number);
  const runs = args.number('runs', 25);
  const result: PlanningResult = { sizes: {}, gcExposed: gc !== undefined };
  for (const models of sizes) {
    const { manifest } = syntheticProject({ models });
    const text = serializeManifest(manifest);
    // Warm-up: the first runs pay for JIT compilation.
    for (let i = 0; i < 3; i++) plan(indexManifest(JSON.parse(text) as Manifest));
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      plan(indexManifest(JSON.parse(text) as Manifest));
      cold.push(performance.now() - t);
    }
    const index = indexManifest(JSON.parse(text) as Manifest);
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      plan(index);
      warm.push(performance.now() - t);
    }
    const before = heapAfterGc();
    const held = indexManifest(JSON.parse(text) as Manifest);
    const after = heapAfterGc();
    const levels = plan(held).length;
    result.sizes[String(models)] = {
      models,
      edges: manifest.edges.length,
      levels,
      manifestBytes: Buffer.byteLength(text),
      manifestCompactBytes: Buffer.byteLength(JSON.stringify(manifest)),
      planMsMedian: median(cold),
      warmPlanMsMedian: median(warm),
      runs,
      retainedHeapMb: (after - before) / 1024 / 1024,
    };
  }
  return result;
});
