import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { WarehouseStatementError } from '../../shared/errors.js';
import {
  BOOKKEEPING_MIGRATIONS,
  BOOKKEEPING_VERSION,
  type BookkeepingMigration,
  bookkeepingSetupStatements,
  MAX_MIGRATION_STATEMENTS,
  migrationBatch,
} from '../../shared/sql/bookkeeping.js';
import {
  bookkeepingStatus,
  describeBookkeepingStatus,
  ensureBookkeeping,
} from '../../shared/warehouse/bookkeeping.js';
import { Warehouse, type WarehousePort } from '../../shared/warehouse/warehouse.js';
import { dataClient } from '../local/support.js';

/**
 * The bookkeeping schema's versions on the local stack's Data API and warehouse (issue #12, defect
 * 10): set up once per version, migrated from an older version (ALTER TABLE … ADD COLUMN: one column
 * per statement, allowed in a transaction block — Redshift SQL reference "ALTER TABLE"), and safe when
 * two steps find it missing or old at once. DDL is counted on the statements the Data API received.
 */

let stack: LocalStack;
let client: RedshiftDataClient;
let warehouse: Warehouse;
beforeAll(async () => {
  stack = await startLocalStack();
  client = dataClient(stack.dataApiEndpoint);
  warehouse = new Warehouse(client, { workgroupName: 'analytics', database: 'dev' });
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await stack?.close();
});
beforeEach(async () => {
  await stack.warehouse.query('DROP SCHEMA IF EXISTS "zeo" CASCADE');
});

const DDL = /^\s*(CREATE|ALTER|DROP)\b/i;
/** What the Data API received while `act` ran. */
async function received(act: () => Promise<unknown>): Promise<string[]> {
  const before = stack.dataApi.log.length;
  await act();
  return stack.dataApi.log.slice(before).map((s) => s.sql);
}
const versions = async () =>
  (
    (await stack.warehouse.query('SELECT "version" FROM "zeo"."schema_version" ORDER BY 1')) as {
      version: number;
    }[]
  ).map((r) => Number(r.version));
const V1 = BOOKKEEPING_MIGRATIONS.filter((m) => m.version === 1);
/** A later release adding a column: the mechanism every future version uses. */
const V2: BookkeepingMigration = {
  version: 2,
  description: 'test: run_log.attempt',
  statements: ['ALTER TABLE "zeo"."run_log" ADD COLUMN "attempt" INTEGER DEFAULT 1'],
};
const NAME = { statementName: 'zeo:test' };
const insertRun = () =>
  stack.warehouse.query(
    `INSERT INTO "zeo"."run_log" ("run_id", "model", "trigger", "status", "started_at") VALUES ('r1', 'fct_orders', 'test', 'success', '2026-11-23 10:00:00')`,
  );

/** Every version this code ships, oldest first: a fresh warehouse gets each once. */
const ALL_VERSIONS = BOOKKEEPING_MIGRATIONS.map((m) => m.version);

