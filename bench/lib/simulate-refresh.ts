import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefinitions } from '../../local/sfn/definitions.js';
import { type EventLog, type ExecutionRecord, LocalStepFunctions } from '../../local/sfn/runner.js';
import { serializeManifest } from '../../shared/project/compile.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { clock } from '../../shared/runtime/clock.js';
import { eventPayloads, historyWeight, type StateIndex, stateIndex } from './history.js';
import { type DataApiCounts, installModeledDataApi, type ModeledDataApi } from './modeled-data-api.js';
import { type FunctionUsage, onVirtualTime, timedFunctions } from './sim-runner.js';
import { VirtualTime } from './virtual-time.js';

/**
 * Curated refreshes on the discrete-event clock: the real curated-refresh and curated-build ASL in
 * aws-local-stepfunctions, the real Lambda handlers in-process, the modeled Data API behind the real
 * SDK. Each refresh returns its simulated makespan and everything counted on the way: executions,
 * state transitions, Lambda invocations, Data API calls, history events and payload sizes.
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
  makespanMs: number;
  executions: ExecutionStats[];
  transitions: number;
  lambdaInvocations: number;
  functions: Record<string, FunctionUsage>;
  dataApi: DataApiCounts & { total: number };
  /** Statement names of the queries whose rows were read. */
  queries: string[];
  eventsPut: number;
  /** DescribeStatement calls (polls) per model build. */
  pollsPerModel: Record<string, number>;
  /** State transitions inside each model's Map iteration of curated-build (the per-model loop). */
  transitionsPerModel: Record<string, number>;
  /** Queries (statements whose rows were read) issued before PlanRefresh returned: the plan's reads. */
  planQueries: string[];
  /** Build batches submitted, with their modeled SQL window and when the state machine noticed the end. */
  builds: { model: string; submittedAt: number; finishAt: number; noticedAt: number }[];
  realMs: number;
}

export class RefreshBench {
  private constructor(
    readonly manifest: Manifest,
    readonly vt: VirtualTime,
    readonly dataApi: ModeledDataApi,
    private readonly cleanup: () => void,
  ) {}

  static async create(manifest: Manifest, durations: ReadonlyMap<string, number>): Promise<RefreshBench> {
    const dir = mkdtempSync(join(tmpdir(), 'zeo-bench-'));
    const manifestPath = join(dir, 'manifest.json');
    writeFileSync(manifestPath, serializeManifest(manifest));
    const previousManifest = process.env.ZEO_MANIFEST_PATH;
    process.env.ZEO_MANIFEST_PATH = manifestPath;
    let restoreClock: () => void = () => undefined;
    const cleanup = () => {
      restoreClock();
      if (previousManifest === undefined) delete process.env.ZEO_MANIFEST_PATH;
      else process.env.ZEO_MANIFEST_PATH = previousManifest;
      rmSync(dir, { recursive: true, force: true });
    };
    // One clock for the Data API model and for the handlers' notion of "now".
    const vt = new VirtualTime(SIM_START);
    restoreClock = clock.use({ now: () => vt.date() });
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
    const perModel = new Map<string, number>();
    let planQueries: string[] | undefined;
    const onEvent = (record: ExecutionRecord, event: EventLog) => {
      if (record.machine === 'CuratedBuildStateMachine' && event.type === 'StateEntered') {
        const index = typeof event.index === 'number' ? event.index : undefined;
        const items = (record.input as { items?: { model?: string }[] }).items;
        const model = index === undefined ? undefined : items?.[index]?.model;
        if (model !== undefined) perModel.set(model, (perModel.get(model) ?? 0) + 1);
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
      functions: timedFunctions(localFunctions(), vt, usage, (key) => {
        if (key === 'planRefresh' && planQueries === undefined) planQueries = [...dataApi.queries];
      }),
      onEvent,
    });
    onVirtualTime(sfn, vt);
    const { value: record, virtualMs: makespanMs } = await this.simulate(
      () => sfn.start('CuratedRefreshStateMachine', input, name).done,
    );
    for (const e of sfn.executions) {
      const s = stats.get(e);
      if (s) {
        s.transitions = e.transitions;
        s.lambdaInvocations = e.lambdaInvocations;
      }
    }
    return {
      models: this.manifest.models.length,
      status: `${record.status}${record.error ? ` ${record.error}: ${record.cause ?? ''}` : ''}`,
      output: record.output,
      makespanMs,
      executions: [...stats.values()],
      transitions: sfn.executions.reduce((n, e) => n + e.transitions, 0),
      lambdaInvocations: sfn.executions.reduce((n, e) => n + e.lambdaInvocations, 0),
      functions: Object.fromEntries(usage),
      dataApi: { ...dataApi.counts, total: dataApi.total() },
      queries: [...dataApi.queries],
      pollsPerModel: Object.fromEntries(describes),
      transitionsPerModel: Object.fromEntries(perModel),
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
