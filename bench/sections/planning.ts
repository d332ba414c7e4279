import { selectedLevels } from '../../functions/plan-refresh/core.js';
import { indexManifest } from '../../shared/graph/plan.js';
import { serializeManifest } from '../../shared/project/compile.js';
import type { Manifest } from '../../shared/project/manifest.js';
import type { PlanningResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { median } from '../lib/stats.js';
import { syntheticProject } from '../lib/synthetic-project.js';

/**
 * Planning a refresh of 500 / 2,000 / 5,000 models, as plan-refresh does it: parse the bundled
 * manifest, build the DAG (`indexManifest`), select and level it (`selectedLevels`). `plan_ms` is
 * the median of repeated cold plans (parse + index + levels; what a fresh Lambda container does);
 * the warm figure reuses the index (a warm container). Memory: heap retained by the indexed manifest
 * (run with --expose-gc).
 */

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
    for (let i = 0; i < 3; i++) selectedLevels(indexManifest(JSON.parse(text) as Manifest), {});
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const index = indexManifest(JSON.parse(text) as Manifest);
      selectedLevels(index, {});
      cold.push(performance.now() - t);
    }
    const index = indexManifest(JSON.parse(text) as Manifest);
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      selectedLevels(index, {});
      warm.push(performance.now() - t);
    }
    const before = heapAfterGc();
    const held = indexManifest(JSON.parse(text) as Manifest);
    const after = heapAfterGc();
    const levels = selectedLevels(held, {}).levels.length;
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
