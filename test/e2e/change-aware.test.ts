import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { LEASE_RETRY_SECONDS } from '../../shared/refresh/polling.js';
import { buildStatementPrefix } from '../../shared/sql/build.js';
import { deployShopVariant, shopFile } from '../helpers/manifest-variant.js';

/**
 * Change-aware refreshes on the embedded stack: real replication positions from the simulator, the
 * decision from two warehouse reads, the per-model build lease. Tests share one stack, in order.
 */

let app: LocalOrchestrator;
let restoreManifest: (() => void) | undefined;
let run = 0;

beforeAll(async () => {
  app = await startLocalOrchestrator();
  const initial = app.start('curated-refresh', {}, 'ca-initial');
  await initial.done;
  if (initial.status !== 'SUCCEEDED') throw new Error(`initial refresh failed: ${initial.cause}`);
}, 180_000);
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  restoreManifest?.();
  restoreManifest = undefined;
});

const rows = (sql: string) => app.stack.warehouse.query(sql) as Promise<Record<string, unknown>[]>;
async function refresh(input: Record<string, unknown> = {}) {
  const name = `ca-${++run}`;
  const record = app.start('curated-refresh', input, name);
  await record.done;
  expect(record.status, record.cause).toBe('SUCCEEDED');
  const outcomes = (await rows(
    `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${name}' ORDER BY model`,
  )) as {
    model: string;
    status: string;
    error: string | null;
  }[];
  const built = outcomes.filter((o) => o.status === 'success').map((o) => o.model);
  return { name, record, outcomes, built };
}
const TWO_HOURS = 2 * 3600_000;

