import { HISTORY_MAPPING_DOC } from '../../local/sfn/history.js';
import { SQL_DURATIONS } from '../../local/synthetic/random.js';
import { LAMBDA_MEMORY_MB, LATENCY_MS, PRICES } from './assumptions.js';
import { count, duration, mark, n, pct, ratio, table, usd } from './format.js';
import type { LambdaConfig, MachineInfo } from './machine.js';
import type {
  ChangeAwareResult,
  LambdaResult,
  LocalResult,
  PlanningResult,
  PollPoint,
  PollsResult,
  ReactionResult,
  RefreshFigures,
  SimResult,
} from './results.js';
import { linearFit, median, round } from './stats.js';
import type { RefreshStructure } from './structure.js';

/** Everything one `npm run bench` collected, and what the report derives from it. */
export interface Collected {
  command: string;
  quick: boolean;
  partial: boolean;
  machine: MachineInfo;
  lambdaConfig: LambdaConfig;
  structure: RefreshStructure;
  /** 1-minute load average before and after the run (other processes share the machine). */
  load: { start: number; end: number };
  benchSeconds: number;
  /** Simulations keyed by model count ("10", "200", …) or "200@10" for another concurrency. */
  sims: Record<string, SimResult>;
  /** 100 independent builds of 15 min: the longest refresh of the modeled durations, for the history. */
  longBuilds?: SimResult;
  polls?: PollsResult;
  changeAware?: ChangeAwareResult;
  planning?: PlanningResult;
  lambda?: LambdaResult;
  reaction?: ReactionResult;
  local?: LocalResult;
  errors: Record<string, string>;
  skipped: string[];
}

export interface Target {
  /**
   * 13: the figures issue 13 asks for (its "must reach" column); 6 and 16: other issues' figures, still
   * measured.
   */
  issue: 13 | 16 | 6;
  id: string;
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
  /** Issue 13's "goal" column, where it has one. */
  goal?: string;
  goalMet?: boolean | null;
  why: string;
}

const PAYLOAD_LIMIT = 256 * 1024;
/** Issue 16's targets for every function: bundle size (handler.js) and median module initialisation. */
const SMALL_LAMBDA_KIB = 200;
const SMALL_LAMBDA_INIT_MS = 100;
const HISTORY_LIMIT = 25_000;

/** The makespan sizes and scale sizes the issue asks for, in the order they are reported. */
export const MAKESPAN_SIZES = ['10', '200', '2000'];
export const SCALE_SIZES = ['500', '2000', '5000'];
/** The key of the long-builds refresh in results.json's max_history_events. */
const LONG_BUILDS_KEY = '100x900s';

/**
 * What the Data API's quotas are documented to be. The per-operation request rates are not published
 * by AWS in anything this project could confirm (../shared/reference/aws-zero-etl-facts.md §8 item 5,
 * docs/aws-assumptions.md "data-api-quotas-unknown"); the active-statement limit is from an older copy
 * of the management guide's "Considerations when calling the Data API" (facts §5.5).
 */
export const DATA_API_QUOTAS = {
  activeStatements: {
    value: 200,
    what: 'active (SUBMITTED, PICKED, STARTED) statements per cluster or workgroup',
    source:
      '../shared/reference/aws-zero-etl-facts.md §5.5 (archived "Considerations when calling the Data API"; an older copy only: UNCONFIRMED for today)',
  },
  requestRates: {
    value: null,
    what: 'requests per second per operation and account',
    source:
      'UNCONFIRMED: not found in the AWS documentation (facts §8 item 5 lists third-party figures only: ExecuteStatement 30/s, DescribeStatement 100/s, GetStatementResult 20/s); docs/aws-assumptions.md "data-api-quotas-unknown"; a docs search for "Redshift Data API quotas" found no AWS page with numbers',
    unconfirmedThirdParty: { ExecuteStatement: 30, DescribeStatement: 100, GetStatementResult: 20 },
  },
} as const;

/** Per-model costs of one refresh (every execution of it, divided by the models it built). */
function costPerModel(f: RefreshFigures, config: LambdaConfig, tickCycle: readonly string[]) {
  const models = Math.max(1, f.modelsBuilt);
  let gbSeconds = 0;
  for (const [fn, usage] of Object.entries(f.functions)) {
    const mb = config.memoryMbByFunction[fn] ?? config.defaultMemoryMb ?? LAMBDA_MEMORY_MB;
    gbSeconds += (usage.billedMs / 1000) * (mb / 1024);
  }
  const transitions = f.transitions / models;
  const invocations = f.lambdaInvocations / models;
  const gbs = gbSeconds / models;
  const perThousand = (gbPrice: number) =>
    1000 *
    (transitions * PRICES.stepFunctionsStandardPerTransition +
      invocations * PRICES.lambdaPerRequest +
      gbs * gbPrice);
  const arm = config.architecture === 'arm64';
  const tickTransitions = tickCycle.reduce((acc, s) => acc + (f.transitionsByState[s] ?? 0), 0);
  return {
    transitions,
    /** Of which the dispatcher loop (Wait, DispatchBuilds, Choice). */
    tickTransitions: tickTransitions / models,
    ticks: f.ticks.ticks / models,
    invocations,
    gbSeconds: gbs,
    dataApiCalls: (f.dataApi.total ?? 0) / models,
    batches: f.buildBatches / models,
    polls: f.pollsPerModel.mean,
    looks: f.looksPerModel.mean,
    usdPer1000: perThousand(arm ? PRICES.lambdaPerGbSecondArm64 : PRICES.lambdaPerGbSecondX86),
    usdPer1000X86: perThousand(PRICES.lambdaPerGbSecondX86),
    stepFunctionsShare:
      (transitions * PRICES.stepFunctionsStandardPerTransition * 1000) /
      perThousand(arm ? PRICES.lambdaPerGbSecondArm64 : PRICES.lambdaPerGbSecondX86),
  };
}

/** $ per 1,000 model rebuilds of the public sample: Step Functions transitions only (SDK integrations, no Lambda). */
function sequentialUsdPer1000(s: SimResult): number | undefined {
  return s.baselines
    ? (1000 * s.baselines.sequential.transitions * PRICES.stepFunctionsStandardPerTransition) / s.models
    : undefined;
}

/** Looks against duration: logarithmic below the wait cap, then linear (one per MAX_WAIT_SECONDS). */
function pollFits(points: readonly PollPoint[], capSeconds: number) {
  const capped = points.filter((p) => p.seconds <= capSeconds * 1.05);
  const beyond = points.filter((p) => p.seconds >= capSeconds);
  const log = linearFit(
    capped.map((p) => Math.log(p.seconds)),
    capped.map((p) => p.polls),
  );
  const linear = linearFit(
    beyond.map((p) => p.seconds / 60),
    beyond.map((p) => p.polls),
  );
  const longest = points.at(-1);
  const logPrediction = longest ? log.a + log.b * Math.log(longest.seconds) : Number.NaN;
  return { log, linear, longest, logPrediction };
}

/** The overhead of a refresh over the ideal schedule, in words. */
function overheadWhy(s: SimResult, f: RefreshFigures = s): string {
  return `plan ${n(f.firstSubmitSeconds, 1)} s before the first submit; along the DAG's critical chain (${n(s.criticalChain)} models) ${n(f.criticalChainWaitSeconds, 1)} s in all between an upstream's SQL end and the next submit (a finished build is seen ${n(f.noticeLagSeconds.mean, 1)} s after its end on average, at most ${n(f.noticeLagSeconds.max, 1)} s; ${n(f.lateNotices)} of ${n(f.buildBatches)} builds more than 5 s late); ${n(f.tailSeconds, 1)} s from the last SQL end to the execution's end (notice, summary)`;
}

