import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { deployShopVariant, shopFile } from '../helpers/manifest-variant.js';
import { relationChecksum, runOutcomes, warehouseRows } from '../helpers/run-log.js';

/**
 * Model tests run inside the build transaction, before the swap (write-audit-publish), on the local
 * stack with real SQL: a failing `error` test rolls the build back and keeps the old rows, a failing
 * `warn` test is recorded and the table published, `row_count_change` is skipped (and says so) when
 * there is no previous build, and a relationships test reads its parent's just-built table.
 */

let app: LocalOrchestrator;
let restore: (() => void) | undefined;

beforeAll(async () => {
  app = await startLocalOrchestrator();
}, 120_000);
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  restore?.();
  restore = undefined;
});

const rows = (sql: string) => warehouseRows(app, sql);
const outcomes = (runId: string) => runOutcomes(app, runId);
const testResults = (runId: string) =>
  rows(
    `SELECT model, test, severity, status, offending::int AS offending, sample FROM zeo.test_result WHERE run_id = '${runId}' ORDER BY model, test`,
  );
const checksum = (relation: string) => relationChecksum(app, relation);
const refresh = async (name: string, input: Record<string, unknown> = {}) => {
  const run = app.start('curated-refresh', input, name);
  await run.done;
  await app.settle();
  return run;
};

/** fct_orders.yml with its status values narrowed to three of the four the source has. */
const narrowedStatus = (severity: 'error' | 'warn') =>
  shopFile('models/fct_orders.yml').replace(
    'tests: [ { accepted_values: { values: [placed, paid, shipped, delivered] } } ]',
    `tests: [ { accepted_values: { values: [placed, paid, shipped], severity: ${severity} } } ]`,
  );

describe('model tests before publish (write-audit-publish)', () => {
  it('a first build runs every test; row_count_change has no previous build and says it was skipped', async () => {
    const run = await refresh('audit-first');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await testResults('audit-first')).toEqual([
      {
        model: 'fct_orders',
        test: 'row_count_change(max_drop_percent 50)',
        severity: 'warn',
        status: 'skipped',
        offending: null,
        sample: 'no previous build to compare with',
      },
    ]);
  });

  it('a failing error test rolls the build back: old rows kept, the test, count and sample in the run log, descendants skipped', async () => {
    const before = await checksum('reporting.fct_orders');
    restore = deployShopVariant(app, { 'models/fct_orders.yml': narrowedStatus('error') });
    const run = await refresh('audit-error', { select: 'fct_orders+' });
    expect(run.status).toBe('FAILED');
    const logged = await outcomes('audit-error');
    expect(logged.fct_orders?.status).toBe('failed');
    // 600 orders, one in four 'delivered': the test, the count and the value that offends.
    expect(logged.fct_orders?.error).toMatch(
      /zeo: test accepted_values\(status\) failed in model fct_orders: 150 offending, e\.g\. delivered/,
    );
    expect(await checksum('reporting.fct_orders')).toEqual(before);
    for (const descendant of ['daily_revenue', 'region_kpis', 'customer_lifetime_value'])
      expect(logged[descendant]?.status, descendant).toBe('skipped');
    // The failure event names it too (the refresh's failure report).
    const failed = app.stack.events.log.filter((e) => e['detail-type'] === 'Curated Refresh Failed').at(-1);
    expect(JSON.stringify(failed?.detail)).toContain('accepted_values(status)');
  });

  it('a failing warn test is recorded with its count and sample, and the table is published', async () => {
    restore = deployShopVariant(app, { 'models/fct_orders.yml': narrowedStatus('warn') });
    const run = await refresh('audit-warn', { select: 'fct_orders' });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect((await outcomes('audit-warn')).fct_orders?.status).toBe('success');
    expect(await testResults('audit-warn')).toContainEqual({
      model: 'fct_orders',
      test: 'accepted_values(status)',
      severity: 'warn',
      status: 'warned',
      offending: 150,
      sample: 'delivered',
    });
    const refreshed = app.stack.events.log
      .filter((e) => e['detail-type'] === 'Curated Table Refreshed')
      .map((e) => e.detail as { model?: string; runId?: string; warnings?: unknown })
      .find((d) => d.model === 'fct_orders' && d.runId === 'audit-warn');
    expect(refreshed?.warnings).toEqual([
      { test: 'accepted_values(status)', status: 'warned', offending: 150, sample: 'delivered' },
    ]);
  });

  it('row_count_change stops a build that would drop most of the table (a landing table just emptied)', async () => {
    const before = await checksum('reporting.fct_orders');
    restore = deployShopVariant(app, {
      'models/fct_orders.yml': shopFile('models/fct_orders.yml').replace(
        '{ row_count_change: { max_drop_percent: 50, severity: warn } }',
        '{ row_count_change: { max_drop_percent: 20 } }',
      ),
      'models/fct_orders.sql': `${shopFile('models/fct_orders.sql').trimEnd()}\nwhere o.order_id <= 100\n`,
    });
    const run = await refresh('audit-drop', { select: 'fct_orders' });
    expect(run.status).toBe('FAILED');
    expect((await outcomes('audit-drop')).fct_orders?.error).toMatch(
      /test row_count_change\(max_drop_percent 20\) failed in model fct_orders: 1 offending, e\.g\. from 600 to 100 rows/,
    );
    expect(await checksum('reporting.fct_orders')).toEqual(before);
  });

  it("a relationships test to a ref reads the parent's just-built table, which builds first", async () => {
    // dim_products keeps 30 of its 40 products; stg_order_lines' test now depends on it.
    restore = deployShopVariant(app, {
      'models/dim_products.sql': `${shopFile('models/dim_products.sql').trimEnd()}\nwhere product_id <= 30\n`,
      'models/stg_order_lines.yml': shopFile('models/stg_order_lines.yml').replace(
        '  - { name: product_id, type: bigint, not_null: true }',
        `  - { name: product_id, type: bigint, not_null: true,
      tests: [ { relationships: { to: "ref('dim_products')", field: product_id, severity: warn } } ] }`,
      ),
    });
    const run = await refresh('audit-rel', { select: 'dim_products stg_order_lines' });
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const [finished] = await rows(
      `SELECT max(CASE WHEN model = 'dim_products' THEN finished_at END) < min(CASE WHEN model = 'stg_order_lines' THEN started_at END) AS ordered FROM zeo.run_log WHERE run_id = 'audit-rel'`,
    );
    expect(finished?.ordered).toBe(true);
    const [orphans] = await rows(
      `SELECT count(*)::int AS n FROM reporting.stg_order_lines l WHERE NOT EXISTS (SELECT 1 FROM reporting.dim_products p WHERE p.product_id = l.product_id)`,
    );
    expect(Number(orphans?.n)).toBeGreaterThan(0);
    const results = await testResults('audit-rel');
    expect(results).toContainEqual(
      expect.objectContaining({
        model: 'stg_order_lines',
        test: 'relationships(product_id → dim_products.product_id)',
        status: 'warned',
        offending: Number(orphans?.n),
        sample: '31; 32; 33; 34; 35',
      }),
    );
  });
});
