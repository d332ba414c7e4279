import { type LocalOrchestrator, type LocalOrchestratorOptions, startLocalOrchestrator } from './app.js';
import { MACHINE_NAME_OF_ID } from './sfn/definitions.js';
import type { EventLog, ExecutionRecord } from './sfn/runner.js';

/**
 * `npm start`: the orchestrator's whole job on the embedded stack, with expected outcomes checked at
 * every step. Any step that does not reach its outcome ends the scenario with a non-zero exit.
 */

/** 08:00 UTC: the hourly schedule (hh:05) fires once in step 3 and never during the resync of step 4. */
export const SCENARIO_START = new Date('2026-04-01T08:00:00.000Z');

export interface ScenarioReporter {
  step(title: string): void;
  info(line: string): void;
  ok(line: string): void;
  /** Every execution event, for a live progress display. */
  onEvent?: (record: ExecutionRecord, event: EventLog) => void;
}

export class ScenarioFailure extends Error {
  override name = 'ScenarioFailure';
}

interface ModelRow {
  model: string;
  rows: number;
  lastBuild: string;
  builds: number;
}

export interface ScenarioSummary {
  models: ModelRow[];
  executions: { machine: string; succeeded: number; failed: number }[];
  transitions: number;
  lambdaInvocations: number;
  dataApiCalls: number;
  eventsEmitted: number;
  simulatedHours: number;
}

const MACHINE_LABEL = MACHINE_NAME_OF_ID;

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ScenarioFailure(message);
}

async function count(app: LocalOrchestrator, relation: string): Promise<number> {
  const rows = await app.stack.warehouse.query(`SELECT count(*)::int AS n FROM ${relation}`);
  return Number((rows[0] as { n?: unknown } | undefined)?.n ?? -1);
}

async function builtModels(app: LocalOrchestrator, runId: string): Promise<string[]> {
  const rows = (await app.stack.warehouse.query(
    `SELECT model FROM zeo.run_log WHERE run_id = '${runId}' AND status = 'success' ORDER BY model`,
  )) as { model: string }[];
  return rows.map((r) => r.model);
}

function finished(app: LocalOrchestrator, machine: string, since: number): ExecutionRecord[] {
  return app.sfn.executions.slice(since).filter((e) => e.machine === machine);
}

/** What a caller may add to the scenario's stack (tests that instrument every step). */
export type ScenarioOptions = Pick<LocalOrchestratorOptions, 'instrument'>;

