import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';

/**
 * Source DDL reaches the landing zone in place: a column renamed on Aurora is renamed in the landing
 * table after its resync, and a model that reads the old name can no longer build. That build is
 * named schema drift — the model, the landing table and the missing column in the run log, the
 * failure report and a `Curated Model Schema Drift` event — its descendants are skipped and every
 * other model builds.
 */

let app: LocalOrchestrator;

beforeAll(async () => {
  app = await startLocalOrchestrator();
  const initial = app.start('curated-refresh', {}, 'drift-initial');
  await initial.done;
  if (initial.status !== 'SUCCEEDED') throw new Error(`initial refresh failed: ${initial.cause}`);
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const rows = (sql: string) => app.stack.warehouse.query(sql) as Promise<Record<string, unknown>[]>;

describe('schema drift, named', () => {
  it('a column renamed at the source fails exactly its readers as SourceSchemaDriftError, announced once per model', async () => {
    expect(
      await app.stack.simulator.applySourceDdl('ALTER TABLE public.customers RENAME COLUMN region TO area'),
    ).toEqual(['public.customers']);
    // The resync reloads the landing table with the new column name.
    await app.advance(5 * 60_000);
    await app.settle();
    const [renamed] = await rows(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'aurora_zeroetl__public' AND table_name = 'customers' AND column_name = 'area'`,
    );
    expect(renamed?.n).toBe(1);

    const eventsBefore = app.stack.events.log.length;
    const run = app.start('curated-refresh', { fullRefresh: true }, 'drift-refresh');
    await run.done;
    await app.settle();
    expect(run.status).toBe('FAILED');
    const outcomes = Object.fromEntries(
      (await rows(`SELECT model, status, error FROM zeo.run_log WHERE run_id = 'drift-refresh'`)).map((r) => [
        String(r.model),
        { status: String(r.status), error: String(r.error ?? '') },
      ]),
    );
    expect(outcomes.dim_customers?.error).toMatch(
      /^SourceSchemaDriftError: model dim_customers reads region, but column region is in none of its landing tables \(public\.customers\) any more \(renamed or dropped at the source\?\): FAILED: ERROR: column "region" does not exist/,
    );
    // Its descendants wait for it; models that do not read it build.
    for (const descendant of ['fct_orders', 'customer_lifetime_value', 'region_kpis'])
      expect(outcomes[descendant]?.status, descendant).toBe('skipped');
    for (const independent of ['dim_products', 'stg_payments', 'stg_order_lines'])
      expect(outcomes[independent]?.status, independent).toBe('success');

    const events = app.stack.events.log.slice(eventsBefore);
    const drift = events.filter((e) => e['detail-type'] === 'Curated Model Schema Drift');
    expect(drift.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        runId: 'drift-refresh',
        model: 'dim_customers',
        relation: 'public.customers',
        missing: 'region',
        error: expect.stringContaining('SourceSchemaDriftError'),
      }),
    ]);
    const failed = events.find((e) => e['detail-type'] === 'Curated Refresh Failed');
    expect(JSON.stringify(failed?.detail)).toContain('"error":"SourceSchemaDriftError"');
  });
});
