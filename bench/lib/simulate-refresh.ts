import { loadDefinitions } from '../../local/sfn/definitions.js';
import { eventPayloads, historyWeight, type StateIndex, stateIndex } from '../../local/sfn/history.js';
import { type EventLog, type ExecutionRecord, LocalStepFunctions } from '../../local/sfn/runner.js';
import { WAREHOUSE_ROLE_ENV } from '../../shared/aws/warehouse-role.js';
import { indexManifest } from '../../shared/graph/plan.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { MAX_WAIT_SECONDS, MIN_LOOK_SECONDS } from '../../shared/refresh/polling.js';
import type { StepWiring } from '../../shared/runtime/wiring/step-wiring.js';
import { type DataApiCounts, installModeledDataApi, type ModeledDataApi } from './modeled-data-api.js';
import type { CallRate, DataApiRate } from './results.js';
import { type FunctionUsage, onVirtualTime, timedFunctions } from './sim-runner.js';
import { VirtualTime } from './virtual-time.js';

/**
 * Curated refreshes on the discrete-event clock: the real curated-refresh ASL (its dispatcher loop, and
 * the executions it continues as) in aws-local-stepfunctions, the real Lambda handlers in-process, the
 * modeled Data API behind the real SDK. Each refresh returns its simulated makespan and everything
 * counted on the way: executions, state transitions (by state), Lambda invocations, Data API calls (by
 * operation and by purpose), dispatcher ticks, history events and payload sizes.
 */

export const SIM_START = Date.parse('2026-05-01T00:00:00Z');

export interface ExecutionStats {
  machine: string;
  name: string;
  transitions: number;
  lambdaInvocations: number;
  historyEvents: number;
  maxPayloadBytes: number;
  maxPayloadWhere: string;
}

export interface RefreshSimulation {
  models: number;
  status: string;
  output: unknown;
  /** Virtual time the refresh started at (ms). */
  startedAtMs: number;
  makespanMs: number;
  executions: ExecutionStats[];
  transitions: number;
  lambdaInvocations: number;
  functions: Record<string, FunctionUsage>;
  dataApi: DataApiCounts & { total: number };
  /** Data API calls by purpose (see ModeledDataApi.callsByPurpose). */
  dataApiByPurpose: Record<string, number>;
  /** Statement names of the queries whose rows were read. */
  queries: string[];
  eventsPut: number;
  /** Polls per model build: its DescribeStatement calls plus its share of the ListStatements calls. */
  pollsPerModel: Record<string, number>;
  /** DescribeStatement calls per model build. */
  describesPerModel: Record<string, number>;
  /** ListStatements calls made while each model's build was in flight. */
  looksPerModel: Record<string, number>;
  /** State transitions (states entered) by state name, over every execution of the refresh. */
  transitionsByState: Record<string, number>;
  /** What the dispatcher ticks did (from each DispatchBuilds output's `last` report). */
  ticks: TickStats;
  dataApiRate: DataApiRate;
  /** Queries (statements whose rows were read) issued before PlanRefresh returned: the plan's reads. */
  planQueries: string[];
  /** Build batches submitted, with their modeled SQL window and when the state machine noticed the end. */
  builds: { model: string; submittedAt: number; finishAt: number; noticedAt: number }[];
  realMs: number;
}

export interface TickStats {
  ticks: number;
  /** Ticks that neither started nor saw the end of any build (a look too early). */
  idle: number;
  withStarts: number;
  withEnds: number;
  /** Most builds in flight after a tick. */
  maxBuilding: number;
  /** Mean builds in flight after a tick. */
  meanBuilding: number;
  /** Waits the ticks asked for (WaitForBuilds seconds): sum and count by value bucket. */
  waitSeconds: { sum: number; atMax: number; atMin: number };
}

interface DispatchOutput {
  waitSeconds?: number;
  next?: string;
  last?: { started?: unknown[]; finished?: unknown[]; failed?: unknown[]; building?: unknown[] };
}

/** Calls per second: mean over `spanMs`, and in the busiest 1 s and 10 s windows. */
function rate(times: readonly number[], spanMs: number): CallRate {
  const sorted = [...times].sort((a, b) => a - b);
  const peak = (windowMs: number) => {
    let best = 0;
    for (let i = 0, j = 0; j < sorted.length; j++) {
      while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= windowMs) i++;
      best = Math.max(best, j - i + 1);
    }
    return best / (windowMs / 1000);
  };
  return {
    meanPerSecond: spanMs > 0 ? sorted.length / (spanMs / 1000) : 0,
    peak1s: peak(1000),
    peak10s: peak(10_000),
  };
}