export function deriveTargets(c: Collected): Target[] {
  const targets: Target[] = [];
  const earlier: Target[] = [];
  const st = c.structure;
  const s200 = c.sims['200'];
  const sized = MAKESPAN_SIZES.flatMap((k) => (c.sims[k] ? [[k, c.sims[k] as SimResult] as const] : []));
  if (s200) {
    const r = s200.makespanSeconds / s200.criticalPathSeconds;
    targets.push({
      issue: 13,
      id: '1',
      figure: 'makespan_vs_critical_path, 200 models',
      measured: ratio(r, 3),
      target: '≤ 1.05',
      met: r <= 1.05,
      goal: '≤ 1.02',
      goalMet: r <= 1.02,
      why: `${ratio(r, 3)} = ${duration(s200.makespanSeconds)} against a critical path of ${duration(s200.criticalPathSeconds)} (maxConcurrency ${s200.maxConcurrency}; the ideal schedule at that concurrency is ${ratio(s200.dagAwareSeconds / s200.criticalPathSeconds, 3)} of the critical path). The ${n(s200.makespanSeconds - s200.criticalPathSeconds, 1)} s over it: ${overheadWhy(s200)}.`,
    });
  }
  if (sized.length > 0) {
    const rs = sized.map(([, s]) => s.makespanSeconds / s.dagAwareSeconds);
    targets.push({
      issue: 13,
      id: '2',
      figure: `makespan_vs_ideal_schedule, ${sized.map(([k]) => n(Number(k))).join(' / ')} models`,
      measured: rs.map((r) => ratio(r, 3)).join(' / '),
      target: '≤ 1.05 each',
      met: rs.every((r) => r <= 1.05),
      goal: '≤ 1.02',
      goalMet: rs.every((r) => r <= 1.02),
      why: sized
        .map(
          ([k, s]) =>
            `${n(Number(k))}: ${duration(s.makespanSeconds)} vs ideal ${duration(s.dagAwareSeconds)} (${s.dagAwareSeconds > s.criticalPathSeconds * 1.001 ? `concurrency binds: ${ratio(s.dagAwareSeconds / s.criticalPathSeconds, 2)} of the critical path` : 'concurrency does not bind: the ideal is the critical path'}; ${overheadWhy(s)})`,
        )
        .join('. '),
    });
    const withBaselines = sized.filter(([, s]) => s.baselines);
    if (withBaselines.length > 0) {
      const sp = withBaselines.map(
        ([, s]) => (s.baselines?.threads4.makespanSeconds ?? 0) / s.makespanSeconds,
      );
      targets.push({
        issue: 13,
        id: '3',
        figure: `baseline_threads4_speedup (dbt-like, 4 at a time, 10 s poll), ${withBaselines.map(([k]) => n(Number(k))).join(' / ')} models`,
        measured: sp.map((x) => ratio(x, 2)).join(' / '),
        target: '≥ 1.2 each',
        met: sp.every((x) => x >= 1.2),
        goal: '≥ 1.5',
        goalMet: sp.every((x) => x >= 1.5),
        why: `${withBaselines
          .map(([k, s]) => {
            const t = s.baselines?.threads4.makespanSeconds ?? 0;
            const best = t / Math.max(s.criticalPathSeconds, s.dagAwareSeconds);
            return `${n(Number(k))}: threads=4 takes ${duration(t)} (${ratio(t / s.criticalPathSeconds, 2)} of the critical path), so no orchestrator at ${s.maxConcurrency} at once can beat it by more than ${ratio(best, 2)}${best < 1.2 ? ` — the must-reach is out of reach here: the widest level has ${n(Math.max(...s.levels))} models, concurrency hardly matters, and 4 builds at once with a 10 s poll already run near the critical path` : ''}`;
          })
          .join(
            '; ',
          )}. We run up to ${sized[0]?.[1].maxConcurrency ?? 'n/a'} builds at once, the baseline 4: at 200 and 2,000 models most of the speed-up is concurrency, not polling (section 1 has the maxConcurrency-10 run).`,
      });
    }
  }
  if (s200) {
    const cost = costPerModel(s200, c.lambdaConfig, st.tickCycle);
    const fixed = cost.transitions - cost.tickTransitions;
    targets.push({
      issue: 13,
      id: '4',
      figure: 'transitions_per_model (whole refresh, 200 models)',
      measured: n(cost.transitions, 2),
      target: '≤ 6',
      met: cost.transitions <= 6,
      goal: '≤ 3',
      goalMet: cost.transitions <= 3,
      why: `${n(s200.ticks.ticks)} dispatcher ticks for ${n(s200.modelsBuilt)} models (${n(cost.ticks, 2)} per model), each ${st.tickCycle.length} transitions (${st.tickCycle.join(' → ')}): ${n(cost.tickTransitions, 2)} per model; the rest (${n(fixed, 2)} per model) is the refresh's fixed states. ${n(s200.ticks.idle)} ticks (${pct(s200.ticks.idle / Math.max(1, s200.ticks.ticks), 0)}) neither started nor saw the end of a build: looks too early for builds without a past duration (${n(s200.ticks.waitSeconds.atMin)} waits of ≤ ${st.minLookSeconds} s). With past durations (second run): ${s200.secondRun ? n(costPerModel(s200.secondRun, c.lambdaConfig, st.tickCycle).transitions, 2) : 'n/a'}.`,
    });
    const purposes = Object.entries(s200.dataApiByPurpose)
      .slice(0, 6)
      .map(([k, v]) => `${k} ${n(v / Math.max(1, s200.modelsBuilt), 2)}`)
      .join(', ');
    targets.push({
      issue: 13,
      id: '5',
      figure: 'data_api_calls_per_model (200 models)',
      measured: n(cost.dataApiCalls, 2),
      target: '≤ 6',
      met: cost.dataApiCalls <= 6,
      goal: '≤ 3',
      goalMet: cost.dataApiCalls <= 3,
      why: `per model, by purpose: ${purposes} (build = its submit and the one DescribeStatement after it stopped running; list = one ListStatements per tick; leases and leases:status = one batch and one query (+ its result) per tick that starts builds; drop-old = one batch per tick in which full builds ended). With past durations (second run): ${s200.secondRun ? n(costPerModel(s200.secondRun, c.lambdaConfig, st.tickCycle).dataApiCalls, 2) : 'n/a'}.`,
    });
    const seq = sequentialUsdPer1000(s200);
    if (seq !== undefined) {
      const share = cost.usdPer1000 / seq;
      targets.push({
        issue: 13,
        id: '6',
        figure: 'usd_per_1000_model_rebuilds.ours ÷ .sequential_baseline (200 models)',
        measured: `${ratio(share, 3)} (${usd(cost.usdPer1000, 4)} vs ${usd(seq, 4)})`,
        target: '≤ 0.5',
        met: share <= 0.5,
        goal: '≤ 0.2',
        goalMet: share <= 0.2,
        why: `ours: ${n(cost.transitions, 2)} transitions (${usd(cost.transitions * PRICES.stepFunctionsStandardPerTransition * 1000, 4)}), ${n(cost.invocations, 2)} Lambda invocations and ${n(cost.gbSeconds, 3)} GB-s (${c.lambdaConfig.architecture}) per model — Step Functions is ${pct(cost.stepFunctionsShare, 0)} of it; the sample: ${n((s200.baselines?.sequential.transitions ?? 0) / s200.models, 1)} transitions per model (SDK integrations, no Lambda).`,
      });
    }
  }
  const s5000 = c.sims['5000'];
  const long = c.longBuilds;
  if (s5000 || long) {
    const shares = [s5000, long].flatMap((s) => (s ? [s.maxHistory.events / HISTORY_LIMIT] : []));
    const worst = Math.max(...shares);
    targets.push({
      issue: 13,
      id: '7',
      figure: 'max_history_events, 5,000 models and 100 builds of 15 min (largest execution)',
      measured: [
        s5000
          ? `${n(s5000.maxHistory.events)} (${pct(s5000.maxHistory.events / HISTORY_LIMIT)}) at 5,000`
          : 'n/a at 5,000',
        long
          ? `${n(long.maxHistory.events)} (${pct(long.maxHistory.events / HISTORY_LIMIT)}) for 100 × 15 min`
          : 'n/a for 100 × 15 min',
      ].join('; '),
      target: '≤ 50 % of 25,000',
      met: worst <= 0.5,
      why: `a tick adds ${st.historyEventsPerTick} history events (${st.tickCycle.join(' → ')}; the product budgets ${st.productHistoryEventsPerTick}); an execution continues as a new one after ${n(st.ticksPerExecution)} ticks (≈ ${n(st.ticksPerExecution * st.historyEventsPerTick)} events, ${pct((st.ticksPerExecution * st.historyEventsPerTick) / HISTORY_LIMIT, 0)})${s5000 ? `; 5,000 models took ${n(s5000.ticks.ticks)} ticks in ${count(s5000.executions.total, 'execution')}` : ''}${long ? `; 100 builds of 15 min at ${long.maxConcurrency} at once took ${n(long.ticks.ticks)} ticks in ${count(long.executions.total, 'execution')}` : ''}.`,
    });
  }
  if (s5000) {
    const share = s5000.maxPayload.bytes / PAYLOAD_LIMIT;
    targets.push({
      issue: 13,
      id: '8',
      figure: 'max_payload_bytes, 5,000 models',
      measured: `${n(s5000.maxPayload.bytes)} B (${pct(share)} of 256 KiB, ${s5000.maxPayload.where})`,
      target: '≤ 50 % of 256 KiB',
      met: share <= 0.5,
      goal: '≤ 25 %',
      goalMet: share <= 0.25,
      why: `the dispatch state is a bitset of the models still to build, the past durations of those not built yet and ≤ ${s5000.maxConcurrency} builds in flight; the largest payload is ${s5000.maxPayload.where}`,
    });
  }

  // Earlier figures (issue 6), still measured.
  if (s200?.baselines) {
    const speedup = s200.baselines.sequential.makespanSeconds / s200.makespanSeconds;
    earlier.push({
      issue: 6,
      id: '1b',
      figure: 'Speed-up over the fixed-poll sequential baseline, 200 models',
      measured: ratio(speedup, 1),
      target: '≥ 3×',
      met: speedup >= 3,
      why: 'builds run concurrently across the whole DAG',
    });
  }
  if (s200) {
    const batches = s200.buildBatches / Math.max(1, s200.modelsBuilt);
    earlier.push({
      issue: 6,
      id: '2b',
      figure: 'Build batch submissions per model',
      measured: n(batches, 2),
      target: '≤ 1',
      met: batches <= 1,
      why: 'one BatchExecuteStatement per model build (idempotent ClientToken); leases and bookkeeping are batched per tick',
    });
  }
  if (c.polls) {
    const fit = pollFits(c.polls.points, st.capReachedAfterSeconds);
    const longest = fit.longest;
    const met = longest ? longest.polls <= fit.logPrediction * 1.25 : null;
    const capMinutes = n(st.capReachedAfterSeconds / 60, 0);
    earlier.push({
      issue: 6,
      id: '2c',
      figure: 'Polls of one build vs its duration (no past duration)',
      measured: longest
        ? `${n(fit.log.b, 2)}·ln(d) up to ${capMinutes} min (R² ${n(fit.log.r2, 3)}); then +${n(fit.linear.b, 2)} per minute (${n(longest.polls)} at ${duration(longest.seconds)})`
        : 'n/a',
      target: 'no faster than logarithmic',
      met,
      why: met
        ? `the wait grows with the build's age (5 %, at least ${st.minLookSeconds} s) up to ${st.maxWaitSeconds} s, reached after ${capMinutes} min; with a past duration a build is looked at ${c.polls.withHistory.length ? `${n(Math.min(...c.polls.withHistory.map((p) => p.polls)))}–${n(Math.max(...c.polls.withHistory.map((p) => p.polls)))} times` : 'rarely'}`
        : `waits are capped at ${st.maxWaitSeconds} s (shared/refresh/polling.ts MAX_WAIT_SECONDS), reached after ${capMinutes} min; from then on every ${st.maxWaitSeconds} s costs one more look: linear growth. The logarithmic curve would give ${n(fit.logPrediction)} at ${duration(longest?.seconds)}.`,
    });
  }
  const p5000 = c.planning?.sizes['5000'];
  if (p5000) {
    earlier.push({
      issue: 6,
      id: '3c',
      figure: 'Planning 5,000 models (cold: parse manifest + DAG + select + order)',
      measured: `${n(p5000.planMsMedian, 1)} ms (warm ${n(p5000.warmPlanMsMedian, 1)} ms)`,
      target: '< 200 ms',
      met: p5000.planMsMedian < 200,
      why: 'linear-time DAG construction and ordering',
    });
  }
  if (c.reaction) {
    const e = c.reaction.event;
    earlier.push({
      issue: 6,
      id: '4a',
      figure: 'Integration event → first recovery step',
      measured: `${n(e.simulatedSeconds, 0)} s simulated (no Wait state on the path); ≈ ${n(e.modeledAwsSeconds, 1)} s modeled on AWS`,
      target: 'seconds',
      met: e.modeledAwsSeconds < 10,
      why: `EventBridge rule → reconcile → ${e.firstStep}: ${count(e.pathTransitions, 'state transition')}, ${count(e.pathLambdaInvocations, 'Lambda invocation')}, ${count(e.pathDataApiStatements, 'Data API statement')}, ${count(e.pathRdsCalls, 'RDS call')}, no Wait`,
    });
    const worst = c.reaction.watchdog.filter((w) => w.maxSeconds > w.intervalMinutes * 60);
    earlier.push({
      issue: 6,
      id: '4b',
      figure: 'Table Synced → downstream rebuild starts',
      measured: c.reaction.watchdog
        .map((w) => `${w.intervalMinutes} min watchdog: max ${duration(w.maxSeconds)}`)
        .join('; '),
      target: '≤ one watchdog interval',
      met: worst.length === 0,
      why:
        worst.length === 0
          ? 'a running resync-recovery notices within its 60 s poll; otherwise the next watchdog tick finds the finished resync episode'
          : `exceeded for ${worst.map((w) => `${w.intervalMinutes} min`).join(', ')}: with a watchdog shorter than the 60 s WaitForSync poll the poll dominates`,
    });
  }
  if (c.lambda) {
    const fns = Object.entries(c.lambda.functions);
    const compositionBytes = c.lambda.composition?.bytes ?? {};
    const compositionTotal = Math.max(
      1,
      Object.values(compositionBytes).reduce((a, b) => a + b, 0),
    );
    const topSource = Object.entries(compositionBytes).sort((a, b) => b[1] - a[1])[0];
    const big = fns.filter(([, f]) => f.kb >= 500);
    const slow = fns.filter(([, f]) => f.init_ms >= 150);
    earlier.push({
      issue: 6,
      id: '5',
      figure: 'Lambda bundle size and module initialisation, per function',
      measured: `max ${n(Math.max(...fns.map(([, f]) => f.kb)), 0)} KiB, max init ${n(Math.max(...fns.map(([, f]) => f.init_ms)), 0)} ms (median of ${c.lambda.runs})`,
      target: '< 500 KB and < 150 ms each',
      met: big.length === 0 && slow.length === 0,
      why:
        big.length === 0 && slow.length === 0
          ? 'every function is under both limits'
          : [
              big.length
                ? `over 500 KiB: ${big.map(([k, f]) => `${k} (${n(f.kb, 0)} KiB)`).join(', ')} — ${topSource ? `\`${topSource[0]}\` alone is ${pct(topSource[1] / compositionTotal)} of the largest bundle` : 'see section 5'}`
                : 'every bundle is under 500 KiB',
              slow.length
                ? `init ≥ 150 ms: ${slow.length === fns.length ? 'all functions' : slow.map(([k]) => k).join(', ')} — requiring the @aws-sdk clients alone takes ${n(median(fns.map(([, f]) => f.sdk_init_ms)), 0)} ms (section 5)`
                : `every init is under 150 ms (slowest median ${n(Math.max(...fns.map(([, f]) => f.init_ms)), 0)} ms)`,
            ].join('; '),
    });
    const overSize = fns.filter(([, f]) => f.kb > SMALL_LAMBDA_KIB);
    const overInit = fns.filter(([, f]) => f.init_ms > SMALL_LAMBDA_INIT_MS);
    const sdkCounts = fns.map(([, f]) => f.sdk_packages.length);
    earlier.push({
      issue: 16,
      id: '16.7',
      figure: 'Small Lambdas: bundle size and module initialisation, per function',
      measured: `max ${n(Math.max(...fns.map(([, f]) => f.kb)), 0)} KiB, max init ${n(Math.max(...fns.map(([, f]) => f.init_ms)), 0)} ms (median of ${c.lambda.runs}); ${Math.min(...sdkCounts)}–${Math.max(...sdkCounts)} @aws-sdk packages loaded per function`,
      target: `≤ ${SMALL_LAMBDA_KIB} KiB and ≤ ${SMALL_LAMBDA_INIT_MS} ms each`,
      met: overSize.length === 0 && overInit.length === 0,
      why: [
        overSize.length
          ? `over ${SMALL_LAMBDA_KIB} KiB: ${overSize.map(([k, f]) => `${k} (${n(f.kb, 0)} KiB)`).join(', ')}`
          : `every bundle is at most ${SMALL_LAMBDA_KIB} KiB (zod imported as a namespace, so only the schemas used are bundled)`,
        overInit.length
          ? `init over ${SMALL_LAMBDA_INIT_MS} ms: ${overInit.map(([k, f]) => `${k} (${n(f.init_ms, 0)} ms, of which the @aws-sdk packages alone ${n(f.sdk_init_ms, 0)} ms)`).join(', ')}`
          : `every init is at most ${SMALL_LAMBDA_INIT_MS} ms`,
        'each SDK client is created in its own module (shared/aws/*-client.ts), so a function loads only the clients it uses',
      ].join('; '),
    });
  }
  return [...targets, ...earlier];
}

export function resultsJson(c: Collected, targets: readonly Target[]): Record<string, unknown> {
  const byKey = <T>(keys: readonly string[], f: (s: SimResult) => T) =>
    Object.fromEntries(keys.flatMap((k) => (c.sims[k] ? [[k, f(c.sims[k] as SimResult)]] : [])));
  const st = c.structure;
  const s200 = c.sims['200'];
  const s2000 = c.sims['2000'];
  const cost = s200 ? costPerModel(s200, c.lambdaConfig, st.tickCycle) : undefined;
  const seq = s200 ? sequentialUsdPer1000(s200) : undefined;
  const fits = c.polls ? pollFits(c.polls.points, st.capReachedAfterSeconds) : undefined;
  const second = (s: SimResult) => {
    const f = s.secondRun;
    if (!f) return null;
    const k = costPerModel(f, c.lambdaConfig, st.tickCycle);
    return {
      makespan_seconds: round(f.makespanSeconds, 1),
      makespan_vs_critical_path: round(f.makespanSeconds / s.criticalPathSeconds, 3),
      makespan_vs_ideal_schedule: round(f.makespanSeconds / s.dagAwareSeconds, 3),
      transitions_per_model: round(k.transitions, 2),
      data_api_calls_per_model: round(k.dataApiCalls, 2),
      ticks: f.ticks.ticks,
      models_built: f.modelsBuilt,
      status: f.status,
    };
  };
  const withLong = <T>(sizes: Record<string, T>, f: (s: SimResult) => T) =>
    c.longBuilds ? { ...sizes, [LONG_BUILDS_KEY]: f(c.longBuilds) } : sizes;
  return {
    generated: c.machine.date,
    command: c.command,
    quick: c.quick,
    partial: c.partial,
    machine: c.machine,
    bench_seconds: round(c.benchSeconds, 1),
    load_average: c.load,
    structure: st,
    /** refresh.maxConcurrency of every refresh figure unless a size says otherwise (sizes.*.max_concurrency). */
    max_concurrency: s200?.maxConcurrency ?? null,
    makespan_vs_critical_path: byKey(MAKESPAN_SIZES, (s) =>
      round(s.makespanSeconds / s.criticalPathSeconds, 3),
    ),
    makespan_vs_ideal_schedule: byKey(MAKESPAN_SIZES, (s) => round(s.makespanSeconds / s.dagAwareSeconds, 3)),
    second_run: byKey([...MAKESPAN_SIZES, ...SCALE_SIZES], second),
    baseline_speedup: byKey(MAKESPAN_SIZES, (s) =>
      s.baselines ? round(s.baselines.sequential.makespanSeconds / s.makespanSeconds, 2) : null,
    ),
    baseline_threads4_speedup: byKey(MAKESPAN_SIZES, (s) =>
      s.baselines ? round(s.baselines.threads4.makespanSeconds / s.makespanSeconds, 2) : null,
    ),
    makespan_seconds: byKey(MAKESPAN_SIZES, (s) => round(s.makespanSeconds, 1)),
    critical_path_seconds: byKey(MAKESPAN_SIZES, (s) => s.criticalPathSeconds),
    ideal_schedule_seconds: byKey(MAKESPAN_SIZES, (s) => round(s.dagAwareSeconds, 1)),
    ideal_schedule_by_chain_length_seconds: byKey(MAKESPAN_SIZES, (s) => round(s.dagAwareByCountSeconds, 1)),
    level_barrier_vs_critical_path: byKey(MAKESPAN_SIZES, (s) =>
      round(s.levelBarrierSeconds / s.criticalPathSeconds, 3),
    ),
    dag_aware_vs_critical_path: byKey(MAKESPAN_SIZES, (s) =>
      round(s.dagAwareSeconds / s.criticalPathSeconds, 3),
    ),
    transitions_per_model: cost ? round(cost.transitions, 2) : null,
    tick_transitions_per_model: cost ? round(cost.tickTransitions, 2) : null,
    ticks_per_model: cost ? round(cost.ticks, 3) : null,
    lambda_invocations_per_model: cost ? round(cost.invocations, 2) : null,
    batches_per_model: cost ? round(cost.batches, 3) : null,
    data_api_calls_per_model: cost ? round(cost.dataApiCalls, 2) : null,
    data_api_calls_per_model_by_purpose: s200
      ? Object.fromEntries(
          Object.entries(s200.dataApiByPurpose).map(([k, v]) => [
            k,
            round(v / Math.max(1, s200.modelsBuilt), 3),
          ]),
        )
      : null,
    polls_per_model: cost ? round(cost.polls, 2) : null,
    lambda_gb_seconds_per_model: cost ? round(cost.gbSeconds, 4) : null,
    usd_per_1000_model_rebuilds: cost
      ? {
          ours: round(cost.usdPer1000, 4),
          ours_x86_64: round(cost.usdPer1000X86, 4),
          sequential_baseline: seq === undefined ? null : round(seq, 4),
          ours_vs_sequential_baseline: seq === undefined ? null : round(cost.usdPer1000 / seq, 3),
          prices: PRICES,
          architecture: c.lambdaConfig.architecture,
        }
      : null,
    polls_vs_duration: c.polls?.points ?? null,
    polls_vs_duration_with_history: c.polls?.withHistory ?? null,
    polls_fit: fits
      ? {
          log_below_cap: { a: round(fits.log.a, 2), b: round(fits.log.b, 2), r2: round(fits.log.r2, 3) },
          per_minute_after_cap: round(fits.linear.b, 2),
          cap_reached_after_seconds: st.capReachedAfterSeconds,
        }
      : null,
    max_payload_bytes: withLong(
      byKey(SCALE_SIZES, (s) => s.maxPayload.bytes),
      (s) => s.maxPayload.bytes,
    ),
    max_payload_where: withLong(
      byKey(SCALE_SIZES, (s) => s.maxPayload.where),
      (s) => s.maxPayload.where,
    ),
    max_history_events: withLong(
      byKey(SCALE_SIZES, (s) => s.maxHistory.events),
      (s) => s.maxHistory.events,
    ),
    executions: withLong(
      byKey(SCALE_SIZES, (s) => s.executions.total),
      (s) => s.executions.total,
    ),
    data_api_rate_2000: s2000
      ? {
          mean_per_second: round(s2000.dataApiRate.meanPerSecond, 2),
          peak_1s: s2000.dataApiRate.peak1s,
          peak_10s_per_second: round(s2000.dataApiRate.peak10s, 2),
          by_operation: Object.fromEntries(
            Object.entries(s2000.dataApiRate.byOperation).map(([op, r]) => [
              op,
              {
                calls: r.calls,
                mean_per_second: round(r.meanPerSecond, 3),
                peak_1s: r.peak1s,
                peak_10s_per_second: round(r.peak10s, 2),
              },
            ]),
          ),
          max_builds_in_flight: s2000.ticks.maxBuilding,
        }
      : null,
    data_api_quotas: DATA_API_QUOTAS,
    plan_ms: c.planning
      ? Object.fromEntries(Object.entries(c.planning.sizes).map(([k, v]) => [k, round(v.planMsMedian, 2)]))
      : null,
    plan_warm_ms: c.planning
      ? Object.fromEntries(
          Object.entries(c.planning.sizes).map(([k, v]) => [k, round(v.warmPlanMsMedian, 2)]),
        )
      : null,
    plan_memory_mb: c.planning
      ? Object.fromEntries(Object.entries(c.planning.sizes).map(([k, v]) => [k, round(v.retainedHeapMb, 2)]))
      : null,
    manifest_bytes: c.planning
      ? Object.fromEntries(Object.entries(c.planning.sizes).map(([k, v]) => [k, v.manifestBytes]))
      : null,
    lambda: c.lambda
      ? Object.fromEntries(
          Object.entries(c.lambda.functions).map(([k, v]) => [
            k,
            {
              kb: round(v.kb, 1),
              init_ms: round(v.init_ms, 1),
              zip_kb: round(v.zip_kb, 1),
              map_kb: round(v.map_kb, 1),
            },
          ]),
        )
      : null,
    local_start_seconds: c.local ? round(c.local.start.medianSeconds, 1) : null,
    local_start_peak_rss_mb: c.local ? round(Math.max(...c.local.start.peakRssMb), 0) : null,
    local_e2e_seconds: c.local ? round(c.local.e2e.medianSeconds, 1) : null,
    local_e2e_peak_rss_mb: c.local ? round(Math.max(...c.local.e2e.peakRssMb), 0) : null,
    reaction: c.reaction
      ? {
          event_to_first_recovery_step_simulated_seconds: c.reaction.event.simulatedSeconds,
          event_to_first_recovery_step_modeled_aws_seconds: round(c.reaction.event.modeledAwsSeconds, 2),
          synced_to_rebuild_seconds: Object.fromEntries(
            c.reaction.watchdog.map((w) => [
              `${w.intervalMinutes}min`,
              { mean: round(w.meanSeconds, 1), max: round(w.maxSeconds, 1) },
            ]),
          ),
        }
      : null,
    ...(c.changeAware?.available
      ? {
          change_aware: {
            models_built: c.changeAware.models_built,
            models_total: c.changeAware.models_total,
            decision_queries: c.changeAware.decision_queries,
            tables_changed: c.changeAware.tables_changed,
            tables_total: c.changeAware.tables_total,
            models_downstream_of_changed: c.changeAware.models_downstream_of_changed,
            unchanged_refresh_models_built: c.changeAware.unchanged_refresh_models_built,
            warehouse_seconds: c.changeAware.warehouse_seconds,
            full_refresh_warehouse_seconds: c.changeAware.full_refresh_warehouse_seconds,
          },
        }
      : {}),
    targets: targets.map((t) => ({
      issue: t.issue,
      id: t.id,
      figure: t.figure,
      measured: t.measured,
      target: t.target,
      met: t.met,
      ...(t.goal === undefined ? {} : { goal: t.goal, goal_met: t.goalMet ?? null }),
    })),
    sizes: Object.fromEntries(
      [...Object.entries(c.sims), ...(c.longBuilds ? [[LONG_BUILDS_KEY, c.longBuilds] as const] : [])].map(
        ([k, s]) => [
          k,
          {
            models: s.models,
            max_concurrency: s.maxConcurrency,
            levels: s.levels,
            status: s.status,
            makespan_seconds: s.makespanSeconds,
            critical_path_seconds: s.criticalPathSeconds,
            ideal_schedule_seconds: s.dagAwareSeconds,
            executions: s.executions,
            transitions: s.transitions,
            transitions_by_state: s.transitionsByState,
            ticks: s.ticks,
            lambda_invocations: s.lambdaInvocations,
            data_api: s.dataApi,
            data_api_by_purpose: s.dataApiByPurpose,
            notice_lag_seconds: s.noticeLagSeconds,
            max_history_events: s.maxHistory.events,
            max_payload_bytes: s.maxPayload.bytes,
            second_run: s.secondRun
              ? {
                  makespan_seconds: s.secondRun.makespanSeconds,
                  transitions: s.secondRun.transitions,
                  ticks: s.secondRun.ticks,
                  data_api: s.secondRun.dataApi,
                  notice_lag_seconds: s.secondRun.noticeLagSeconds,
                  status: s.secondRun.status,
                }
              : null,
            baselines: s.baselines ?? null,
          },
        ],
      ),
    ),
    removed_keys: {
      loop_transitions_per_model:
        'no per-model poll loop any more: every build shares the dispatcher tick (see tick_transitions_per_model)',
      worst_case_chunk_history_events: `no chunks any more: the long-builds refresh is max_history_events["${LONG_BUILDS_KEY}"]`,
      'structure.chunkSize, structure.chunksAtOnce, structure.pollCycle, structure.historyEventsPerPoll, structure.maxPollSeconds':
        'curated-build and its chunks are gone; structure now describes the dispatcher loop',
    },
    skipped: c.skipped,
    errors: c.errors,
  };
}

export function markdown(c: Collected, targets: readonly Target[]): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  const m = c.machine;
  push(
    `# Benchmarks${c.quick ? ' (quick run)' : ''}`,
    '',
    `<!-- Generated by \`${c.command}\` (bench/run.ts). Do not edit by hand: run it again. -->`,
    '',
    `Generated by \`${c.command}\` on ${m.date.slice(0, 10)} (${m.date}), in ${duration(c.benchSeconds)}.`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.nproc} cores (nproc)`],
        ['memory', `${n(m.memoryGiB, 1)} GiB`],
        ['Node.js', m.node],
        ['OS', m.os],
        ['code', `${m.commit}${m.dirty ? ' + uncommitted changes' : ''}`],
        [
          'load average (1 min) at start / end',
          `${n(c.load.start, 2)} / ${n(c.load.end, 2)} (other processes share this machine)`,
        ],
      ],
    ),
    '',
  );
  if (c.quick || c.partial)
    push(
      `> ${c.quick ? 'Quick run (`--quick`): smaller sizes and fewer repeats; the scale sizes, reaction latency and local-stack timings are skipped.' : 'Partial run.'} Written to \`bench/results.quick.json\` and \`bench/benchmarks.quick.md\`, never over the full report.`,
      '',
    );
  const concurrency = c.sims['200']?.maxConcurrency;
  const issue13 = targets.filter((t) => t.issue === 13);
  const earlier = targets.filter((t) => t.issue !== 13);
  push(
    'Counts and ratios are the headline. Times of simulated refreshes are **simulated** (a discrete-event clock driven by the real state machines and handlers; independent of this machine). Wall-clock times (planning, Lambda initialisation, local stack) are medians of repeated runs on the machine above.',
    '',
    `Every refresh figure runs with **refresh.maxConcurrency = ${concurrency ?? 'n/a'}** (the project schema's maximum, ${c.structure.maxConcurrencyLimit}; the level-by-level design ran 4 chunks × 10 builds = 40 at once) unless a row says otherwise.`,
    '',
    '## Targets (issue 13, "must reach")',
    '',
    table(
      ['#', 'figure', 'measured', 'must reach', 'result', 'goal', 'goal'],
      issue13.map((t) => [
        t.id,
        t.figure,
        t.measured,
        t.target,
        mark(t.met),
        t.goal ?? '—',
        t.goal === undefined ? '—' : mark(t.goalMet ?? null),
      ]),
    ),
    '',
    'Why, target by target:',
    '',
    ...issue13.map((t) => `- **${t.id}** ${mark(t.met)} — ${t.why}`),
    '',
  );
  if (earlier.length > 0)
    push(
      '### Other targets (issues 6 and 16), still measured',
      '',
      table(
        ['#', 'figure', 'measured', 'target', 'result'],
        earlier.map((t) => [t.id, t.figure, t.measured, t.target, mark(t.met)]),
      ),
      '',
      ...earlier.map((t) => `- **${t.id}** ${mark(t.met)} — ${t.why}`),
      '',
    );
  const errors = Object.entries(c.errors);
  if (errors.length > 0) {
    push('**Sections that failed** (their figures are missing):', '');
    for (const [k, v] of errors) push(`- \`${k}\`: ${v.split('\n')[0]}`);
    push('');
  }
  if (c.skipped.length > 0) push(`Skipped in this run: ${c.skipped.join(', ')}.`, '');

  push(...methodSection(c));
  push(...makespanSection(c));
  push(...costSection(c));
  push(...scaleSection(c));
  push(...dataApiRateSection(c));
  push(...reactionSection(c));
  push(...lambdaSection(c));
  push(...localSection(c));
  push(...changeAwareSection(c));
  push(...overheadSection(c));
  return `${out.join('\n').trim()}\n`;
}

function methodSection(c: Collected): string[] {
  const st = c.structure;
  return [
    '## How the refresh figures are measured',
    '',
    '- **DAGs**: synthetic curated projects compiled with the real `compileProject` (local/synthetic/project.ts): one staging model per landing table (40 % of the models), three layers of intermediate models, then facts, marts and reports; most models read the layer above, some reach further up, so levels taper. 15 % of non-staging models are incremental. Seeded.',
    `- **SQL durations**: seeded log-normal, median ${SQL_DURATIONS.medianSeconds} s, σ ${SQL_DURATIONS.sigma}, truncated to ${SQL_DURATIONS.minSeconds} s – ${SQL_DURATIONS.maxSeconds / 60} min. The warehouse has unlimited capacity (a build takes its duration however many run at once), for us and for the baselines alike.`,
    `- **Our refresh**: the real \`statemachines/curated-refresh.asl.json\` — ${st.states} states; its dispatcher loop is ${st.tickCycle.join(' → ')} — runs in aws-local-stepfunctions through the project's \`LocalStepFunctions\` runner, with the real Lambda handlers in-process and the real AWS SDK mocked by a modeled Data API (bench/lib/modeled-data-api.ts). Every SQL statement the handlers send really runs (PGlite through the local stack's Redshift dialect, against empty landing tables), so leases, bookkeeping, change detection and the run log behave as written; a build batch commits at its modeled finish time and reports STARTED until then (also in ListStatements: name prefix, status filter, 100 a page, newest first). The batch's \`SYSDATE\` is its submit time (on Redshift, the start of its transaction), so the run log holds each build's real window and a later refresh reads real past durations. ContinueAsNew (startExecution.sync:2 of the machine itself) starts a real continuation execution.`,
    `- **Second run**: after the first refresh, every landing table moves its replication position and the same DAG is refreshed again: every model builds, now with its past duration (plan-refresh's \`expected\`), so the dispatcher waits until just after each expected finish. (A \`fullRefresh\` would not do: with unchanged inputs the lease read answers "already built from the same inputs" and nothing is rebuilt — see the last section.)`,
    "- **Time**: a discrete-event clock (bench/lib/virtual-time.ts) replaces `setTimeout` while a refresh runs: Wait states wait their real `SecondsPath` seconds, modeled latencies are sleeps, and the clock jumps to the next pending wake-up once every promise chain has settled — concurrent waits overlap exactly as on AWS. The runner's Wait-state shortening is switched off per instance (bench/lib/sim-runner.ts).",
    '- **Critical path**: the longest chain of SQL durations through the DAG (the physical limit, 1.0). **Ideal schedule**: a zero-overhead list schedule of the same DAG at the same concurrency, longest remaining path (in seconds) first, each model started the moment its upstreams are built (bench/lib/dag-bounds.ts) — the limit when concurrency, not the critical path, binds. "By chain length" is the same schedule ordered by the longest remaining chain counted in models: the best a dispatcher that knows no durations can aim for with that rule. Σ max(level) is the limit of any level-by-level design.',
    "- **Polls**: a build's polls are the DescribeStatement calls about it plus its share of each ListStatements call (one call divided equally among the builds in flight at that moment); looks are the ListStatements calls made while it was in flight.",
    "- **Baselines** (bench/lib/baselines.ts, same DAG, durations, Data API model and clock): *sequential* — the public samples' state machine (bench/baseline/sequential-poll.asl.json: ExecuteStatement through the SDK integration, fixed 10 s Wait, DescribeStatement, Choice; models one at a time in dependency order), run in aws-local-stepfunctions; *threads=4* — dbt-like: a model starts when all its upstreams are built, 4 at a time, each polled every 10 s.",
    '',
    'Modeled AWS latencies (typical warm round trips, assumed — there is no AWS account here; the ratios barely move with them because builds take seconds to minutes):',
    '',
    table(
      ['latency', 'ms'],
      Object.entries(LATENCY_MS).map(([k, v]) => [k, n(v)]),
    ),
    '',
  ];
}

function makespanSection(c: Collected): string[] {
  const rows: string[][] = [];
  for (const [k, s] of Object.entries(c.sims)) {
    if (!MAKESPAN_SIZES.includes(k) && !k.includes('@')) continue;
    const label = k.includes('@') ? `${n(s.models)} (maxConcurrency ${s.maxConcurrency})` : n(s.models);
    const row = (what: string, f: RefreshFigures, baselines: boolean) => [
      what,
      s.levels.join(' / '),
      duration(s.criticalPathSeconds),
      `${duration(s.dagAwareSeconds)} (by chain length ${duration(s.dagAwareByCountSeconds)})`,
      `${duration(f.makespanSeconds)}`,
      ratio(f.makespanSeconds / s.criticalPathSeconds, 3),
      ratio(f.makespanSeconds / s.dagAwareSeconds, 3),
      ratio(s.levelBarrierSeconds / s.criticalPathSeconds),
      baselines && s.baselines
        ? `${duration(s.baselines.sequential.makespanSeconds)} (${ratio(s.baselines.sequential.makespanSeconds / f.makespanSeconds, 1)} ours)`
        : '—',
      baselines && s.baselines
        ? `${duration(s.baselines.threads4.makespanSeconds)} (${ratio(s.baselines.threads4.makespanSeconds / f.makespanSeconds, 2)} ours)`
        : '—',
    ];
    rows.push(row(label, s, true));
    if (s.secondRun) rows.push(row(`${label}, second run (past durations)`, s.secondRun, false));
  }
  const s200 = c.sims['200'];
  const s200at10 = c.sims['200@10'];
  return [
    '## 1. Makespan versus the critical path and the ideal schedule',
    '',
    `One refresh per DAG (refresh.maxConcurrency ${s200?.maxConcurrency ?? 'n/a'} unless the row says otherwise); a second run of the same DAG with every model's past duration where the row says so. Ratios are to the critical path and to the ideal schedule at the same concurrency.`,
    '',
    table(
      [
        'models',
        'models per level',
        'critical path',
        'ideal schedule (same concurrency)',
        'our makespan',
        '÷ critical path',
        '÷ ideal',
        'Σ max(level)',
        'baseline: sequential, 10 s poll',
        'baseline: dbt-like threads=4, 10 s poll',
      ],
      rows,
    ),
    '',
    s200
      ? `At 200 models the first run (no history) takes ${duration(s200.makespanSeconds)}, the second (past durations) ${s200.secondRun ? duration(s200.secondRun.makespanSeconds) : 'n/a'}. Over the critical path, the first run spends: ${overheadWhy(s200)}.${s200.secondRun ? ` The second run: ${overheadWhy(s200, s200.secondRun)}.` : ''}${s200at10 ? ` At the project default maxConcurrency 10 the same DAG takes ${duration(s200at10.makespanSeconds)} (${ratio(s200at10.makespanSeconds / s200at10.criticalPathSeconds, 3)} of the critical path, ${ratio(s200at10.makespanSeconds / s200at10.dagAwareSeconds, 3)} of its ideal schedule ${duration(s200at10.dagAwareSeconds)}): most of the speed-up over threads=4 at 200 and 2,000 models is concurrency.` : ''} Simulated makespans are independent of this machine (simulation wall time: ${Object.entries(
          c.sims,
        )
          .map(([k, s]) => `${k}: ${duration(s.realSeconds)}`)
          .join(', ')}).`
      : '',
    '',
    'Both baselines run on the same modeled warehouse. The sequential one is what a single public-sample execution does; as one execution its history would pass 25,000 events long before 2,000 models (see its history column below), so in practice it must be split across executions — its makespan does not change.',
    '',
    table(
      [
        'models',
        'sequential: history events',
        'sequential: transitions',
        'sequential: Data API calls',
        'threads=4: Data API calls',
      ],
      Object.entries(c.sims)
        .filter(([, s]) => s.baselines)
        .map(([k, s]) => [
          k,
          n(s.baselines?.sequential.historyEvents),
          n(s.baselines?.sequential.transitions),
          n(s.baselines?.sequential.dataApiCalls),
          n(s.baselines?.threads4.dataApiCalls),
        ]),
    ),
    '',
  ];
}

function costSection(c: Collected): string[] {
  const st = c.structure;
  const rows: string[][] = [];
  for (const [k, s] of Object.entries(c.sims)) {
    const row = (label: string, f: RefreshFigures, seq: number | undefined) => {
      const cost = costPerModel(f, c.lambdaConfig, st.tickCycle);
      return [
        label,
        ...costCells(cost),
        seq === undefined ? '—' : `${usd(seq, 3)} (ours ${ratio(cost.usdPer1000 / seq, 2)})`,
      ];
    };
    rows.push(row(k, s, sequentialUsdPer1000(s)));
    if (s.secondRun) rows.push(row(`${k}, second run`, s.secondRun, sequentialUsdPer1000(s)));
  }
  if (c.longBuilds) rows.push([`${LONG_BUILDS_KEY} (100 builds of 15 min)`, ...rowOfLong(c)]);
  const lines = [
    '## 2. Cost per model rebuild',
    '',
    `Counted from the same real executions (all executions of a refresh, divided by models built). Prices: ${PRICES.asOf} — Step Functions Standard $0.025 per 1,000 state transitions; Lambda $0.20 per 1M requests plus $${PRICES.lambdaPerGbSecondX86} per GB-s (x86_64) or $${PRICES.lambdaPerGbSecondArm64} per GB-s (arm64, what serverless.yml configures: ${c.lambdaConfig.architecture}, ${c.lambdaConfig.defaultMemoryMb} MB). Billed duration is the modeled time inside each handler (mostly waiting for the Data API). Data API calls are not billed; the warehouse compute they trigger is the same for every orchestrator and is not counted.`,
    '',
    table(
      [
        'models',
        'transitions / model',
        `of which the loop (${st.tickCycle.join(', ')})`,
        'ticks / model',
        'Lambda invocations / model',
        'polls / model',
        'build batches / model',
        'Data API calls / model',
        'GB-s / model',
        `$ / 1,000 rebuilds (${c.lambdaConfig.architecture})`,
        '$ / 1,000 (x86_64)',
        '$ / 1,000, sequential baseline (transitions only)',
      ],
      rows,
    ),
    '',
  ];
  const s200 = c.sims['200'];
  if (s200) {
    const per = (v: number) => n(v / Math.max(1, s200.modelsBuilt), 3);
    const purposes = Object.keys({ ...s200.dataApiByPurpose, ...(s200.secondRun?.dataApiByPurpose ?? {}) });
    lines.push(
      '### Where the Data API calls go (200 models, per model built)',
      '',
      table(
        ['purpose (statement name after `zeo:<run>:`)', 'first run', 'second run'],
        purposes.map((p) => [
          p,
          per(s200.dataApiByPurpose[p] ?? 0),
          s200.secondRun ? per(s200.secondRun.dataApiByPurpose[p] ?? 0) : '—',
        ]),
      ),
      '',
      `Ticks at 200 models: ${n(s200.ticks.ticks)} (${n(s200.ticks.withStarts)} started builds, ${n(s200.ticks.withEnds)} saw builds end, ${n(s200.ticks.idle)} did neither; on average ${n(s200.ticks.meanBuilding, 1)} builds in flight after a tick, at most ${n(s200.ticks.maxBuilding)})${s200.secondRun ? `; second run ${n(s200.secondRun.ticks.ticks)} (${n(s200.secondRun.ticks.idle)} idle)` : ''}.`,
      '',
    );
  }
  if (c.polls) {
    const fit = pollFits(c.polls.points, st.capReachedAfterSeconds);
    const lag = (seconds: number) => (Number.isFinite(seconds) ? `${n(seconds, 1)} s` : 'n/a');
    const late = c.polls.withHistory.filter((p) => p.noticeLagSeconds > 5);
    lines.push(
      '### Polls of one build versus its duration',
      '',
      `Each model of fixed duration refreshed alone (selected by name), once without and once with its past duration. Polls = ListStatements calls while it ran + its DescribeStatement calls; transitions are the whole refresh's; "noticed after" is how long after its SQL ended the dispatcher saw it.`,
      '',
      table(
        [
          'statement duration',
          'polls',
          'looks / describes',
          'transitions (refresh)',
          'noticed after',
          'with past duration: polls',
          'transitions',
          'noticed after',
        ],
        c.polls.points.map((p, i) => {
          const h = c.polls?.withHistory[i];
          return [
            duration(p.seconds),
            n(p.polls),
            `${n(p.looks)} / ${n(p.describes)}`,
            n(p.transitions),
            lag(p.noticeLagSeconds),
            h ? n(h.polls) : '—',
            h ? n(h.transitions) : '—',
            h ? lag(h.noticeLagSeconds) : '—',
          ];
        }),
      ),
      '',
      `Without history, up to ${n(st.capReachedAfterSeconds / 60, 0)} minutes the polls fit ${n(fit.log.a, 1)} + ${n(fit.log.b, 2)}·ln(seconds) (R² ${n(fit.log.r2, 3)}): logarithmic (the wait is 5 % of the build's age, at least ${st.minLookSeconds} s). Past the ${st.maxWaitSeconds} s cap they grow by ${n(fit.linear.b, 2)} per minute: linear. With a past duration the dispatcher aims its look just after the expected finish, but no wait is longer than ${st.maxWaitSeconds} s, so a long build is still looked at about once a minute; and when that look comes before the end, the next waits 5 % of the build's age: ${late.length === 0 ? 'no build here was seen more than 5 s late' : `${count(late.length, 'build')} of ${c.polls.withHistory.length} here ${late.length === 1 ? 'was' : 'were'} seen more than 5 s late (${late.map((p) => `${duration(p.seconds)}: ${lag(p.noticeLagSeconds)}`).join(', ')}) — see the last section`}. In a refresh the looks are shared: one ListStatements serves every build in flight.`,
      '',
    );
  }
  return lines;
}

function rowOfLong(c: Collected): string[] {
  const s = c.longBuilds;
  if (!s) return [];
  return [...costCells(costPerModel(s, c.lambdaConfig, c.structure.tickCycle)), '—'];
}

/** The per-model cost columns of the cost tables, in their order. */
function costCells(cost: ReturnType<typeof costPerModel>): string[] {
  return [
    n(cost.transitions, 2),
    n(cost.tickTransitions, 2),
    n(cost.ticks, 3),
    n(cost.invocations, 2),
    n(cost.polls, 2),
    n(cost.batches, 2),
    n(cost.dataApiCalls, 2),
    n(cost.gbSeconds, 3),
    usd(cost.usdPer1000, 3),
    usd(cost.usdPer1000X86, 3),
  ];
}

function scaleSection(c: Collected): string[] {
  const st = c.structure;
  const simRow = (label: string, s: SimResult | undefined, k: string) => {
    const p = c.planning?.sizes[k];
    return [
      label,
      s
        ? `${n(s.maxPayload.bytes)} B (${pct(s.maxPayload.bytes / PAYLOAD_LIMIT)}) — ${s.maxPayload.where}`
        : 'n/a',
      s ? `${n(s.maxHistory.events)} (${pct(s.maxHistory.events / HISTORY_LIMIT)})` : 'n/a',
      s ? n(s.parentHistoryEvents) : 'n/a',
      s ? `${n(s.executions.total)} (${n(s.ticks.ticks)} ticks)` : 'n/a',
      p ? `${n(p.planMsMedian, 1)} ms` : 'n/a',
      p ? `${n(p.warmPlanMsMedian, 2)} ms` : 'n/a',
      p ? `${n(p.retainedHeapMb, 1)} MB` : 'n/a',
      p ? `${n(p.manifestBytes / 1024 / 1024, 2)} MiB` : 'n/a',
      s ? `${n(s.peakRssMb)} MB` : 'n/a',
    ];
  };
  const rows = SCALE_SIZES.flatMap((k) =>
    c.sims[k] || c.planning?.sizes[k] ? [simRow(n(Number(k)), c.sims[k], k)] : [],
  );
  if (c.longBuilds) rows.push(simRow('100 builds of 15 min', c.longBuilds, ''));
  return [
    '## 3. Scale limits',
    '',
    `Payloads are the JSON sizes of every state input and output and every execution input and output seen in the real executions (the limit is 256 KiB). History events are estimated per execution from aws-local-stepfunctions' event log with the mapping below (the limit is 25,000); a tick adds ${st.historyEventsPerTick} (${st.tickCycle.join(' → ')}), and an execution continues as a new one after ${n(st.ticksPerExecution)} ticks. Planning is parse manifest + build DAG + select + order (\`indexManifest\`, \`selectedModels\`, \`topologicalLevels\`: what plan-refresh does in a fresh container before its warehouse reads), median of repeated runs; warm reuses the DAG; memory is the heap the indexed manifest retains (after GC).`,
    '',
    table(
      [
        'models',
        'largest payload',
        'largest history (one execution)',
        'first execution history',
        'executions',
        'plan (cold)',
        'plan (warm)',
        'DAG in memory',
        'manifest (bundled in each Lambda)',
        'simulation peak RSS',
      ],
      rows,
    ),
    '',
    'aws-local-stepfunctions event → AWS history events:',
    '',
    table(
      ['local event', 'AWS history events'],
      HISTORY_MAPPING_DOC.map(([a, b]) => [a, b]),
    ),
    '',
  ];
}

function dataApiRateSection(c: Collected): string[] {
  const s = c.sims['2000'];
  const q = DATA_API_QUOTAS;
  const lines = ['## Data API request rates and quotas', ''];
  if (!s) return [...lines, 'The 2,000-model refresh was not run.', ''];
  const r = s.dataApiRate;
  lines.push(
    `Calls the 2,000-model refresh made (first run, maxConcurrency ${s.maxConcurrency}, ${duration(s.makespanSeconds)}), per second: over the whole refresh, in the busiest second and in the busiest 10 seconds.`,
    '',
    table(
      ['operation', 'calls', 'mean / s', 'busiest second', 'busiest 10 s (per s)'],
      [
        ...Object.entries(r.byOperation).map(([op, x]) => [
          op,
          n(x.calls),
          n(x.meanPerSecond, 2),
          n(x.peak1s),
          n(x.peak10s, 1),
        ]),
        ['all', n(s.dataApi.total), n(r.meanPerSecond, 2), n(r.peak1s), n(r.peak10s, 1)],
      ],
    ),
    '',
    `Documented limits: ${q.activeStatements.value} ${q.activeStatements.what} — ${q.activeStatements.source}. Request rates per operation: **${q.requestRates.source}**.`,
    '',
    `How the dispatcher stays under them: at most refresh.maxConcurrency (≤ ${c.structure.maxConcurrencyLimit}) builds are in flight at once (${n(s.ticks.maxBuilding)} at most here), far below ${q.activeStatements.value} active statements; one ListStatements per tick serves every build in flight (one page: ≤ 40 builds), and a DescribeStatement is made only for a build that stopped running; submits and describes run a bounded number at a time (\`PARALLEL_CALLS\` in functions/dispatch-builds/core.ts); the tick's bookkeeping is one lease batch, one status query and at most one drop batch whatever the number of models. On average that is ${n(r.meanPerSecond, 2)} calls per second. The bursts are the submits of a tick that fills many free slots at once (BatchExecuteStatement ${n(r.byOperation.BatchExecuteStatement?.peak1s)} in its busiest second) and the describes of builds that ended together; against the unconfirmed third-party figures (ExecuteStatement ${q.requestRates.unconfirmedThirdParty.ExecuteStatement}/s, DescribeStatement ${q.requestRates.unconfirmedThirdParty.DescribeStatement}/s) such a burst could be throttled — the step maps ThrottlingException and the Active*Exceeded errors to DataApiThrottledError, which the state machine retries with backoff (docs/aws-assumptions.md "data-api-quotas-unknown"), so throttling slows a tick, never fails a model.`,
    '',
  );
  return lines;
}

/** Where the overhead that remains goes, derived from the measurements (product changes, not made here). */
function overheadSection(c: Collected): string[] {
  const lines = ['## Where the remaining overhead goes', ''];
  const s2000 = c.sims['2000'];
  const s200 = c.sims['200'];
  if (s2000) {
    const order = s2000.dagAwareByCountSeconds / s2000.dagAwareSeconds;
    const rest = s2000.makespanSeconds / s2000.dagAwareByCountSeconds;
    const slotIdle =
      (s2000.maxConcurrency * s2000.makespanSeconds - s2000.durations.sumSeconds) /
      Math.max(1, s2000.modelsBuilt);
    const overOrder =
      ((s2000.makespanSeconds - s2000.dagAwareByCountSeconds) * s2000.maxConcurrency) /
      Math.max(1, s2000.modelsBuilt);
    lines.push(
      `- **2,000 models, first run: ${ratio(s2000.makespanSeconds / s2000.dagAwareSeconds, 3)} of the ideal schedule.** Here concurrency binds (ideal ${duration(s2000.dagAwareSeconds)} vs critical path ${duration(s2000.criticalPathSeconds)}; capacity bound Σ durations ÷ ${s2000.maxConcurrency} = ${duration(s2000.capacitySeconds)}), so what counts is which ready model gets a free slot and how long a slot stays empty. Order: without past durations the dispatcher ranks ready models by their longest remaining chain with the same guess for every unknown duration; the zero-overhead schedule with that ordering is already ${ratio(order, 3)} of the ideal. Overhead: our makespan is a further ${ratio(rest, 3)} of that schedule. Slots not running SQL add up to ${n(slotIdle, 1)} s per build (${s2000.maxConcurrency} slots × ${duration(s2000.makespanSeconds)} − Σ durations, over ${n(s2000.modelsBuilt)} builds, ordering and the DAG's narrow stretches included); the part beyond the by-chain-length schedule is ≈ ${n(overOrder, 1)} s per build — the lag until a tick sees a build's end (mean ${n(s2000.noticeLagSeconds.mean, 1)} s) plus the tick's own work before it submits the next (ListStatements, describes, drop batch, lease batch and status query, then the submits a few at a time). With every slot busy, each of those seconds delays the whole refresh. ${s2000.secondRun ? `With past durations (second run) the order is informed: ${ratio(s2000.secondRun.makespanSeconds / s2000.dagAwareSeconds, 3)} of the ideal.` : ''}`,
    );
  }
  if (s200?.secondRun) {
    const a = s200;
    const b = s200.secondRun;
    lines.push(
      `- **200 models, second run (${duration(b.makespanSeconds)}) vs first (${duration(a.makespanSeconds)}).** ${b.makespanSeconds > a.makespanSeconds ? `Past durations did not help here: ${n(b.lateNotices)} builds were seen more than 5 s after their end (first run: ${n(a.lateNotices)}), the worst ${n(b.noticeLagSeconds.max, 1)} s late. A build is recorded as submitted at the tick's start (\`at: now\`) while its batch reaches the warehouse after the tick's lease batch and status query, and the recorded duration is truncated to the second (GETDATE()), so a build expected to end at \`at + expected\` often ends just after the look scheduled one second later (shared/refresh/polling.ts EXPECTED_SLACK_SECONDS); the next look then waits 5 % of the build's age.` : 'Past durations let the dispatcher look just after each expected finish.'} Ticks: ${n(a.ticks.ticks)} → ${n(b.ticks.ticks)}.`,
    );
  }
  if (s200) {
    const cost = costPerModel(s200, c.lambdaConfig, c.structure.tickCycle);
    lines.push(
      `- **Transitions and Data API calls (200 models).** ${n(cost.ticks, 2)} ticks per model, ${n(s200.ticks.idle)} of ${n(s200.ticks.ticks)} idle: the ${c.structure.minLookSeconds} s minimum look for builds with no history dominates the first run; per tick the fixed calls are one ListStatements, and when builds start one lease batch and one status query (+ its result), when full builds end one drop batch.`,
    );
  }
  lines.push('');
  return lines;
}

function reactionSection(c: Collected): string[] {
  const r = c.reaction;
  if (!r) return ['## 4. Reaction latency', '', 'Skipped in this run.', ''];
  const e = r.event;
  const lines = [
    '## 4. Reaction latency',
    '',
    'On the embedded local stack (real ASL and handlers, the zero-ETL simulator emitting the events AWS would, the EventBridge rules and the watchdog schedule of serverless.yml), in simulated time.',
    '',
    `**Integration event → first recovery step.** The simulator fails the integration (REDSHIFT-INTEGRATION-EVENT-0007); the rule starts reconcile, which re-reads the state and starts integration-recovery; its first state is ${e.firstStep}. Simulated latency: ${n(e.simulatedSeconds, 0)} s — no Wait state lies on the path. The path is ${count(e.pathTransitions, 'state transition')}, ${count(e.pathLambdaInvocations, 'Lambda invocation')}, ${count(e.pathDataApiStatements, 'Data API statement')} and ${count(e.pathRdsCalls, 'RDS call')}; with the modeled latencies above plus EventBridge delivery and StartExecution that is ≈ ${n(e.modeledAwsSeconds, 1)} s on AWS. (Local wall time for the same path, measured while other simulations ran: ${n(e.realMs)} ms.)`,
    '',
    `**Table Synced → its downstream rebuild starts**, per watchdog interval. A resync (ResyncRequired → ResyncInitiated → Synced, ${r.resyncStepSeconds.map((s) => `${s} s`).join(' / ')} per step in turn, so the table turns Synced inside a poll interval) starts at several moments after a watchdog tick; latency is from the moment the table is Synced to the first event of the rebuild (curated-refresh started by resync-recovery). Resolution: ${r.stepSeconds} s steps of simulated time.`,
    '',
    table(
      ['watchdog', 'resync starts after a tick', 'resync took', 'Synced → rebuild', 'how it was noticed'],
      r.watchdog.flatMap((w) =>
        w.trials.map((t) => [
          `${w.intervalMinutes} min`,
          duration(t.phaseSeconds),
          duration(t.resyncSeconds),
          duration(t.latencySeconds),
          t.path,
        ]),
      ),
    ),
    '',
    table(
      ['watchdog', 'mean', 'max', '≤ interval?'],
      r.watchdog.map((w) => [
        `${w.intervalMinutes} min`,
        duration(w.meanSeconds),
        duration(w.maxSeconds),
        w.maxSeconds <= w.intervalMinutes * 60 ? 'yes' : 'no',
      ]),
    ),
    '',
    'Two regimes: a resync that outlasts a watchdog tick is already being watched by resync-recovery, which polls every 60 s (latency ≤ 60 s whatever the interval); a resync that starts and ends between two ticks is found by the next tick (SYS_INTEGRATION_TABLE_STATE_CHANGE episodes), so its latency is bounded by the interval.',
    '',
  ];
  return lines;
}

function lambdaSection(c: Collected): string[] {
  const l = c.lambda;
  if (!l) return ['## 5. Lambda footprint', '', 'Skipped in this run.', ''];
  const lines = [
    '## 5. Lambda footprint',
    '',
    `From \`npm run package\` (serverless-esbuild, minified, \`@aws-sdk/*\` excluded; ${l.packaged ? `packaged in ${duration(l.packageSeconds)}` : 'existing package reused'}). Size is \`functions/<name>/handler.js\` in KiB (1 KiB = 1,024 B); the zip also carries the source map. Init is the median over ${l.runs} fresh \`node\` processes of the time to \`require\` the bundle with a stubbed Lambda environment (the excluded \`@aws-sdk/*\` clients resolve from node_modules, as the runtime's copy would on AWS; the runtime's own bootstrap is not included). Initialisation times move with the machine's load (${n(c.load.start, 1)} → ${n(c.load.end, 1)} during this run); the fastest run shows the unloaded floor.`,
    '',
    table(
      [
        'function',
        'handler.js',
        'zip',
        'source map',
        'init (median)',
        'init (fastest)',
        'of which @aws-sdk clients',
        'init runs (ms)',
      ],
      Object.entries(l.functions).map(([k, f]) => [
        k,
        `${n(f.kb, 0)} KiB${f.kb > SMALL_LAMBDA_KIB ? ' ⚠' : ''}`,
        `${n(f.zip_kb, 0)} KiB`,
        `${n(f.map_kb, 0)} KiB`,
        `${n(f.init_ms, 0)} ms${f.init_ms > SMALL_LAMBDA_INIT_MS ? ' ⚠' : ''}`,
        `${n(Math.min(...f.init_runs), 0)} ms`,
        `${n(f.sdk_init_ms, 0)} ms (${f.sdk_packages.length})`,
        f.init_runs.map((x) => n(x, 0)).join(', '),
      ]),
    ),
    '',
  ];
  const sdkSets = [...new Set(Object.values(l.functions).map((f) => f.sdk_packages.join(', ')))];
  if (sdkSets.length > 0)
    lines.push(
      sdkSets.length === 1
        ? `Every bundle requires the same ${count(Object.values(l.functions)[0]?.sdk_packages.length ?? 0, '@aws-sdk client')} when it loads (${sdkSets[0]}); requiring them alone takes the time in the "of which" column.`
        : 'Each bundle requires only the @aws-sdk clients its function uses (one module per client, shared/aws/*-client.ts); the "of which" column is the time to require them alone.',
      '',
    );
  const composition = l.composition;
  if (composition) {
    const total = Object.values(composition.bytes).reduce((a, b) => a + b, 0);
    lines.push(
      `Where the bytes of the largest bundle (${composition.function}) come from, by source-map attribution:`,
      '',
      table(
        ['source', 'KiB', 'share'],
        Object.entries(composition.bytes)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([k, v]) => [k, n(v / 1024, 0), pct(v / total)]),
      ),
      '',
    );
  }
  const big = c.planning?.sizes['5000'];
  if (big)
    lines.push(
      `The compiled manifest is bundled into every function (\`.build/manifest.json\` above, for the shop example). For a 5,000-model project it is ${n(big.manifestCompactBytes / 1024 / 1024, 2)} MiB as compact JSON (${n(big.manifestBytes / 1024 / 1024, 2)} MiB as written), so every bundle would grow by about that much, and every cold start would parse it.`,
      '',
    );
  return lines;
}

