import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../local/clock.js';
import { applyLocalStackEnvironment, type LocalStack, startLocalStack } from '../../local/stack.js';
import { compileProject } from '../../shared/project/compile.js';
import { readProjectSources } from '../../shared/project/load.js';
import { bookkeepingSetupStatements } from '../../shared/sql/bookkeeping.js';
import { buildBatch, dropSwappedOutSql } from '../../shared/sql/build.js';
import { acquireLeasesStatements } from '../../shared/sql/lease.js';
import { dataClient, waitForStatement } from './support.js';

/**
 * The local warehouse behind the Data API: Redshift DDL and its catalog (SVV_TABLE_INFO), the
 * read-only zero-ETL database, table states gating queries, and the database commands.
 */

const manifest = compileProject(readProjectSources('examples/shop/curated'));
const TARGET = { Database: 'dev', WorkgroupName: 'analytics' };

let stack: LocalStack;
let client: RedshiftDataClient;
let runs = 0;

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.bootstrap({ integrationArn: manifest.project.landing.integrationArn });
  client = dataClient(stack.dataApiEndpoint);
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await stack?.close();
});

async function run(sql: string) {
  const { Id } = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: sql }));
  return waitForStatement(client, Id ?? '');
}

async function runBatch(sqls: string[], statementName?: string) {
  const { Id } = await client.send(
    new BatchExecuteStatementCommand({ ...TARGET, Sqls: sqls, StatementName: statementName }),
  );
  return waitForStatement(client, Id ?? '');
}

const plain = (field: Field | undefined): unknown =>
  field === undefined || field.isNull
    ? null
    : (field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue);

/** Rows of a query as objects, through the Data API. */
async function select(sql: string): Promise<Record<string, unknown>[]> {
  const described = await run(sql);
  if (described.Status !== 'FINISHED') throw new Error(`${sql}: ${described.Error}`);
  const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
  const names = (result.ColumnMetadata ?? []).map((c) => c.name ?? '');
  return (result.Records ?? []).map((record) =>
    Object.fromEntries(names.map((n, i) => [n, plain(record[i])])),
  );
}

async function build(name: string, as?: 'merge' | 'refresh_view') {
  const model = manifest.models.find((m) => m.name === name);
  if (!model) throw new Error(name);
  const mode = as ?? (model.materialized === 'materialized_view' ? 'create_view' : 'full');
  const runId = `run-${++runs}`;
  // As a refresh builds it: the run takes the model's lease, and a table swap is followed by the drop
  // of the table it swapped out (SubmitBuild, CheckBuild).
  await runBatch(acquireLeasesStatements([model.name], runId, 30), `zeo:${runId}:${name}:lease`);
  const batch = buildBatch(model, mode, { runId, trigger: 'test' });
  const built = await runBatch(batch.sqls, batch.statementName);
  if (mode === 'full' && built.Status === 'FINISHED')
    await runBatch([dropSwappedOutSql(model)], `zeo:${runId}:${name}:drop-old`);
  return built;
}

