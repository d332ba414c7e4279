import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { dataClient, waitForStatement } from './support.js';

/**
 * Conformance of the local warehouse's materialized views with the Redshift SQL reference:
 * - "CREATE MATERIALIZED VIEW": `CREATE MATERIALIZED VIEW mv_name [ BACKUP { YES | NO } ]
 *   [ table_attributes ] [ AUTO REFRESH { YES | NO } ] AS query`, table_attributes being
 *   `DISTSTYLE { EVEN | ALL | KEY }`, `DISTKEY ( distkey_identifier )`, `SORTKEY ( column_name [, ...] )`;
 *   "If you omit this clause, the distribution style is EVEN". Anything else is a syntax error.
 * - "REFRESH MATERIALIZED VIEW", usage notes: "The `REFRESH MATERIALIZED VIEW` command runs as a
 *   transaction of its own." — it commits even when the rest of its batch rolls back.
 */

const TARGET = { Database: 'dev', WorkgroupName: 'analytics' };

let stack: LocalStack;
let client: RedshiftDataClient;

beforeAll(async () => {
  stack = await startLocalStack();
  client = dataClient(stack.dataApiEndpoint);
  const setup = await runBatch([
    'CREATE SCHEMA IF NOT EXISTS mvtest',
    'CREATE TABLE mvtest.base (k int, v int) DISTSTYLE EVEN',
    'INSERT INTO mvtest.base VALUES (1, 10), (2, 20)',
  ]);
  expect([setup.Status, setup.Error]).toEqual(['FINISHED', undefined]);
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await stack?.close();
});

async function run(sql: string) {
  const { Id } = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: sql }));
  return waitForStatement(client, Id ?? '');
}

async function runBatch(sqls: string[]) {
  const { Id } = await client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: sqls }));
  return waitForStatement(client, Id ?? '');
}

const total = async (relation: string) =>
  (await stack.warehouse.query<{ n: number }>(`SELECT COALESCE(SUM(v), 0)::int AS n FROM ${relation}`))[0]?.n;

let views = 0;
const nextView = () => `mvtest.mv_${++views}`;

describe('CREATE MATERIALIZED VIEW takes the documented clauses only (SQL reference "CREATE MATERIALIZED VIEW")', () => {
  it('accepts BACKUP, DISTSTYLE EVEN|ALL|KEY, DISTKEY, SORTKEY and AUTO REFRESH, and records the design', async () => {
    const all = nextView();
    const key = nextView();
    const plain = nextView();
    const created = await runBatch([
      `CREATE MATERIALIZED VIEW ${all} BACKUP NO DISTSTYLE ALL SORTKEY (k, v) AUTO REFRESH YES AS SELECT k, v FROM mvtest.base`,
      `CREATE MATERIALIZED VIEW ${key} DISTSTYLE KEY DISTKEY (k) AUTO REFRESH NO AS SELECT k, v FROM mvtest.base`,
      `CREATE MATERIALIZED VIEW ${plain} AS SELECT k, v FROM mvtest.base`,
    ]);
    expect([created.Status, created.Error]).toEqual(['FINISHED', undefined]);
    const info = await stack.warehouse.query(
      `SELECT "table", diststyle, sortkey1, sortkey_num, interleaved FROM svv_table_info WHERE "schema" = 'mvtest' AND "table" LIKE 'mv_%' ORDER BY "table"`,
    );
    expect(info).toEqual([
      { table: all.split('.')[1], diststyle: 'ALL', sortkey1: 'k', sortkey_num: 2, interleaved: false },
      { table: key.split('.')[1], diststyle: 'KEY(k)', sortkey1: null, sortkey_num: 0, interleaved: false },
      // No DISTSTYLE: "If you omit this clause, the distribution style is EVEN".
      { table: plain.split('.')[1], diststyle: 'EVEN', sortkey1: null, sortkey_num: 0, interleaved: false },
    ]);
    expect(await total(all)).toBe(30);
  });

  it.each([
    ['DISTSTYLE AUTO', 'AUTO'],
    ['SORTKEY AUTO', 'AUTO'],
    ['INTERLEAVED SORTKEY (k)', 'INTERLEAVED'],
    ['COMPOUND SORTKEY (k)', 'COMPOUND'],
    ['ENCODE AUTO', 'ENCODE'],
    ['AUTO REFRESH YES BACKUP NO', 'BACKUP'],
    ['DISTSTYLE EVEN DISTSTYLE ALL', 'DISTSTYLE'],
    ['AUTO REFRESH MAYBE', 'MAYBE'],
  ])('refuses %s with a syntax error, creating nothing', async (clauses, near) => {
    const name = nextView();
    const refused = await run(`CREATE MATERIALIZED VIEW ${name} ${clauses} AS SELECT k, v FROM mvtest.base`);
    expect([refused.Status, refused.Error]).toEqual(['FAILED', `ERROR: syntax error at or near "${near}"`]);
    const found = await stack.warehouse.query(`SELECT to_regclass('${name}') IS NOT NULL AS found`);
    expect(found).toEqual([{ found: false }]);
  });
});