function localSection(c: Collected): string[] {
  const l = c.local;
  if (!l) return ['## 6. Local stack', '', 'Skipped in this run.', ''];
  return [
    '## 6. Local stack',
    '',
    `Wall time and peak memory (maximum resident set size of the process tree, GNU time) on the machine above; the load average moved ${n(c.load.start, 1)} → ${n(c.load.end, 1)} during this run (other processes share the machine).`,
    '',
    table(
      ['command', 'runs (s)', 'median', 'peak RSS', 'exit'],
      [
        [
          '`npm start` (the scripted scenario)',
          l.start.runs.map((x) => n(x, 1)).join(', '),
          duration(l.start.medianSeconds),
          `${n(Math.max(...l.start.peakRssMb))} MB`,
          l.start.ok.map((ok) => (ok ? 'ok' : 'failed')).join(', '),
        ],
        [
          '`npx vitest run test/e2e`',
          l.e2e.runs.map((x) => n(x, 1)).join(', '),
          duration(l.e2e.medianSeconds),
          `${n(Math.max(...l.e2e.peakRssMb))} MB`,
          l.e2e.ok.map((ok, i) => `${ok ? 'ok' : 'failed'} (${l.e2e.summary[i] ?? ''})`).join(', '),
        ],
      ],
    ),
    '',
  ];
}