describe('curated builds and SVV_TABLE_INFO', () => {
  beforeAll(async () => {
    expect((await runBatch(bookkeepingSetupStatements())).Status).toBe('FINISHED');
    for (const level of manifest.levels) {
      for (const name of level) {
        const built = await build(name);
        expect([name, built.Status, built.Error]).toEqual([name, 'FINISHED', undefined]);
      }
    }
  }, 120_000);

  it('shows the declared distribution and sort keys under the final table names', async () => {
    const info = await select(
      `select "schema", "table", diststyle, sortkey1, sortkey_num, interleaved, sortkeys from svv_table_info where "schema" = 'reporting' order by "table"`,
    );
    const byName = new Map(info.map((r) => [r.table, r]));
    expect(byName.get('fct_orders')).toEqual({
      schema: 'reporting',
      table: 'fct_orders',
      diststyle: 'KEY(customer_id)',
      sortkey1: 'order_date',
      sortkey_num: 2,
      interleaved: false,
      sortkeys: 'order_date,customer_id',
    });
    expect(byName.get('fct_shipments')).toMatchObject({
      diststyle: 'EVEN',
      sortkey1: 'shipped_date',
      interleaved: true,
    });
    expect(byName.get('mv_payment_methods')).toMatchObject({ diststyle: 'EVEN', sortkey1: 'method' });
    // Every table model is listed under its own name; no working table survives a build.
    const tables = manifest.models.filter((m) => m.materialized !== 'materialized_view').map((m) => m.name);
    for (const name of tables) expect(byName.has(name), name).toBe(true);
    expect(info.some((r) => String(r.table).includes('__zeo_'))).toBe(false);
    // The zero-ETL database's tables are not tables of the connected database.
    expect(await select(`select * from svv_table_info where "schema" like 'aurora_zeroetl%'`)).toEqual([]);
  });

  it('keeps the design across a rebuild, and forgets dropped and rolled-back tables', async () => {
    expect((await build('fct_orders')).Status).toBe('FINISHED');
    const [after] = await select(
      `select diststyle, sortkey1 from svv_table_info where "table" = 'fct_orders'`,
    );
    expect(after).toEqual({ diststyle: 'KEY(customer_id)', sortkey1: 'order_date' });

    const failed = await runBatch([
      'CREATE TABLE reporting.rolled_back (a int, b int) DISTSTYLE KEY DISTKEY (a) SORTKEY (b)',
      'INSERT INTO reporting.rolled_back VALUES (1, 2)',
      'SELECT 1 / 0',
    ]);
    expect(failed.Error).toBe('ERROR: division by zero');
    expect((await run('CREATE TABLE reporting.dropped (a int) DISTSTYLE ALL')).Status).toBe('FINISHED');
    expect((await run('INSERT INTO reporting.dropped VALUES (1)')).Status).toBe('FINISHED');
    expect(await select(`select diststyle from svv_table_info where "table" = 'dropped'`)).toEqual([
      { diststyle: 'ALL' },
    ]);
    expect((await run('DROP TABLE reporting.dropped')).Status).toBe('FINISHED');
    const orphans = await stack.warehouse.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM redshift_internal.table_design d WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.relid)',
    );
    expect(orphans).toEqual([{ n: 0 }]);
    expect(await select(`select * from svv_table_info where "table" in ('rolled_back', 'dropped')`)).toEqual(
      [],
    );
  });

  it('runs incremental merges (temporary tables, MERGE) and materialized view refreshes', async () => {
    const incremental = manifest.models.find((m) => m.materialized === 'incremental');
    const view = manifest.models.find((m) => m.materialized === 'materialized_view');
    if (!incremental || !view)
      throw new Error('the example has an incremental model and a materialized view');
    const before = await select(`select count(*) AS n from reporting.${incremental.name}`);
    const merged = await build(incremental.name, 'merge');
    expect([merged.Status, merged.Error]).toEqual(['FINISHED', undefined]);
    expect(await select(`select count(*) AS n from reporting.${incremental.name}`)).toEqual(before);
    const refreshed = await build(view.name, 'refresh_view');
    expect([refreshed.Status, refreshed.Error]).toEqual(['FINISHED', undefined]);
  });

  it('accepts Redshift DDL: column ENCODE, CTAS with keys, LIKE inheriting keys, and checks key columns', async () => {
    const ok = await runBatch([
      'CREATE TABLE public.encoded (id bigint ENCODE az64, name varchar(20) ENCODE zstd) DISTKEY (id) INTERLEAVED SORTKEY (id, name)',
      "INSERT INTO public.encoded VALUES (1, 'a')",
      'CREATE TABLE public.copied (LIKE public.encoded)',
      'INSERT INTO public.copied SELECT * FROM public.encoded',
      'CREATE TABLE public.ctas DISTSTYLE ALL SORTKEY (id) AS SELECT * FROM public.encoded',
    ]);
    expect([ok.Status, ok.Error]).toEqual(['FINISHED', undefined]);
    const info = await select(
      `select "table", diststyle, sortkey1, interleaved from svv_table_info where "table" in ('encoded', 'copied', 'ctas') order by 1`,
    );
    expect(info).toEqual([
      { table: 'copied', diststyle: 'KEY(id)', sortkey1: 'id', interleaved: true },
      { table: 'ctas', diststyle: 'ALL', sortkey1: 'id', interleaved: false },
      { table: 'encoded', diststyle: 'KEY(id)', sortkey1: 'id', interleaved: true },
    ]);
    const bad = await run('CREATE TABLE public.bad_key (a int) DISTKEY (nope)');
    expect(bad.Error).toBe('ERROR: column "nope" named in DISTKEY does not exist');
  });
});