describe('REFRESH MATERIALIZED VIEW "runs as a transaction of its own" (SQL reference "REFRESH MATERIALIZED VIEW")', () => {
  it('stays committed when a later statement of its batch fails; the batch reports it FINISHED', async () => {
    const view = nextView();
    expect((await run(`CREATE MATERIALIZED VIEW ${view} AS SELECT k, v FROM mvtest.base`)).Status).toBe(
      'FINISHED',
    );
    expect((await run('INSERT INTO mvtest.base VALUES (3, 30)')).Status).toBe('FINISHED');
    const failed = await runBatch([
      'LOCK mvtest.base',
      `REFRESH MATERIALIZED VIEW ${view}`,
      'INSERT INTO mvtest.base VALUES (4, 40)',
      'SELECT 1 / 0',
    ]);
    expect(failed.Status).toBe('FAILED');
    expect(failed.SubStatements?.map((s) => s.Status)).toEqual([
      'FINISHED',
      'FINISHED',
      'FINISHED',
      'FAILED',
    ]);
    // The refresh committed on its own; the INSERT after it rolled back with the batch.
    expect(await total(view)).toBe(60);
    expect(await total('mvtest.base')).toBe(60);
  });

  it('stays committed when its batch is cancelled after it', async () => {
    const view = nextView();
    expect((await run(`CREATE MATERIALIZED VIEW ${view} AS SELECT k, v FROM mvtest.base`)).Status).toBe(
      'FINISHED',
    );
    expect((await run('INSERT INTO mvtest.base VALUES (5, 50)')).Status).toBe('FINISHED');
    let refreshed = false;
    const outcome = await stack.warehouse.execute(
      {
        database: 'dev',
        mode: 'TRANSACTION',
        statements: [{ sql: `REFRESH MATERIALIZED VIEW ${view}` }, { sql: 'SELECT 1' }],
      },
      {
        onStatementEnd: (index) => {
          if (index === 0) refreshed = true;
        },
        isAborted: () => refreshed,
      },
    );
    expect(outcome.aborted).toBe(true);
    expect(await total(view)).toBe(110);
  });

  it('commits with its batch like any statement when the batch commits', async () => {
    const view = nextView();
    expect((await run(`CREATE MATERIALIZED VIEW ${view} AS SELECT k, v FROM mvtest.base`)).Status).toBe(
      'FINISHED',
    );
    expect((await run('INSERT INTO mvtest.base VALUES (6, 60)')).Status).toBe('FINISHED');
    const done = await runBatch([`REFRESH MATERIALIZED VIEW ${view}`, `SELECT count(*) FROM ${view}`]);
    expect([done.Status, done.Error]).toEqual(['FINISHED', undefined]);
    expect(await total(view)).toBe(170);
  });

  it('is refused after a write in the same batch, which the local stack cannot run beside it', async () => {
    const view = nextView();
    expect((await run(`CREATE MATERIALIZED VIEW ${view} AS SELECT k, v FROM mvtest.base`)).Status).toBe(
      'FINISHED',
    );
    // On Redshift an incremental refresh "uses only those base table rows that are already committed":
    // it would not see the INSERT before it. The local stack refuses rather than show it.
    const refused = await runBatch([
      'INSERT INTO mvtest.base VALUES (7, 70)',
      `REFRESH MATERIALIZED VIEW ${view}`,
    ]);
    expect(refused.Status).toBe('FAILED');
    expect(refused.Error).toMatch(
      /^ERROR: local stack: REFRESH MATERIALIZED VIEW after a write in the same batch/,
    );
    expect(await total('mvtest.base')).toBe(170);
  });
});