function changeAwareSection(c: Collected): string[] {
  const a = c.changeAware;
  if (!a) return [];
  if (!a.available)
    return [
      '## Change-aware refreshes (issue 8)',
      '',
      `Not measured: ${a.reason ?? 'change detection is not available'}.`,
      '',
    ];
  return [
    '## Change-aware refreshes (issue 8)',
    '',
    `A ${a.models_total}-model DAG on the modeled warehouse: a full refresh, then a refresh with no change, then a refresh after ${a.tables_changed} of ${a.tables_total} landing tables (${pct(a.tables_changed / a.tables_total, 0)}) moved their replication position.`,
    '',
    table(
      ['figure', 'value'],
      [
        [
          'models built after the change',
          `${n(a.models_built)} of ${n(a.models_total)} (downstream of the changed tables: ${n(a.models_downstream_of_changed)})`,
        ],
        ['models built by a refresh right after a refresh', n(a.unchanged_refresh_models_built)],
        [
          'warehouse reads to decide (the plan step)',
          `${n(a.decision_queries)} (${a.decision_query_names.join(', ')})`,
        ],
        [
          'modeled warehouse seconds vs a full refresh',
          `${n(a.warehouse_seconds)} s vs ${n(a.full_refresh_warehouse_seconds)} s (${pct(a.warehouse_seconds / Math.max(1, a.full_refresh_warehouse_seconds))})`,
        ],
        [
          'makespan vs a full refresh',
          `${duration(a.makespan_seconds)} vs ${duration(a.full_refresh_makespan_seconds)}`,
        ],
        ['executions', a.status],
      ],
    ),
    '',
  ];
}
