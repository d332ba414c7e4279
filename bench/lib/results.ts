/** Shapes of what each section measures (written as JSON by the sections, read by bench/run.ts). */

export interface BaselineFigures {
  makespanSeconds: number;
  transitions: number;
  historyEvents: number;
  dataApiCalls: number;
  polls: number;
}

export interface SimResult {
  models: number;
  maxConcurrency: number;
  seed: number;
  status: string;
  levels: number[];
  durations: { sumSeconds: number; medianSeconds: number; maxSeconds: number; minSeconds: number };
  criticalPathSeconds: number;
  criticalChain: number;
  levelBarrierSeconds: number;
  structureSeconds: number;
  dagAwareSeconds: number;
  makespanSeconds: number;
  noticeLagSeconds: { mean: number; max: number };
  executions: { total: number; byMachine: Record<string, number> };
  transitions: number;
  lambdaInvocations: number;
  functions: Record<string, { invocations: number; billedMs: number }>;
  dataApi: Record<string, number>;
  modelsBuilt: number;
  buildBatches: number;
  pollsPerModel: { mean: number; median: number; max: number };
  loopTransitionsPerModel: { mean: number; median: number; max: number };
  maxHistory: { events: number; machine: string; execution: string };
  maxPayload: { bytes: number; where: string; machine: string };
  parentHistoryEvents: number;
  baselines?: { sequential: BaselineFigures; threads4: BaselineFigures };
  realSeconds: number;
  peakRssMb: number;
}

export interface PollsResult {
  points: { seconds: number; polls: number; loopTransitions: number; noticeLagSeconds: number }[];
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
