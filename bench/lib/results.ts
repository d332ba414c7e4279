/** Shapes of what each section measures (written as JSON by the sections, read by bench/run.ts). */
import type { TickStats } from './simulate-refresh.js';

export interface BaselineFigures {
  makespanSeconds: number;
  transitions: number;
  historyEvents: number;
  dataApiCalls: number;
  polls: number;
}

export interface CallRate {
  meanPerSecond: number;
  peak1s: number;
  /** Calls per second in the busiest 10-second window. */
  peak10s: number;
}

export interface DataApiRate extends CallRate {
  byOperation: Record<string, CallRate & { calls: number }>;
}

export interface Spread {
  mean: number;
  median: number;
  max: number;
}

/** One refresh's own figures (a simulation runs one, or two: the second with past durations). */
export interface RefreshFigures {
  status: string;
  makespanSeconds: number;
  /** Until the first build was submitted (plan: bookkeeping, table states, model states, run plan). */
  firstSubmitSeconds: number;
  /** From the last build's SQL end to the end of the execution (notice, summary). */
  tailSeconds: number;
  /** How long after its SQL ended each build was seen ended. */
  noticeLagSeconds: Spread;
  /** How long after its last upstream's SQL ended each build was submitted (roots: after the first submit). */
  startDelaySeconds: Spread;
  /** Builds seen ended more than 5 s after their SQL ended. */
  lateNotices: number;
  /**
   * Along the DAG's critical chain (longest chain of SQL durations): Σ of the waits between an
   * upstream's SQL end and the next model's submit (notice lag + tick work + any wait for a slot).
   */
  criticalChainWaitSeconds: number;
  executions: { total: number; byMachine: Record<string, number> };
  transitions: number;
  transitionsByState: Record<string, number>;
  lambdaInvocations: number;
  functions: Record<string, { invocations: number; billedMs: number }>;
  dataApi: Record<string, number>;
  dataApiByPurpose: Record<string, number>;
  modelsBuilt: number;
  buildBatches: number;
  /** DescribeStatement calls per build plus its share of the ListStatements calls. */
  pollsPerModel: Spread;
  describesPerModel: Spread;
  /** ListStatements calls made while a build was in flight. */
  looksPerModel: Spread;
  ticks: TickStats;
  maxHistory: { events: number; machine: string; execution: string };
  maxPayload: { bytes: number; where: string; machine: string };
  /** History events of the first execution (the one a person starts). */
  parentHistoryEvents: number;
  /** Data API calls per second: over the whole refresh, in its busiest 1-second and 10-second windows. */
  dataApiRate: DataApiRate;
  realSeconds: number;
}

export interface SimResult extends RefreshFigures {
  models: number;
  maxConcurrency: number;
  seed: number;
  levels: number[];
  durations: { sumSeconds: number; medianSeconds: number; maxSeconds: number; minSeconds: number };
  criticalPathSeconds: number;
  criticalChain: number;
  levelBarrierSeconds: number;
  /** Zero-overhead DAG-aware list schedule at maxConcurrency (the ideal schedule). */
  dagAwareSeconds: number;
  /** The ideal schedule ordered by remaining chain length in models (no durations known). */
  dagAwareByCountSeconds: number;
  /** Σ durations ÷ maxConcurrency. */
  capacitySeconds: number;
  /** The same DAG refreshed again (fullRefresh) with every model's past duration in the run log. */
  secondRun?: RefreshFigures;
  baselines?: { sequential: BaselineFigures; threads4: BaselineFigures };
  peakRssMb: number;
}

/** One build alone in a refresh (selected by name): how often it is looked at, without and with history. */
export interface PollPoint {
  seconds: number;
  /** ListStatements calls while it ran + its DescribeStatement calls. */
  polls: number;
  looks: number;
  describes: number;
  /** State transitions of the whole refresh of this one model. */
  transitions: number;
  noticeLagSeconds: number;
}

export interface PollsResult {
  /** First build of each model: no past duration. */
  points: PollPoint[];
  /** The same model built again: the dispatcher waits for its past duration. */
  withHistory: PollPoint[];
  status: string;
}

export interface ChangeAwareResult {
  available: boolean;
  reason?: string;
  models_total: number;
  tables_total: number;
  tables_changed: number;
  models_built: number;
  models_downstream_of_changed: number;
  decision_queries: number;
  decision_query_names: string[];
  unchanged_refresh_models_built: number;
  warehouse_seconds: number;
  full_refresh_warehouse_seconds: number;
  full_refresh_makespan_seconds: number;
  makespan_seconds: number;
  status: string;
}

export interface PlanningResult {
  sizes: Record<
    string,
    {
      models: number;
      edges: number;
      levels: number;
      manifestBytes: number;
      manifestCompactBytes: number;
      planMsMedian: number;
      warmPlanMsMedian: number;
      runs: number;
      retainedHeapMb: number;
    }
  >;
  gcExposed: boolean;
}

export interface LambdaResult {
  packaged: boolean;
  packageSeconds: number | null;
  functions: Record<
    string,
    {
      kb: number;
      zip_kb: number;
      map_kb: number;
      init_ms: number;
      init_runs: number[];
      /** The @aws-sdk packages the bundle requires at load, and the median time to require them alone. */
      sdk_packages: string[];
      sdk_init_ms: number;
    }
  >;
  runs: number;
  /** Median time to require each @aws-sdk client alone. */
  sdkSingleMs: Record<string, number>;
  /** Source-map attribution of the largest bundle's bytes (by npm package or project folder). */
  composition?: { function: string; bytes: Record<string, number> };
}

export interface ReactionResult {
  event: {
    simulatedSeconds: number;
    realMs: number;
    pathTransitions: number;
    pathLambdaInvocations: number;
    pathDataApiStatements: number;
    pathRdsCalls: number;
    modeledAwsSeconds: number;
    firstStep: string;
  };
  watchdog: {
    intervalMinutes: number;
    trials: { phaseSeconds: number; resyncSeconds: number; latencySeconds: number; path: string }[];
    meanSeconds: number;
    maxSeconds: number;
  }[];
  stepSeconds: number;
  resyncStepSeconds: number[];
  realSeconds: number;
}

export interface LocalResult {
  start: { runs: number[]; medianSeconds: number; peakRssMb: number[]; ok: boolean[] };
  e2e: { runs: number[]; medianSeconds: number; peakRssMb: number[]; ok: boolean[]; summary: string[] };
}