describe('the zero-ETL database', () => {
  it('answers three-part names and the system views with plain SQL', async () => {
    expect(await select('select count(*) AS n from aurora_zeroetl.public.orders')).toEqual([{ n: 600 }]);
    expect(await select('select count(*) AS n from "aurora_zeroetl"."public"."order_items"')).toEqual([
      { n: 1200 },
    ]);
    const [integration] = await select(
      'select trim(integration_id) AS id, trim(state) AS state, trim(target_database) AS db, trim(source_database) AS src, total_tables_replicated from svv_integration',
    );
    expect(integration).toEqual({
      id: '5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11',
      state: 'CdcRefreshState',
      db: 'aurora_zeroetl',
      src: 'shop',
      total_tables_replicated: 6,
    });
    // CHARACTER(128), as documented: values come back blank-padded, as they do from Redshift.
    const [padded] = await select(
      `select table_state from svv_integration_table_state where trim(table_name) = 'orders'`,
    );
    expect(String(padded?.table_state)).toHaveLength(128);
  });

  it('is read-only for Data API sessions', async () => {
    const attempts: [string, string][] = [
      [
        "INSERT INTO aurora_zeroetl.public.customers VALUES (9999, 'x', 'x', 'x', 'x', getdate(), getdate())",
        'INSERT',
      ],
      ["UPDATE aurora_zeroetl.public.orders SET status = 'x'", 'UPDATE'],
      ['DELETE FROM "aurora_zeroetl"."public"."orders"', 'DELETE'],
      ['TRUNCATE aurora_zeroetl.public.orders', 'TRUNCATE'],
      ['CREATE TABLE aurora_zeroetl.public.extra (a int)', 'CREATE'],
      ['DROP TABLE aurora_zeroetl.public.orders', 'DROP'],
      ['ALTER TABLE aurora_zeroetl.public.orders ADD COLUMN x int', 'ALTER'],
      [
        'MERGE INTO aurora_zeroetl.public.orders t USING aurora_zeroetl.public.orders s ON t.order_id = s.order_id WHEN MATCHED THEN DELETE',
        'MERGE',
      ],
    ];
    for (const [sql, verb] of attempts) {
      const described = await run(sql);
      expect([verb, described.Status, described.Error]).toEqual([
        verb,
        'FAILED',
        `ERROR: cannot execute ${verb} in a read-only database "aurora_zeroetl"`,
      ]);
    }
    // Indirect writes are stopped by the session's privileges all the same.
    const indirect = await run(
      'WITH gone AS (DELETE FROM aurora_zeroetl.public.orders RETURNING 1) SELECT count(*) FROM gone',
    );
    expect(indirect.Status).toBe('FAILED');
    expect(await select('select count(*) AS n from aurora_zeroetl.public.orders')).toEqual([{ n: 600 }]);
  });

  it('refuses to read a table that is not Synced unless QUERY_ALL_STATES is on', async () => {
    const clock = stack.clock as ManualClock;
    await stack.simulator.resyncTable('public', 'orders');
    const refused = await run('select count(*) from aurora_zeroetl.public.orders');
    expect(refused.Status).toBe('FAILED');
    expect(refused.Error).toBe(
      'ERROR: table "public"."orders" in zero-ETL database "aurora_zeroetl" is in state ResyncRequired and cannot be queried; only Synced tables can be queried unless QUERY_ALL_STATES is TRUE',
    );
    expect(await select('select count(*) AS n from aurora_zeroetl.public.customers')).toEqual([{ n: 120 }]);

    expect((await run('ALTER DATABASE aurora_zeroetl INTEGRATION SET QUERY_ALL_STATES = TRUE')).Status).toBe(
      'FINISHED',
    );
    expect(await select('select count(*) AS n from aurora_zeroetl.public.orders')).toEqual([{ n: 600 }]);
    expect(
      (
        await run(
          'ALTER DATABASE aurora_zeroetl INTEGRATION SET QUERY_ALL_STATES FALSE, REFRESH_INTERVAL 120',
        )
      ).Status,
    ).toBe('FINISHED');
    expect((await run('select count(*) from aurora_zeroetl.public.orders')).Status).toBe('FAILED');
    expect(await select('select refresh_interval from svv_integration')).toEqual([{ refresh_interval: 120 }]);

    clock.advance(60_000);
    await stack.simulator.advance();
    clock.advance(60_000);
    await stack.simulator.advance();
    expect(await select('select count(*) AS n from aurora_zeroetl.public.orders')).toEqual([{ n: 600 }]);
  });

  it('refreshes tables with ALTER DATABASE … INTEGRATION REFRESH', async () => {
    expect(
      (await run('ALTER DATABASE aurora_zeroetl INTEGRATION REFRESH TABLE public.products, public.payments'))
        .Status,
    ).toBe('FINISHED');
    const states = await select(
      `select trim(table_name) AS t, trim(table_state) AS s from svv_integration_table_state where trim(table_state) <> 'Synced' order by 1`,
    );
    expect(states).toEqual([
      { t: 'payments', s: 'ResyncRequired' },
      { t: 'products', s: 'ResyncRequired' },
    ]);
    const unknown = await run('ALTER DATABASE aurora_zeroetl INTEGRATION REFRESH TABLE public.nope');
    expect(unknown.Error).toBe('ERROR: table "public.nope" does not exist in database "aurora_zeroetl"');
    await stack.simulator.tick(60_000);
    await stack.simulator.tick(60_000);
    expect(
      await select(
        `select count(*) AS n from svv_integration_table_state where trim(table_state) <> 'Synced'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('runs CREATE/DROP DATABASE only outside a transaction block, and checks the integration', async () => {
    const inBlock = await runBatch([
      'SELECT 1',
      "CREATE DATABASE other FROM INTEGRATION '5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11' DATABASE shop",
    ]);
    expect(inBlock.SubStatements?.[1]?.Error).toBe(
      'ERROR: CREATE DATABASE cannot run inside a transaction block',
    );
    const dropInBlock = await runBatch(['SELECT 1', 'DROP DATABASE other']);
    expect(dropInBlock.SubStatements?.[1]?.Error).toBe(
      'ERROR: DROP DATABASE cannot run inside a transaction block',
    );
    const unknown = await run(
      "CREATE DATABASE other FROM INTEGRATION '00000000-0000-4000-8000-000000000000' DATABASE shop",
    );
    expect(unknown.Error).toBe("ERROR: integration '00000000-0000-4000-8000-000000000000' does not exist");
    const attached = await run('DROP DATABASE aurora_zeroetl');
    expect(attached.Error).toContain('delete the integration first');
    const exists = await run(
      `CREATE DATABASE "aurora_zeroetl" FROM INTEGRATION '5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11' DATABASE "shop"`,
    );
    expect(exists.Error).toBe('ERROR: database "aurora_zeroetl" already exists');
    expect((await run('DROP DATABASE never_created')).Error).toBe(
      'ERROR: database "never_created" does not exist',
    );
  });

  it('refuses a query joining leader-node catalog relations with user tables (Developer Guide "Querying the catalog tables", facts §10)', async () => {
    await run('CREATE TABLE public.catalog_probe (id int)');
    const joined = await run(
      `SELECT t.table_name FROM information_schema.tables t JOIN public.catalog_probe p ON p.id::text = t.table_name`,
    );
    expect([joined.Status, joined.Error]).toEqual([
      'FAILED',
      'ERROR: Specified types or functions (one per INFO message) not supported on Redshift tables.',
    ]);
    const pgJoined = await run(
      'SELECT c.relname FROM pg_class c JOIN public.catalog_probe p ON p.id = c.oid::int',
    );
    expect(pgJoined.Status).toBe('FAILED');
    // Each side alone is fine.
    expect(
      (await run(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).Status,
    ).toBe('FINISHED');
    expect((await run('SELECT count(*) FROM public.catalog_probe')).Status).toBe('FINISHED');
    expect((await run('SELECT a.attname FROM pg_attribute a WHERE a.attnum > 0 LIMIT 1')).Status).toBe(
      'FINISHED',
    );
  });

  it('refuses DROP DATABASE IF EXISTS, which is not Redshift syntax (SQL reference "DROP DATABASE", facts §10)', async () => {
    const refused = await run('DROP DATABASE IF EXISTS never_created');
    expect([refused.Status, refused.Error]).toEqual(['FAILED', 'ERROR: syntax error at or near "IF"']);
  });

  it('lists the connected and the landing databases in SVV_REDSHIFT_DATABASES (SQL reference "SVV_REDSHIFT_DATABASES")', async () => {
    const rows = await select('SELECT database_name FROM svv_redshift_databases ORDER BY 1');
    expect(rows.map((r) => r.database_name)).toEqual(expect.arrayContaining(['aurora_zeroetl', 'dev']));
  });
});

describe('Redshift behaviour of the session', () => {
  it('is reachable through AWS_ENDPOINT_URL_REDSHIFT_DATA with the default client configuration', async () => {
    const restore = applyLocalStackEnvironment(stack);
    try {
      const fromEnv = new RedshiftDataClient({});
      const { Id } = await fromEnv.send(
        new ExecuteStatementCommand({ ...TARGET, Sql: 'select current_user', WaitTimeSeconds: 5 }),
      );
      const result = await fromEnv.send(new GetStatementResultCommand({ Id }));
      // The Data API user of the operator key (IAM user `local`), as Redshift names IAM users.
      expect(result.Records).toEqual([[{ stringValue: 'IAM:local' }]]);
      fromEnv.destroy();
    } finally {
      restore();
    }
  });

  it('stops a request between statements when it is aborted, rolling it back', async () => {
    let started = 0;
    const outcome = await stack.warehouse.execute(
      {
        database: 'dev',
        mode: 'TRANSACTION',
        statements: [
          { sql: 'CREATE TABLE public.aborted (a int)' },
          { sql: 'INSERT INTO public.aborted VALUES (1)' },
        ],
      },
      { isAborted: () => started > 0, onStatementStart: () => started++ },
    );
    expect(outcome.aborted).toBe(true);
    expect(outcome.statements.map((s) => s.status)).toEqual(['FINISHED', 'ABORTED']);
    expect((await run('select * from public.aborted')).Error).toBe(
      'ERROR: relation "public.aborted" does not exist',
    );
  });

  it('gives GETDATE() the simulated clock, to the second', async () => {
    const clock = stack.clock as ManualClock;
    clock.set(new Date('2026-04-01T08:30:15.750Z'));
    expect(await select('select getdate()::text AS now, sysdate::text AS sys')).toEqual([
      { now: '2026-04-01 08:30:15', sys: '2026-04-01 08:30:15.75' },
    ]);
  });

  it('commits at TRUNCATE, as Redshift does, so a later failure keeps the earlier work', async () => {
    const described = await runBatch([
      'CREATE TABLE public.truncated (a int)',
      'INSERT INTO public.truncated VALUES (1)',
      'TRUNCATE public.truncated',
      'INSERT INTO public.truncated VALUES (2)',
      'SELECT 1 / 0',
    ]);
    expect(described.Status).toBe('FAILED');
    expect(await select('select count(*) AS n from public.truncated')).toEqual([{ n: 0 }]);
  });

  it('resolves three-part names into the connected database', async () => {
    expect(await select('select count(*) AS n from dev.reporting.fct_orders')).toEqual([{ n: 600 }]);
  });
});