describe('Bookkeeping schema versions', () => {
  it('a fresh warehouse: the status reads it without changing anything; setup applies every version once', async () => {
    let status: Awaited<ReturnType<typeof bookkeepingStatus>> | undefined;
    const probe = await received(async () => {
      status = await bookkeepingStatus(warehouse, NAME);
    });
    expect(status).toEqual({ installed: null, current: BOOKKEEPING_VERSION, upToDate: false });
    expect(probe.filter((s) => DDL.test(s))).toEqual([]);
    expect(status && describeBookkeepingStatus(status)).toMatch(
      new RegExp(`^bookkeeping schema not set up, current ${BOOKKEEPING_VERSION}`),
    );

    const setup = await ensureBookkeeping(warehouse, NAME);
    expect(setup).toMatchObject({ installed: BOOKKEEPING_VERSION, upToDate: true, applied: ALL_VERSIONS });
    expect(await versions()).toEqual(ALL_VERSIONS);
  });

  it('on a set-up warehouse it runs one SELECT and 0 DDL statements', async () => {
    await ensureBookkeeping(warehouse, NAME);
    let result: Awaited<ReturnType<typeof ensureBookkeeping>> | undefined;
    const sqls = await received(async () => {
      result = await ensureBookkeeping(warehouse, NAME);
    });
    expect(result).toMatchObject({
      installed: BOOKKEEPING_VERSION,
      current: BOOKKEEPING_VERSION,
      upToDate: true,
      applied: [],
    });
    expect(sqls).toEqual(['SELECT max("version") AS "version" FROM "zeo"."schema_version"']);
    expect(describeBookkeepingStatus(await bookkeepingStatus(warehouse, NAME))).toBe(
      `bookkeeping schema at version ${BOOKKEEPING_VERSION}, current ${BOOKKEEPING_VERSION}`,
    );
  });

  it('migrates a warehouse set up at an older version: the new column is added, the rows are kept', async () => {
    await ensureBookkeeping(warehouse, { ...NAME, migrations: V1 });
    await insertRun();
    const migrations = [...V1, V2];
    expect(await bookkeepingStatus(warehouse, { ...NAME, migrations })).toEqual({
      installed: 1,
      current: 2,
      upToDate: false,
    });
    let result: Awaited<ReturnType<typeof ensureBookkeeping>> | undefined;
    const sqls = await received(async () => {
      result = await ensureBookkeeping(warehouse, { ...NAME, migrations });
    });
    expect(result).toMatchObject({ installed: 2, current: 2, applied: [2] });
    // Only version 2 ran, after the lock that serialises concurrent migrators.
    expect(sqls.filter((s) => DDL.test(s))).toEqual([V2.statements[0]]);
    expect(sqls).toContain('LOCK "zeo"."schema_version"');
    expect(await versions()).toEqual([1, 2]);
    expect(await stack.warehouse.query('SELECT "run_id", "attempt" FROM "zeo"."run_log"')).toEqual([
      { run_id: 'r1', attempt: 1 },
    ]);
    const again = await received(() => ensureBookkeeping(warehouse, { ...NAME, migrations }));
    expect(again.filter((s) => DDL.test(s))).toEqual([]);
  });

  it('adopts a warehouse set up before schema versions existed, keeping its rows', async () => {
    await warehouse.runTransaction(bookkeepingSetupStatements(), { statementName: 'zeo:test:legacy' });
    await stack.warehouse.query('DROP TABLE "zeo"."schema_version"');
    await insertRun();
    expect((await bookkeepingStatus(warehouse, NAME)).installed).toBeNull();
    expect(await ensureBookkeeping(warehouse, NAME)).toMatchObject({
      installed: BOOKKEEPING_VERSION,
      applied: ALL_VERSIONS,
    });
    expect(await stack.warehouse.query('SELECT "run_id" FROM "zeo"."run_log"')).toEqual([{ run_id: 'r1' }]);
  });

  it('two steps finding the schema missing at once both go on, and it is set up once', async () => {
    const results = await Promise.all([
      ensureBookkeeping(warehouse, { statementName: 'zeo:tick' }),
      ensureBookkeeping(warehouse, { statementName: 'zeo:refresh' }),
    ]);
    expect(results.map((r) => r.installed)).toEqual([BOOKKEEPING_VERSION, BOOKKEEPING_VERSION]);
    expect(await versions()).toEqual(ALL_VERSIONS);
  });

  it('two steps migrating at once: the one whose ADD COLUMN finds the column re-reads the version and goes on', async () => {
    await ensureBookkeeping(warehouse, { ...NAME, migrations: V1 });
    // Both read version 1 before either migrates: the race, made certain.
    let reads = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racing: Pick<WarehousePort, 'query' | 'runTransaction'> = {
      query: async (sql, options) => {
        const rows = await warehouse.query(sql, options);
        if (++reads === 2) release();
        return rows;
      },
      runTransaction: async (sqls, options) => {
        await bothRead;
        return warehouse.runTransaction(sqls, options);
      },
    };
    const migrations = [...V1, V2];
    const results = await Promise.all([
      ensureBookkeeping(racing, { statementName: 'zeo:a', migrations }),
      ensureBookkeeping(racing, { statementName: 'zeo:b', migrations }),
    ]);
    expect(results.map((r) => r.installed)).toEqual([2, 2]);
    expect(results.map((r) => r.applied).sort()).toEqual([[], [2]]);
    expect(await versions()).toEqual([1, 2]);
  });

  it('a migration that fails for another reason is reported, and leaves the version where it was', async () => {
    await ensureBookkeeping(warehouse, { ...NAME, migrations: V1 });
    const broken: BookkeepingMigration = {
      version: 2,
      description: 'test: a table that does not exist',
      statements: ['ALTER TABLE "zeo"."no_such_table" ADD COLUMN "x" INTEGER'],
    };
    await expect(ensureBookkeeping(warehouse, { ...NAME, migrations: [...V1, broken] })).rejects.toThrow(
      WarehouseStatementError,
    );
    expect(await versions()).toEqual([1]);
  });

  it('a migration must fit one Data API batch (40 statements) with its lock and version row', () => {
    for (const m of BOOKKEEPING_MIGRATIONS) expect(migrationBatch(m).length).toBeLessThanOrEqual(40);
    const tooLong: BookkeepingMigration = {
      version: 9,
      description: 'too long',
      statements: Array.from({ length: MAX_MIGRATION_STATEMENTS + 1 }, () => 'SELECT 1'),
    };
    expect(() => migrationBatch(tooLong)).toThrow(/at most 38 fit one Data API batch/);
  });
});
