import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';

/**
 * A build that Redshift stops with a serialization error (developer guide "Serializable isolation":
 * "ERROR: 1023 … Retry the canceled transaction") goes through the real state machines on the embedded
 * stack: it is submitted again — bounded — and never recorded as the model's failure while a
 * resubmission can still succeed. Afterwards no work table (`__zeo_old` included) is left.
 */

let app: LocalOrchestrator;

beforeAll(async () => {
  app = await startLocalOrchestrator();
  const first = app.start('curated-refresh', {}, 'ser-initial');
  await first.done;
  expect(first.status, first.cause).toBe('SUCCEEDED');
}, 180_000);
afterAll(async () => {
  await app?.close();
});

const CONFLICT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - 119371, transactions forming the cycle are: 1745830, 1745762 (pid:15021)';
const rows = (sql: string) => app.stack.warehouse.query(sql) as Promise<Record<string, unknown>[]>;
const isBuildOf = (model: string) => (s: { sqls: readonly string[] }) =>
  s.sqls.some((sql) => sql.includes(`"${model}__zeo_new"`));
let nextProduct = 90_000;
/** A new product at the source, replicated: dim_products has something to build. */
async function changeProducts(): Promise<void> {
  const k = nextProduct++;
  await app.stack.source.exec(
    `INSERT INTO public.products VALUES (${k}, 'SKU-${k}', 'Product ${k}', 'tools', 9.99, true, TIMESTAMP '2026-05-01 00:00:00')`,
  );
  await app.advance(1000);
  await app.stack.simulator.settle();
}
const workTables = () => rows(`SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_zeo\\_%'`);

describe('Serialization conflicts through the state machines', () => {
  it('a build stopped once by ERROR 1023 is submitted again and succeeds; nothing is recorded failed', async () => {
    await changeProducts();
    app.stack.dataApi.failStatements({ match: isBuildOf('dim_products'), error: CONFLICT, times: 1 });
    const run = app.start('curated-refresh', { select: 'dim_products', fullRefresh: true }, 'ser-once');
    await run.done;
    app.stack.dataApi.clearFaults();
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(await rows(`SELECT model, status FROM zeo.run_log WHERE run_id = 'ser-once'`)).toEqual([
      { model: 'dim_products', status: 'success' },
    ]);
    // Two build batches: the one stopped, and the resubmission that committed.
    const builds = app.stack.dataApi.log.filter(
      (l) => l.index === 1 && l.statementName === 'zeo:ser-once:build:dim_products',
    );
    expect(builds.length).toBe(2);
    expect(await workTables()).toEqual([]);
  });

  it('a build stopped on every submission fails after the bound, saying why', async () => {
    await changeProducts();
    app.stack.dataApi.failStatements({ match: isBuildOf('dim_products'), error: CONFLICT, times: 10 });
    const run = app.start('curated-refresh', { select: 'dim_products', fullRefresh: true }, 'ser-always');
    await run.done;
    app.stack.dataApi.clearFaults();
    expect(run.error).toBe('CuratedRefreshFailedError');
    const [logged] = await rows(`SELECT status, error FROM zeo.run_log WHERE run_id = 'ser-always'`);
    expect(logged?.status).toBe('failed');
    expect(String(logged?.error)).toMatch(
      /serialization conflict with concurrent transactions on every one of 4 submissions \(not an error of the model's SQL\)/,
    );
    expect(await workTables()).toEqual([]);
  });
});