describe('End to end on the local stack: change-aware refreshes', () => {
  it('a refresh right after a refresh builds nothing, decided with two warehouse reads', async () => {
    const before = app.stack.dataApi.log.length;
    const { name, built, outcomes, record } = await refresh();
    expect(built).toEqual([]);
    expect(outcomes.map((o) => o.status)).toEqual(Array(app.manifest.models.length).fill('unchanged'));
    const statements = app.stack.dataApi.log
      .slice(before)
      .filter((s) => s.statementName?.startsWith(`zeo:${name}:`));
    const reads = statements.filter((s) => /^\s*SELECT/i.test(s.sql));
    // The decision: table states + model states. The only other reads are the bookkeeping schema's
    // version (set up once per version, never re-run) and the summary's.
    expect(reads.map((s) => s.statementName)).toEqual([
      `zeo:${name}:schema-version`,
      `zeo:${name}:table-states`,
      `zeo:${name}:model-states`,
      `zeo:${name}:summary`,
    ]);
    expect(record.output).toMatchObject({ counts: { built: 0, unchanged: app.manifest.models.length } });
    expect(app.sfn.executions.filter((e) => e.parentArn === record.executionArn)).toEqual([]);
  });

  it('a full refresh with nothing changed rebuilds every selected model (not "already built")', async () => {
    // The tables already hold exactly the inputs this run plans; only a build since the plan (another
    // run's, meanwhile) may stand in for this run's own.
    const { built, outcomes } = await refresh({ select: 'dim_customers+', fullRefresh: true });
    expect(outcomes.filter((o) => o.status !== 'success')).toEqual([]);
    expect(built).toContain('dim_customers');
    expect(built.length).toBeGreaterThan(1);
  });

  it('changed rows in one landing table rebuild exactly the models downstream of it', async () => {
    await app.stack.source.exec(`UPDATE public.shipments SET carrier = 'dhl' WHERE shipment_id = 10`);
    await app.stack.simulator.replicate();
    const { built, outcomes } = await refresh();
    expect(built).toEqual(['fct_shipments']);
    expect(outcomes.filter((o) => o.status === 'unchanged')).toHaveLength(app.manifest.models.length - 1);
  });

  it("editing a model's SQL rebuilds it and its descendants only", async () => {
    restoreManifest = deployShopVariant(app, {
      'models/fct_orders.sql': `${shopFile('models/fct_orders.sql')}\nwhere o.order_id > 0`,
    });
    const { built } = await refresh();
    expect(built).toEqual([
      'customer_lifetime_value',
      'daily_revenue',
      'fct_orders',
      'fct_shipments',
      'region_kpis',
    ]);
  });

  it('a resync of a source forces its downstream to rebuild', async () => {
    await app.stack.simulator.resyncTable('public', 'customers');
    for (let i = 0; i < 10; i++) await app.stack.simulator.tick(60_000);
    const state = await rows(
      `SELECT trim(table_state) AS s FROM svv_integration_table_state WHERE trim(table_name) = 'customers'`,
    );
    expect(state[0]?.s).toBe('Synced');
    const { built } = await refresh();
    expect(built).toEqual(
      [
        'customer_lifetime_value',
        'dim_customers',
        'fct_orders',
        'fct_shipments',
        'daily_revenue',
        'region_kpis',
      ].sort(),
    );
  });

  it('lag tolerance leaves a changed model alone until its last build is old enough', async () => {
    restoreManifest = deployShopVariant(app, {
      'models/fct_shipments.yml': shopFile('models/fct_shipments.yml').replace(
        'dist: even',
        'dist: even\nlag_tolerance: 2 hours',
      ),
    });
    await app.stack.source.exec(`UPDATE public.shipments SET carrier = 'ups' WHERE shipment_id = 10`);
    await app.stack.simulator.replicate();
    const early = await refresh();
    expect(early.built).toEqual([]);
    expect(early.outcomes.find((o) => o.model === 'fct_shipments')).toMatchObject({
      status: 'within_tolerance',
    });
    expect(early.outcomes.find((o) => o.model === 'fct_shipments')?.error).toMatch(
      /landing data changed; last build \d+ min ago is within lag_tolerance/,
    );
    await app.stack.simulator.tick(TWO_HOURS);
    const late = await refresh();
    expect(late.built).toEqual(['fct_shipments']);
  });

  it('a schedule and a resync recovery started together build each model once', async () => {
    await app.stack.source.exec(`UPDATE public.orders SET status = 'delivered' WHERE order_id = 5`);
    await app.stack.simulator.replicate();
    const schedule = app.start(
      'curated-refresh',
      { group: 'hourly', trigger: 'schedule' },
      'ca-together-schedule',
    );
    const recovery = app.start(
      'curated-refresh',
      { select: 'source:public.orders+', fullRefresh: true, trigger: 'resync' },
      'ca-together-resync',
    );
    await Promise.all([schedule.done, recovery.done]);
    expect([schedule.status, recovery.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const builds = (await rows(
      `SELECT model, count(*)::int AS n FROM zeo.run_log WHERE run_id IN ('ca-together-schedule', 'ca-together-resync') AND status = 'success' GROUP BY model ORDER BY model`,
    )) as { model: string; n: number }[];
    expect(
      builds.every((b) => b.n === 1),
      JSON.stringify(builds),
    ).toBe(true);
    for (const model of [
      'fct_orders',
      'customer_lifetime_value',
      'daily_revenue',
      'fct_shipments',
      'region_kpis',
    ]) {
      expect(
        builds.map((b) => b.model),
        model,
      ).toContain(model);
    }
    const unchanged = await rows(
      `SELECT model, error FROM zeo.run_log WHERE run_id IN ('ca-together-schedule', 'ca-together-resync') AND status = 'unchanged' AND error LIKE 'built meanwhile%'`,
    );
    expect(unchanged.length).toBeGreaterThan(0);
    expect(await rows('SELECT * FROM zeo.model_lease')).toEqual([]);
  });

  it("a crashed holder's lease expires and the next refresh proceeds", async () => {
    await app.stack.warehouse.query(
      `INSERT INTO zeo.model_lease (model, run_id, acquired_at, expires_at) VALUES ('fct_shipments', 'crashed-run', GETDATE(), GETDATE() + INTERVAL '30 minutes')`,
    );
    await app.stack.source.exec(`UPDATE public.shipments SET carrier = 'fedex' WHERE shipment_id = 10`);
    await app.stack.simulator.replicate();
    const leased = app.stack.clock.now().getTime();
    const { name, built, record } = await refresh({ select: 'fct_shipments' });
    expect(built).toEqual(['fct_shipments']);
    // It asked for the lease again every LEASE_RETRY_SECONDS until the crashed holder's expired, and
    // submitted the build only then.
    const ticks = record.events.filter((e) => e.type === 'StateExited' && e.state?.name === 'DispatchBuilds');
    const startedAt = ticks.findIndex((e) =>
      JSON.stringify((e.state?.output as { last?: { started?: string[] } })?.last?.started ?? []).includes(
        'fct_shipments',
      ),
    );
    // 30 minutes of a held lease: a look every LEASE_RETRY_SECONDS, then the tick that submits.
    expect(startedAt).toBeGreaterThanOrEqual((30 * 60) / LEASE_RETRY_SECONDS);
    expect(startedAt).toBeLessThanOrEqual((30 * 60) / LEASE_RETRY_SECONDS + 2);
    const submitted = app.stack.dataApi.log.find(
      (l) => l.index === 1 && l.statementName === `${buildStatementPrefix(name)}fct_shipments`,
    );
    expect((submitted?.receivedAt.getTime() ?? 0) - leased).toBeGreaterThanOrEqual(30 * 60_000);
    expect(await rows('SELECT * FROM zeo.model_lease')).toEqual([]);
  });
});