export async function runScenario(
  reporter: ScenarioReporter,
  options: ScenarioOptions = {},
): Promise<ScenarioSummary> {
  const started = Date.now();
  reporter.step('Start the embedded stack: Aurora source, zero-ETL integration, initial load');
  const app = await startLocalOrchestrator({
    ...options,
    // A fixed simulated start: which hourly firings fall inside each step (and so what each step
    // rebuilds) must not depend on the time of day the scenario runs.
    startAt: SCENARIO_START,
    ...(reporter.onEvent ? { onEvent: reporter.onEvent } : {}),
    onExecution: (record) => {
      reporter.info(`▶ ${MACHINE_LABEL[record.machine] ?? record.machine} ${record.name}`);
      void record.done.then((r) =>
        reporter.info(
          `${r.status === 'SUCCEEDED' ? '✓' : '✗'} ${MACHINE_LABEL[r.machine] ?? r.machine} ${r.name}: ${r.status}${r.error ? ` (${r.error})` : ''}, ${r.transitions} state transitions`,
        ),
      );
    },
  });
  const t0 = app.stack.clock.now().getTime();
  try {
    const landing = app.manifest.project.landing.database;
    expect(
      (await count(app, `"${landing}"."public"."orders"`)) === 600,
      'the initial load did not replicate 600 orders',
    );
    reporter.ok(
      `integration active, ${landing} loaded (600 orders) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    reporter.step('Full curated refresh');
    const full = app.start('curated-refresh', { trigger: 'manual' }, 'initial-full-refresh');
    await full.done;
    expect(full.status === 'SUCCEEDED', `the full refresh failed: ${full.cause ?? ''}`);
    expect(
      (await builtModels(app, full.name)).length === app.manifest.models.length,
      'not every model was built',
    );
    reporter.ok(
      `${app.manifest.models.length} models built; reporting.fct_orders has ${await count(app, 'reporting.fct_orders')} rows`,
    );

    reporter.step('New orders and updates in the source, replicated, then the hourly schedule fires');
    await app.stack.source.exec(`
      INSERT INTO public.orders SELECT g, 1 + g % 120, 'placed', TIMESTAMP '2026-04-01 09:00:00' + g * INTERVAL '1 minute', TIMESTAMP '2026-04-01 09:00:00' + g * INTERVAL '1 minute' FROM generate_series(601, 640) AS g;
      INSERT INTO public.order_items SELECT g, 1, 1 + g % 40, 2, 10.00 FROM generate_series(601, 640) AS g;
      UPDATE public.customers SET region = 'north', updated_at = TIMESTAMP '2026-04-01 09:00:00' WHERE customer_id = 7;`);
    const before = app.sfn.executions.length;
    await app.advance(65 * 60_000); // past the next hh:05
    await app.settle();
    // Schedule-started executions have generated names (as on AWS): the schedule's input says which.
    const hourly = finished(app, 'CuratedRefreshStateMachine', before).filter(
      (e) => (e.input as { group?: string } | undefined)?.group === 'hourly',
    );
    expect(
      hourly.length >= 1 && hourly.every((e) => e.status === 'SUCCEEDED'),
      'the hourly refresh did not run or failed',
    );
    expect(
      (await count(app, 'reporting.fct_orders')) === 640,
      'the new orders did not reach reporting.fct_orders',
    );
    const hourlyCounts = (hourly[0]?.output as { counts?: { built: number; unchanged: number } } | undefined)
      ?.counts;
    expect(
      (hourlyCounts?.unchanged ?? 0) >= 1,
      'the hourly refresh rebuilt models whose inputs had not changed',
    );
    reporter.ok(
      `hourly refresh built the ${hourlyCounts?.built} models whose inputs changed and skipped ${hourlyCounts?.unchanged} unchanged; reporting.fct_orders now has 640 rows`,
    );

    reporter.step('A source table resyncs; the watchdog notices and rebuilds exactly what is downstream');
    const beforeResync = app.sfn.executions.length;
    await app.stack.simulator.resyncTable('public', 'orders', { reason: 'source DDL' });
    await app.advance(5 * 60_000);
    await app.settle();
    const resyncs = finished(app, 'ResyncRecoveryStateMachine', beforeResync);
    expect(
      resyncs.length === 1 && resyncs[0]?.status === 'SUCCEEDED',
      `resync recovery did not succeed once (${resyncs.map((r) => r.status).join(', ')})`,
    );
    const rebuild = app.sfn.executions.find((e) => e.name === `${resyncs[0]?.name}-rebuild`);
    const rebuilt = await builtModels(app, rebuild?.name ?? '');
    const expected = [
      'customer_lifetime_value',
      'daily_revenue',
      'fct_orders',
      'fct_shipments',
      'region_kpis',
    ];
    expect(
      JSON.stringify(rebuilt) === JSON.stringify(expected),
      `the resync rebuilt ${rebuilt.join(', ')} instead of ${expected.join(', ')}`,
    );
    reporter.ok(`public.orders went ResyncRequired → Synced; rebuilt only ${rebuilt.join(', ')}`);

    reporter.step(
      'The integration fails (REDSHIFT-INTEGRATION-EVENT-0007): recreate it and rebuild everything',
    );
    const beforeFailure = app.sfn.executions.length;
    const oldArn = app.manifest.project.landing.integrationArn;
    await app.stack.simulator.failIntegration('0007');
    await app.advance(60_000);
    await app.settle();
    const recoveries = finished(app, 'IntegrationRecoveryStateMachine', beforeFailure);
    expect(
      recoveries.length === 1 && recoveries[0]?.status === 'SUCCEEDED',
      `integration recovery did not succeed once: ${recoveries.map((r) => `${r.status} ${r.cause ?? ''}`).join('; ')}`,
    );
    const live = app.stack.integrations.describe();
    expect(live.length === 1 && live[0]?.arn !== oldArn, 'the integration was not replaced by a new one');
    const recoveryRebuild = app.sfn.executions.find((e) => e.name === `${recoveries[0]?.name}-rebuild`);
    expect(
      (await builtModels(app, recoveryRebuild?.name ?? '')).length === app.manifest.models.length,
      'the full rebuild after recreation was incomplete',
    );
    expect((await count(app, 'reporting.fct_orders')) === 640, 'orders were lost across the recreation');
    reporter.ok(
      `integration recreated as ${live[0]?.arn.split(':').pop()}; landing database re-created; all ${app.manifest.models.length} models rebuilt`,
    );

    return await summarize(app, t0);
  } finally {
    await app.close();
  }
}

async function summarize(app: LocalOrchestrator, t0: number): Promise<ScenarioSummary> {
  const state = (await app.stack.warehouse.query(
    `SELECT s.model, s.rows::int AS rows, to_char(s.last_success_at, 'YYYY-MM-DD HH24:MI') AS last_build,
            (SELECT count(*)::int FROM zeo.run_log l WHERE l.model = s.model AND l.status = 'success') AS builds
     FROM zeo.model_state s ORDER BY s.model`,
  )) as { model: string; rows: number; last_build: string; builds: number }[];
  const byMachine = new Map<string, { machine: string; succeeded: number; failed: number }>();
  for (const e of app.sfn.executions) {
    const label = MACHINE_LABEL[e.machine] ?? e.machine;
    const entry = byMachine.get(label) ?? { machine: label, succeeded: 0, failed: 0 };
    if (e.status === 'SUCCEEDED') entry.succeeded++;
    else entry.failed++;
    byMachine.set(label, entry);
  }
  return {
    models: state.map((s) => ({ model: s.model, rows: s.rows, lastBuild: s.last_build, builds: s.builds })),
    executions: [...byMachine.values()],
    transitions: app.sfn.executions.reduce((n, e) => n + e.transitions, 0),
    lambdaInvocations: app.sfn.executions.reduce((n, e) => n + e.lambdaInvocations, 0),
    dataApiCalls: app.stack.dataApi.log.length,
    eventsEmitted: app.stack.events.log.filter((e) => e.source === 'zero-etl-orchestrator').length,
    simulatedHours: (app.stack.clock.now().getTime() - t0) / 3600_000,
  };
}
