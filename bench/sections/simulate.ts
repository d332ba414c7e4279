import { sequentialBaseline, threadsBaseline } from '../lib/baselines.js';
import { dagBounds } from '../lib/dag-bounds.js';
import type { BaselineFigures, SimResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { RefreshBench } from '../lib/simulate-refresh.js';
import { max, median, sum } from '../lib/stats.js';
import { refreshStructure } from '../lib/structure.js';
import { flatProject, syntheticProject } from '../lib/synthetic-project.js';

/**
 * One synthetic DAG, one curated refresh on virtual time (real ASL, real handlers, modeled Data API),
 * optionally the baselines on the same DAG and durations. `--models N --concurrency C [--baselines]`.
 */

const spread = (values: readonly number[]) => ({
  mean: values.length ? sum(values) / values.length : 0,
  median: median(values),
  max: values.length ? max(values) : 0,
});

await runSection(async (args): Promise<SimResult> => {
  const models = args.number('models', 200);
  const maxConcurrency = args.number('concurrency', 10);
  const seed = args.number('seed', 20260501 + models);
  // `--flat <seconds>x<count>`: one level of identical builds (the worst case for a chunk's history).
  const flat = /^(\d+)x(\d+)$/.exec(args.get('flat') ?? '');
  const project = flat
    ? flatProject(new Array<number>(Number(flat[2])).fill(Number(flat[1])))
    : syntheticProject({ models, maxConcurrency, seed });
  const durations = [...project.durations.values()];
  const concurrency = project.manifest.project.refresh.maxConcurrency;
  const structure = refreshStructure();
  const bounds = dagBounds(project.manifest, project.durations, {
    chunkSize: structure.chunkSize,
    chunksAtOnce: structure.chunksAtOnce,
    perChunk: concurrency,
  });
  const bench = await RefreshBench.create(project.manifest, project.durations);
  try {
    const run = await bench.refresh(
      { trigger: 'manual' },
      `bench-${project.manifest.models.length}-c${concurrency}`,
    );
    const byMachine: Record<string, number> = {};
    for (const e of run.executions) byMachine[e.machine] = (byMachine[e.machine] ?? 0) + 1;
    const heaviest = run.executions.reduce((a, b) => (b.historyEvents > a.historyEvents ? b : a));
    const largest = run.executions.reduce((a, b) => (b.maxPayloadBytes > a.maxPayloadBytes ? b : a));
    const parent = run.executions.find((e) => e.machine === 'CuratedRefreshStateMachine');
    const lags = run.builds.map((b) => (b.noticedAt - b.finishAt) / 1000);
    const output = run.output as { counts?: { built?: number } } | undefined;
    let baselines: SimResult['baselines'];
    if (args.has('baselines')) {
      const toFigures = (b: Awaited<ReturnType<typeof sequentialBaseline>>): BaselineFigures => ({
        makespanSeconds: b.makespanMs / 1000,
        transitions: b.transitions,
        historyEvents: b.historyEvents,
        dataApiCalls: b.dataApiCalls,
        polls: b.polls,
      });
      baselines = {
        sequential: toFigures(await sequentialBaseline(bench)),
        threads4: toFigures(await threadsBaseline(bench, 4, 10)),
      };
    }
    return {
      models: project.manifest.models.length,
      maxConcurrency: concurrency,
      seed,
      status: run.status,
      levels: bounds.levels,
      durations: {
        sumSeconds: sum(durations),
        medianSeconds: median(durations),
        maxSeconds: max(durations),
        minSeconds: Math.min(...durations),
      },
      criticalPathSeconds: bounds.criticalPathMs / 1000,
      criticalChain: bounds.criticalChain.length,
      levelBarrierSeconds: bounds.levelBarrierMs / 1000,
      structureSeconds: bounds.structureMs / 1000,
      dagAwareSeconds: bounds.dagAwareMs / 1000,
      makespanSeconds: run.makespanMs / 1000,
      noticeLagSeconds: spread(lags),
      executions: { total: run.executions.length, byMachine },
      transitions: run.transitions,
      lambdaInvocations: run.lambdaInvocations,
      functions: run.functions,
      dataApi: Object.fromEntries(Object.entries(run.dataApi)),
      modelsBuilt: output?.counts?.built ?? 0,
      buildBatches: run.dataApi.buildBatches,
      pollsPerModel: spread(Object.values(run.pollsPerModel)),
      loopTransitionsPerModel: spread(Object.values(run.transitionsPerModel)),
      maxHistory: { events: heaviest.historyEvents, machine: heaviest.machine, execution: heaviest.name },
      maxPayload: {
        bytes: largest.maxPayloadBytes,
        where: largest.maxPayloadWhere,
        machine: largest.machine,
      },
      parentHistoryEvents: parent?.historyEvents ?? 0,
      ...(baselines ? { baselines } : {}),
      realSeconds: run.realMs / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await bench.close();
  }
});
