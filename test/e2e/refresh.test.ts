import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { deployShopVariant, shopFile } from '../helpers/manifest-variant.js';
import { oracleSql } from '../helpers/oracle.js';
import { relationChecksum, runOutcomes, warehouseRows } from '../helpers/run-log.js';

/** curated-refresh end to end on the embedded stack: real SQL, real replication, real state machines. */

let app: LocalOrchestrator;
let restoreManifest: (() => void) | undefined;

beforeAll(async () => {
  app = await startLocalOrchestrator();
}, 120_000);
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  restoreManifest?.();
  restoreManifest = undefined;
});

const rows = (sql: string) => warehouseRows(app, sql);
const outcomes = (runId: string) => runOutcomes(app, runId);
const checksum = (relation: string) => relationChecksum(app, relation);
const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));

describe('End to end on the local stack: curated refresh', () => {
  it('builds every table with exactly the rows its SQL gives on the source data, and the declared design', async () => {
    const run = app.start('curated-refresh', {}, 'e2e-full');
    await run.done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    for (const model of app.manifest.models) {
      const columns = model.columns.map((c) => `"${c.name}"`).join(', ');
      const actual = await rows(
        `SELECT ${columns} FROM "${model.schema}"."${model.name}" ORDER BY ${columns}`,
      );
      const expected = await app.stack.source.query(oracleSql(app.manifest, model));
      expect(actual.length, model.name).toBeGreaterThan(0);
      expect(json(actual), model.name).toBe(json(expected));
    }
    const info = await rows(
      `SELECT "table", diststyle, sortkey1, sortkey_num, interleaved FROM svv_table_info WHERE "schema" = 'reporting' ORDER BY "table"`,
    );
    const design = Object.fromEntries(info.map((r) => [r.table, r]));
    expect(design.fct_orders).toMatchObject({
      diststyle: 'KEY(customer_id)',
      sortkey1: 'order_date',
      sortkey_num: 2,
      interleaved: false,
    });
    expect(design.fct_shipments).toMatchObject({
      diststyle: 'EVEN',
      sortkey1: 'shipped_date',
      interleaved: true,
    });
    expect(design.dim_customers).toMatchObject({ diststyle: 'ALL', sortkey1: 'customer_id' });
    const nullable = await rows(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'reporting'`,
    );
    for (const model of app.manifest.models.filter((m) => m.materialized !== 'materialized_view')) {
      for (const column of model.columns) {
        const found = nullable.find((r) => r.table_name === model.name && r.column_name === column.name);
        expect(found?.is_nullable, `${model.name}.${column.name}`).toBe(column.notNull ? 'NO' : 'YES');
      }
    }
  });

  it('a NULL in a NOT NULL column fails the model, keeps its old rows, skips only its descendants', async () => {
    const before = await checksum('reporting.stg_order_lines');
    restoreManifest = deployShopVariant(app, {
      'models/stg_order_lines.sql': shopFile('models/stg_order_lines.sql').replace(
        'i.quantity,',
        'case when i.line_no = 2 then null else i.quantity end as quantity,',
      ),
    });
    const run = app.start('curated-refresh', {}, 'e2e-null');
    await run.done;
    expect(run.error).toBe('CuratedRefreshFailedError');
    const logged = await outcomes('e2e-null');
    expect(logged.stg_order_lines?.status).toBe('failed');
    expect(logged.stg_order_lines?.error).toMatch(/null value in column "quantity"/);
    expect(logged.fct_orders?.status).toBe('skipped');
    expect(logged.product_sales?.status).toBe('skipped');
    expect(logged.region_kpis?.status).toBe('skipped');
    // Nothing they are built from changed since the first refresh: left as they are.
    expect(logged.dim_customers?.status).toBe('unchanged');
    expect(logged.stg_payments?.status).toBe('unchanged');
    expect(await checksum('reporting.stg_order_lines')).toEqual(before);
    expect(await rows(`SELECT tablename FROM pg_tables WHERE tablename LIKE '%__zeo_%'`)).toEqual([]);
  });

  it('a duplicate unique key fails the model and keeps its old rows', async () => {
    const before = await checksum('reporting.dim_products');
    restoreManifest = deployShopVariant(app, {
      'models/dim_products.sql': `${shopFile('models/dim_products.sql')}\nunion all select product_id, sku, name, category, unit_price, active from {{ source('public', 'products') }} where product_id = 3`,
    });
    const run = app.start('curated-refresh', { select: 'dim_products+' }, 'e2e-dup');
    await run.done;
    const logged = await outcomes('e2e-dup');
    expect(logged.dim_products?.error).toMatch(
      /unique_key \("product_id"\) violated in model dim_products: 1 duplicated key\(s\), e\.g\. \(3\) appears 2 times/,
    );
    expect(logged.product_sales?.status).toBe('skipped');
    expect(await checksum('reporting.dim_products')).toEqual(before);
  });

  it('defers models whose sources are resyncing during a scheduled refresh, then builds them when Synced', async () => {
    await app.stack.simulator.resyncTable('public', 'payments');
    const run = app.start('curated-refresh', { group: 'hourly', trigger: 'schedule' }, 'e2e-deferred');
    await run.done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const logged = await outcomes('e2e-deferred');
    expect(logged.stg_payments).toMatchObject({ status: 'deferred' });
    expect(logged.stg_payments?.error).toMatch(/source public\.payments is Resync(Required|Initiated)/);
    expect(logged.mv_payment_methods?.status).toBe('deferred');
    expect(logged.fct_orders).toMatchObject({
      status: 'deferred',
      error: 'upstream stg_payments is deferred',
    });
    expect(logged.stg_order_lines?.status).toBe('unchanged');
    await app.advance(10 * 60_000);
    await app.settle();
    const states = await rows(
      `SELECT trim(table_state) AS table_state FROM svv_integration_table_state WHERE trim(table_name) = 'payments'`,
    );
    expect(states[0]?.table_state).toBe('Synced');
    // Within those 10 simulated minutes the schedules (the watchdog's resync recovery, or the hourly
    // refresh, whichever came first) rebuilt it from the Synced table...
    const state = await rows(`SELECT last_run_id FROM zeo.model_state WHERE model = 'stg_payments'`);
    const builder = app.sfn.executions.find((e) => e.name === String(state[0]?.last_run_id));
    const hourlySchedule = (builder?.input as { group?: string } | undefined)?.group === 'hourly';
    expect(builder?.name.match(/^resync-[0-9a-f]+-rebuild$/) !== null || hourlySchedule, builder?.name).toBe(
      true,
    );
    // ...so a refresh now finds nothing left to do for it.
    const again = app.start('curated-refresh', { select: 'stg_payments+' }, 'e2e-after-sync');
    await again.done;
    expect((await outcomes('e2e-after-sync')).stg_payments?.status).toBe('unchanged');
  });
});