export function dataApiRate(calls: readonly { at: number; op: string }[], spanMs: number): DataApiRate {
  const ops = [...new Set(calls.map((c) => c.op))].sort();
  return {
    ...rate(
      calls.map((c) => c.at),
      spanMs,
    ),
    byOperation: Object.fromEntries(
      ops.map((op) => {
        const times = calls.filter((c) => c.op === op).map((c) => c.at);
        return [op, { calls: times.length, ...rate(times, spanMs) }];
      }),
    ),
  };
}

export class RefreshBench {
  private constructor(
    readonly manifest: Manifest,
    readonly vt: VirtualTime,
    readonly dataApi: ModeledDataApi,
    private readonly cleanup: () => void,
  ) {}

  /** The handlers run with this project and on virtual time. */
  private get wiring(): Partial<StepWiring> {
    const index = indexManifest(this.manifest);
    return { manifest: () => index, now: () => this.vt.date() };
  }

  static async create(manifest: Manifest, durations: ReadonlyMap<string, number>): Promise<RefreshBench> {
    // The Data API steps sign as the stack's warehouse role (shared/aws/redshift-data-client.ts); the modeled Data
    // API replaces the client's send, so the role is never assumed, but it must be named.
    const previousRole = process.env[WAREHOUSE_ROLE_ENV];
    process.env[WAREHOUSE_ROLE_ENV] ||= 'arn:aws:iam::123456789012:role/zeo-bench-warehouse';
    const cleanup = () => {
      if (previousRole === undefined) delete process.env[WAREHOUSE_ROLE_ENV];
      else process.env[WAREHOUSE_ROLE_ENV] = previousRole;
    };
    // One clock for the Data API model and for the handlers' notion of "now" (given to them as wiring).
    const vt = new VirtualTime(SIM_START);
    const dataApi = await installModeledDataApi({ vt, manifest, durations });
    return new RefreshBench(manifest, vt, dataApi, cleanup);
  }

  /** Runs `body` on virtual time until it settles; returns its value and the virtual time it took. */
  async simulate<T>(body: () => Promise<T>): Promise<{ value: T; virtualMs: number }> {
    const { vt } = this;
    vt.install();
    try {
      const started = vt.now();
      let settled = false;
      let value: T | undefined;
      let failure: unknown;
      body().then(
        (v) => {
          value = v;
          settled = true;
        },
        (error: unknown) => {
          failure = error ?? new Error('simulation failed');
          settled = true;
        },
      );
      await vt.run(() => settled);
      if (failure !== undefined) throw failure;
      return { value: value as T, virtualMs: vt.now() - started };
    } finally {
      vt.uninstall();
    }
  }

