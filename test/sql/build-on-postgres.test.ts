import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../shared/project/compile.js';
import type { ManifestModel } from '../../shared/project/manifest.js';
import { bookkeepingSetupStatements } from '../../shared/sql/bookkeeping.js';
import { type BuildMode, buildBatch, dropSwappedOutSql } from '../../shared/sql/build.js';
import type { RunContext } from '../../shared/sql/ddl.js';
import { acquireLeasesStatements, fenceBuildStatements } from '../../shared/sql/lease.js';
import { createShopWarehouse, landingSchema, type TestWarehouse } from '../helpers/pg-warehouse.js';
import { shopSources } from '../helpers/project.js';

/**
 * The generated SQL executed for real (PostgreSQL via PGlite, through the Redshift dialect
 * translation of the local stack): curated tables must equal their SQL run directly on the source.
 */

const manifest = compileProject(shopSources());
const byName = new Map(manifest.models.map((m) => [m.name, m]));
const model = (name: string): ManifestModel => {
  const found = byName.get(name);
  if (!found) throw new Error(name);
  return found;
};
let run = 0;
const nextRun = () => ({ runId: `run-${++run}`, trigger: 'test' });
const LANDING = landingSchema('aurora_zeroetl', 'public');

let wh: TestWarehouse;

const checksum = async (relation: string) =>
  (
    await wh.query<{ sum: string; n: number }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum, count(*)::int AS n FROM ${relation} t`,
    )
  )[0];

/** The build batch of a run that holds the model's lease, as SubmitBuild submits it. */
async function leasedBatch(m: ManifestModel, mode: BuildMode, run: RunContext): Promise<string[]> {
  await wh.runBatch(acquireLeasesStatements([m.name], run.runId, 30));
  return buildBatch(m, mode, run).sqls;
}

/** A model built as a refresh builds it: its batch, then (a table swap) the drop CheckBuild runs after it. */
async function buildFull(name: string): Promise<void> {
  const m = model(name);
  const mode = m.materialized === 'materialized_view' ? 'create_view' : 'full';
  await wh.runBatch(await leasedBatch(m, mode, nextRun()));
  if (mode === 'full') await wh.runBatch([dropSwappedOutSql(m)]);
}

beforeAll(async () => {
  wh = await createShopWarehouse();
  await wh.runBatch(bookkeepingSetupStatements());
  for (const level of manifest.levels) for (const name of level) await buildFull(name);
}, 120_000);

afterAll(async () => {
  await wh?.close();
});

describe('Build batches on PostgreSQL', () => {
  it('builds every model of the example with exactly the rows of its SQL', async () => {
    for (const m of manifest.models) {
      const columns = m.columns.map((c) => `"${c.name}"`).join(', ');
      const actual = await wh.query(`SELECT ${columns} FROM "${m.schema}"."${m.name}" ORDER BY ${columns}`);
      // The oracle: the model's own SQL, run directly, cast to the declared types.
      const casts = m.columns.map((c) => `CAST("${c.name}" AS ${c.type}) AS "${c.name}"`).join(', ');
      const expected = await wh.query(`SELECT ${casts} FROM (${m.sql}) q ORDER BY ${columns}`);
      expect(actual.length, m.name).toBeGreaterThan(0);
      expect(actual, m.name).toEqual(expected);
    }
  });

  it('gives every table its declared NOT NULL columns and physical design', async () => {
    const notNull = await wh.query<{ rel: string; col: string }>(
      `SELECT c.relname AS rel, a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'reporting' AND a.attnotnull AND a.attnum > 0`,
    );
    for (const m of manifest.models.filter((x) => x.materialized !== 'materialized_view')) {
      for (const c of m.columns) {
        expect(
          notNull.some((r) => r.rel === m.name && r.col === c.name),
          `${m.name}.${c.name}`,
        ).toBe(c.notNull);
      }
    }
    // The design is recorded under the working name; the swap renames that table to the model name.
    expect(wh.designs.get('reporting.fct_orders__zeo_new')).toMatchObject({
      diststyle: 'KEY',
      distkey: 'customer_id',
      sortkeyStyle: 'COMPOUND',
      sortkey: ['order_date', 'customer_id'],
    });
    expect(wh.designs.get('reporting.fct_shipments__zeo_new')).toMatchObject({
      diststyle: 'EVEN',
      sortkeyStyle: 'INTERLEAVED',
      sortkey: ['shipped_date', 'carrier'],
    });
    expect(wh.designs.get('reporting.mv_payment_methods')).toMatchObject({
      diststyle: 'EVEN',
      sortkey: ['method'],
    });
  });

  it('records each successful build in the run log and the model state', async () => {
    const state = await wh.query<{ model: string; definition_hash: string; rows: string }>(
      'SELECT model, definition_hash, rows FROM zeo.model_state ORDER BY model',
    );
    expect(state.map((s) => s.model)).toEqual(manifest.models.map((m) => m.name));
    expect(state.find((s) => s.model === 'fct_orders')?.definition_hash).toBe(
      model('fct_orders').definitionHash,
    );
    const log = await wh.query<{ status: string; rows_affected: string }>(
      `SELECT status, rows_affected FROM zeo.run_log WHERE model = 'fct_orders'`,
    );
    expect(log[0]).toEqual({ status: 'success', rows_affected: 600 });
  });

  it('rebuilds an existing table in place; the swap keeps the old table, dropped once the swap committed', async () => {
    const m = model('dim_customers');
    const before = await checksum('reporting.dim_customers');
    const sqls = await leasedBatch(m, 'full', nextRun());
    // A reader blocked on the rename resumes on the old table once the swap commits; dropping that
    // table inside the swap makes it fail ("could not open relation with OID", dbt-core #3112, facts §10).
    const swap = sqls.findIndex((sql) => sql.endsWith('RENAME TO "dim_customers"'));
    expect(swap).toBeGreaterThan(0);
    expect(sqls.slice(swap).filter((sql) => /^DROP\b/i.test(sql))).toEqual([]);
    await wh.runBatch(sqls);
    expect(await checksum('reporting.dim_customers')).toEqual(before);
    expect(await checksum('reporting.dim_customers__zeo_old')).toEqual(before);
    // CheckBuild's statement after the batch finished; the next build's batch would also drop it first.
    await wh.runBatch([dropSwappedOutSql(m)]);
    const leftovers = await wh.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE '%__zeo_%'`);
    expect(leftovers).toEqual([]);
  });

  it('rolls back a build that violates the unique key: old rows kept, error names the key', async () => {
    const before = await checksum('reporting.dim_products');
    const duplicated = {
      ...model('dim_products'),
      sql: `${model('dim_products').sql}\nunion all select product_id, sku, name, category, unit_price, active from "aurora_zeroetl"."public"."products" where product_id = 7`,
    };
    await expect(wh.runBatch(buildBatch(duplicated, 'full', nextRun()).sqls)).rejects.toThrow(
      /unique_key \("product_id"\) violated in model dim_products: 1 duplicated key\(s\), e\.g\. \(7\) appears 2 times/,
    );
    expect(await checksum('reporting.dim_products')).toEqual(before);
    expect(await wh.query(`SELECT 1 FROM pg_tables WHERE tablename LIKE 'dim_products__zeo%'`)).toEqual([]);
  });

  it('rolls back a build that puts NULL in a NOT NULL column', async () => {
    const before = await checksum('reporting.dim_customers');
    const broken = {
      ...model('dim_customers'),
      sql: 'select customer_id, null as email, full_name, region, segment, created_at from "aurora_zeroetl"."public"."customers"',
    };
    await expect(wh.runBatch(buildBatch(broken, 'full', nextRun()).sqls)).rejects.toThrow(
      /null value in column "email"/,
    );
    expect(await checksum('reporting.dim_customers')).toEqual(before);
  });

  it('merges only the changed window into an incremental table', async () => {
    await wh.db.exec(`
      UPDATE ${LANDING}.payments SET status = 'refunded', updated_at = TIMESTAMP '2026-04-01 00:00:00' WHERE payment_id = 5;
      INSERT INTO ${LANDING}.payments VALUES (9001, 4, 'card', 10.00, 'captured', TIMESTAMP '2026-04-01 00:00:00', TIMESTAMP '2026-04-01 00:00:00');`);
    // The window: rows updated after the target's high-water mark minus the 1-hour lookback.
    const [window] = await wh.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${LANDING}.payments WHERE updated_at > (SELECT max(updated_at) FROM reporting.stg_payments) - INTERVAL '1 hour'`,
    );
    const mergeRun = nextRun();
    await wh.runBatch(await leasedBatch(model('stg_payments'), 'merge', mergeRun));
    const rows = await wh.query<{ payment_id: string; status: string }>(
      'SELECT payment_id, status FROM reporting.stg_payments WHERE payment_id IN (5, 9001) ORDER BY payment_id',
    );
    expect(rows).toEqual([
      { payment_id: 5, status: 'refunded' },
      { payment_id: 9001, status: 'captured' },
    ]);
    const total = await wh.query<{ n: number }>('SELECT count(*)::int AS n FROM reporting.stg_payments');
    const source = await wh.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${LANDING}.payments`);
    expect(total).toEqual(source);
    const log = await wh.query<{ rows_affected: number }>(
      `SELECT rows_affected FROM zeo.run_log WHERE model = 'stg_payments' AND run_id = '${mergeRun.runId}'`,
    );
    expect(window?.n).toBeLessThan(10);
    expect(log[0]?.rows_affected).toBe(window?.n); // the changed window, not the whole table
  });

  it('refuses to commit a build whose run no longer holds the lease: another run took it, or a failure fenced it', async () => {
    const m = model('dim_customers');
    const before = await checksum('reporting.dim_customers');
    const runs = await wh.query<{ n: number }>('SELECT count(*)::int AS n FROM zeo.run_log');
    const mine = nextRun();
    // Another run holds the lease: this run's batch raises at assert_lease and rolls back whole.
    await wh.runBatch(acquireLeasesStatements([m.name], 'run-other', 30));
    await expect(wh.runBatch(buildBatch(m, 'full', mine).sqls)).rejects.toThrow(
      /superseded: its build lease is held by run-other/,
    );
    await wh.runBatch(['DELETE FROM zeo.model_lease']);
    // RecordBuildFailure fenced this run's build (say its submit Lambda timed out): refused as well.
    await wh.runBatch(acquireLeasesStatements([m.name], mine.runId, 30));
    await wh.runBatch(fenceBuildStatements(m.name, mine.runId));
    await expect(wh.runBatch(buildBatch(m, 'full', mine).sqls)).rejects.toThrow(/held by ~fenced/);
    expect(await checksum('reporting.dim_customers')).toEqual(before);
    expect(await wh.query<{ n: number }>('SELECT count(*)::int AS n FROM zeo.run_log')).toEqual(runs);
    // The fence is born expired: the next run that asks takes the lease over, and builds.
    const next = nextRun();
    await wh.runBatch(acquireLeasesStatements([m.name], next.runId, 30));
    await wh.runBatch(buildBatch(m, 'full', next).sqls);
    expect(await wh.query('SELECT model, run_id FROM zeo.model_lease')).toEqual([]);
    const status = await wh.query<{ status: string }>(
      `SELECT status FROM zeo.run_log WHERE run_id = '${next.runId}'`,
    );
    expect(status).toEqual([{ status: 'success' }]);
  });

  it('does not fence a build that already committed', async () => {
    const m = model('dim_customers');
    const done = nextRun();
    await wh.runBatch(await leasedBatch(m, 'full', done));
    await wh.runBatch(fenceBuildStatements(m.name, done.runId));
    expect(await wh.query('SELECT model, run_id FROM zeo.model_lease')).toEqual([]);
  });

  it('refuses a batch that only starts after its run was fenced and a successor built and let the lease go', async () => {
    const m = model('dim_customers');
    const zombie = nextRun();
    await wh.runBatch(acquireLeasesStatements([m.name], zombie.runId, 30));
    // Its SubmitBuild gave up after submitting (the batch sat in the warehouse's queue): recorded failed.
    await wh.runBatch(fenceBuildStatements(m.name, zombie.runId));
    const successor = nextRun();
    await wh.runBatch(await leasedBatch(m, 'full', successor));
    expect(await wh.query('SELECT model, run_id FROM zeo.model_lease')).toEqual([]);
    const built = await checksum('reporting.dim_customers');
    // The queued batch starts now: nobody holds the lease, and neither does its run.
    await expect(wh.runBatch(buildBatch(m, 'full', zombie).sqls)).rejects.toThrow(/superseded/);
    expect(await checksum('reporting.dim_customers')).toEqual(built);
    expect(
      await wh.query(
        `SELECT status FROM zeo.run_log WHERE run_id = '${zombie.runId}' AND status = 'success'`,
      ),
    ).toEqual([]);
  });

  it('refreshes a materialized view with the current landing data', async () => {
    await wh.runBatch(await leasedBatch(model('mv_payment_methods'), 'refresh_view', nextRun()));
    const refunded = await wh.query<{ payments: number }>(
      `SELECT payments::int AS payments FROM reporting.mv_payment_methods WHERE status = 'refunded'`,
    );
    expect(refunded).toEqual([{ payments: 1 }]);
  });
});
