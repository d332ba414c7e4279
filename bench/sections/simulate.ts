import { flatProject, syntheticProject } from '../../local/synthetic/project.js';
import { sequentialBaseline, threadsBaseline } from '../lib/baselines.js';
import { dagBounds } from '../lib/dag-bounds.js';
import type { BaselineFigures, RefreshFigures, SimResult, Spread } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { RefreshBench, type RefreshSimulation } from '../lib/simulate-refresh.js';
import { max, median, sum } from '../lib/stats.js';

/**
 * One synthetic DAG, one curated refresh on virtual time (real ASL, real handlers, modeled Data API),
 * optionally a second refresh of the same DAG after every landing table changed (every model builds
 * again, now with its past duration in the run log), and optionally the baselines on the same DAG and
 * durations.
 * `--models N --concurrency C [--second-run] [--baselines]`, or `--flat <seconds>x<count>`.
 */

const spread = (values: readonly number[]): Spread => ({
  mean: values.length ? sum(values) / values.length : 0,
  median: values.length ? median(values) : 0,
  max: values.length ? max(values) : 0,
});

/** The figures of one refresh, from what the simulation counted. */
function figures(
  run: RefreshSimulation,
  upstream: ReadonlyMap<string, readonly string[]>,
  chain: readonly string[],
): RefreshFigures {
  const byMachine: Record<string, number> = {};
  for (const e of run.executions) byMachine[e.machine] = (byMachine[e.machine] ?? 0) + 1;
  const heaviest = run.executions.reduce((a, b) => (b.historyEvents > a.historyEvents ? b : a));
  const largest = run.executions.reduce((a, b) => (b.maxPayloadBytes > a.maxPayloadBytes ? b : a));
  const first = run.executions[0];
  const output = run.output as { counts?: { built?: number } } | undefined;
  const finishAt = new Map(run.builds.map((b) => [b.model, b.finishAt]));
  const firstSubmit = Math.min(...run.builds.map((b) => b.submittedAt));
  const lastFinish = Math.max(...run.builds.map((b) => b.finishAt));
  const delayOf = new Map(
    run.builds.map((b) => {
      const ready = Math.max(
        firstSubmit,
        ...(upstream.get(b.model) ?? []).map((u) => finishAt.get(u) ?? Number.NEGATIVE_INFINITY),
      );
      return [b.model, (b.submittedAt - ready) / 1000];
    }),
  );
  const delays = [...delayOf.values()];
  const lags = run.builds.map((b) => (b.noticedAt - b.finishAt) / 1000);
  return {
    status: run.status,
    makespanSeconds: run.makespanMs / 1000,
    firstSubmitSeconds: run.builds.length ? (firstSubmit - run.startedAtMs) / 1000 : 0,
    tailSeconds: run.builds.length ? (run.startedAtMs + run.makespanMs - lastFinish) / 1000 : 0,
    noticeLagSeconds: spread(lags),
    startDelaySeconds: spread(delays),
    lateNotices: lags.filter((l) => l > 5).length,
    criticalChainWaitSeconds: sum(chain.slice(1).map((m) => delayOf.get(m) ?? 0)),
    executions: { total: run.executions.length, byMachine },
    transitions: run.transitions,
    transitionsByState: run.transitionsByState,
    lambdaInvocations: run.lambdaInvocations,
    functions: run.functions,
    dataApi: Object.fromEntries(Object.entries(run.dataApi)),
    dataApiByPurpose: run.dataApiByPurpose,
    modelsBuilt: output?.counts?.built ?? 0,
    buildBatches: run.dataApi.buildBatches,
    pollsPerModel: spread(Object.values(run.pollsPerModel)),
    describesPerModel: spread(Object.values(run.describesPerModel)),
    looksPerModel: spread(Object.values(run.looksPerModel)),
    ticks: run.ticks,
    maxHistory: { events: heaviest.historyEvents, machine: heaviest.machine, execution: heaviest.name },
    maxPayload: { bytes: largest.maxPayloadBytes, where: largest.maxPayloadWhere, machine: largest.machine },
    parentHistoryEvents: first?.historyEvents ?? 0,
    dataApiRate: run.dataApiRate,
    realSeconds: run.realMs / 1000,
  };
}

await runSection(async (args): Promise<SimResult> => {
  const models = args.number('models', 200);
  // The schema's maximum: the old design ran 4 chunks × 10 builds = 40 at once.
  const maxConcurrency = args.number('concurrency', 40);
  const seed = args.number('seed', 20260501 + models);
  // `--flat <seconds>x<count>`: one level of identical builds (long builds: the history's worst case).
  const flat = /^(\d+)x(\d+)$/.exec(args.get('flat') ?? '');
  const project = flat
    ? flatProject(new Array<number>(Number(flat[2])).fill(Number(flat[1])), maxConcurrency)
    : syntheticProject({ models, maxConcurrency, seed });
  const durations = [...project.durations.values()];
  const concurrency = project.manifest.project.refresh.maxConcurrency;
  const bounds = dagBounds(project.manifest, project.durations, concurrency);
  const upstream = new Map(project.manifest.models.map((m) => [m.name, m.refs]));
  const bench = await RefreshBench.create(project.manifest, project.durations);
  try {
    const name = `bench-${project.manifest.models.length}-c${concurrency}`;
    const chain = bounds.criticalChain;
    const run = figures(await bench.refresh({ trigger: 'manual' }, name), upstream, chain);
    let secondRun: RefreshFigures | undefined;
    if (args.has('second-run')) {
      // New changes on every landing table, so every model has new inputs and builds again, as a
      // scheduled refresh does; the run log now holds each model's past duration.
      await bench.dataApi.touchTables(
        project.sourceTables.map((t) => `public.${t}`),
        bench.vt.date(),
      );
      secondRun = figures(await bench.refresh({ trigger: 'manual' }, `${name}-again`), upstream, chain);
    }
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
      ...run,
      models: project.manifest.models.length,
      maxConcurrency: concurrency,
      seed,
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
      dagAwareSeconds: bounds.dagAwareMs / 1000,
      dagAwareByCountSeconds: bounds.dagAwareByCountMs / 1000,
      capacitySeconds: bounds.capacityMs / 1000,
      ...(secondRun ? { secondRun } : {}),
      ...(baselines ? { baselines } : {}),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await bench.close();
  }
});