  async refresh(input: Record<string, unknown>, name: string): Promise<RefreshSimulation> {
    const realStart = performance.now();
    const { vt, dataApi } = this;
    dataApi.resetCounts();
    const describes = dataApi.describesPerModel;
    const usage = new Map<string, FunctionUsage>();
    // Imported here, after the environment is set: the handlers' logger reads it when first loaded.
    const { localFunctions } = await import('../../local/sfn/functions.js');
    const definitions = loadDefinitions();
    const indexes = new Map<string, StateIndex>(
      Object.entries(definitions).map(([machine, d]) => [machine, stateIndex(d)]),
    );
    const stats = new Map<ExecutionRecord, ExecutionStats>();
    const byState = new Map<string, number>();
    const ticks: TickStats = {
      ticks: 0,
      idle: 0,
      withStarts: 0,
      withEnds: 0,
      maxBuilding: 0,
      meanBuilding: 0,
      waitSeconds: { sum: 0, atMax: 0, atMin: 0 },
    };
    let buildingSum = 0;
    let planQueries: string[] | undefined;
    let failure: string | undefined;
    const onEvent = (record: ExecutionRecord, event: EventLog) => {
      const stateName = event.state?.name;
      if (event.type === 'StateEntered' && stateName === 'NotifyRefreshError' && failure === undefined) {
        const error = (event.state?.input as { error?: { Error?: string; Cause?: string } } | undefined)
          ?.error;
        failure = `${error?.Error ?? 'error'}: ${String(error?.Cause ?? '').slice(0, 2000)}`;
      }
      if (event.type === 'StateEntered' && stateName !== undefined)
        byState.set(stateName, (byState.get(stateName) ?? 0) + 1);
      if (event.type === 'StateExited' && stateName === 'DispatchBuilds') {
        const out = event.state?.output as DispatchOutput | undefined;
        const started = out?.last?.started?.length ?? 0;
        const ended = (out?.last?.finished?.length ?? 0) + (out?.last?.failed?.length ?? 0);
        const building = out?.last?.building?.length ?? 0;
        ticks.ticks++;
        if (started > 0) ticks.withStarts++;
        if (ended > 0) ticks.withEnds++;
        if (started === 0 && ended === 0) ticks.idle++;
        ticks.maxBuilding = Math.max(ticks.maxBuilding, building);
        buildingSum += building;
        if (out?.next === 'wait') {
          const wait = out.waitSeconds ?? 0;
          ticks.waitSeconds.sum += wait;
          if (wait >= MAX_WAIT_SECONDS) ticks.waitSeconds.atMax++;
          if (wait <= MIN_LOOK_SECONDS) ticks.waitSeconds.atMin++;
        }
      }
      let s = stats.get(record);
      if (!s) {
        s = {
          machine: record.machine,
          name: record.name,
          transitions: 0,
          lambdaInvocations: 0,
          historyEvents: 0,
          maxPayloadBytes: 0,
          maxPayloadWhere: '',
        };
        stats.set(record, s);
      }
      s.historyEvents += historyWeight(event, indexes.get(record.machine) ?? new Map());
      for (const p of eventPayloads(event)) {
        if (p.bytes > s.maxPayloadBytes) {
          s.maxPayloadBytes = p.bytes;
          s.maxPayloadWhere = p.where;
        }
      }
      // Keep only execution-level events: the runner reads the failure from them, and the state-level
      // events of thousands of builds (with their inputs and outputs) would only fill the heap.
      if (!event.type.startsWith('Execution')) record.events.length = 0;
    };
    const sfn = new LocalStepFunctions({
      definitions,
      functions: timedFunctions(localFunctions(undefined, this.wiring), vt, usage, (key) => {
        if (key === 'planRefresh' && planQueries === undefined) planQueries = [...dataApi.queries];
      }),
      onEvent,
    });
    onVirtualTime(sfn, vt);
    const startedAtMs = vt.now();
    const { value: record, virtualMs: makespanMs } = await this.simulate(
      () => sfn.start('CuratedRefreshStateMachine', input, name).done,
    );
    ticks.meanBuilding = ticks.ticks > 0 ? buildingSum / ticks.ticks : 0;
    const polls = new Map(describes);
    for (const [model, share] of dataApi.listSharePerModel) polls.set(model, (polls.get(model) ?? 0) + share);
    for (const e of sfn.executions) {
      const s = stats.get(e);
      if (s) {
        s.transitions = e.transitions;
        s.lambdaInvocations = e.lambdaInvocations;
      }
    }
    return {
      models: this.manifest.models.length,
      status: `${record.status}${record.error ? ` ${record.error}: ${record.cause ?? ''}` : ''}${failure ? ` [${failure}]` : ''}`,
      output: record.output,
      startedAtMs,
      makespanMs,
      executions: [...stats.values()],
      transitions: sfn.executions.reduce((n, e) => n + e.transitions, 0),
      lambdaInvocations: sfn.executions.reduce((n, e) => n + e.lambdaInvocations, 0),
      functions: Object.fromEntries(usage),
      dataApi: { ...dataApi.counts, total: dataApi.total() },
      dataApiByPurpose: Object.fromEntries([...dataApi.callsByPurpose].sort((a, b) => b[1] - a[1])),
      queries: [...dataApi.queries],
      pollsPerModel: Object.fromEntries(polls),
      describesPerModel: Object.fromEntries(describes),
      looksPerModel: Object.fromEntries(dataApi.looksPerModel),
      transitionsByState: Object.fromEntries([...byState].sort((a, b) => b[1] - a[1])),
      ticks,
      dataApiRate: dataApiRate(dataApi.callLog, makespanMs),
      planQueries: planQueries ?? [],
      eventsPut: dataApi.eventsPut,
      builds: dataApi.builds.map((b) => ({ ...b, noticedAt: dataApi.noticedAt.get(b.model) ?? b.finishAt })),
      realMs: performance.now() - realStart,
    };
  }

  async close(): Promise<void> {
    this.dataApi.restore();
    await this.dataApi.close();
    this.cleanup();
  }
}
