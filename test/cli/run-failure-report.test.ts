import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zeoIn } from '../helpers/cli.js';
import { SHOP_PROJECT } from '../helpers/project.js';

/**
 * A failed run says why on its first screen: `zeo run --local` on a fresh stack ends with a table of
 * the failed models (error class, the database's message, the statement), the models skipped because
 * of them, and the deferred ones — here for the two commands of issue #21 and for one broken model
 * among many.
 */

const work = mkdtempSync(join(tmpdir(), 'zeo-why-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const run = (...args: string[]) => zeoIn(work, ...args, '--local');
const SHOP = ['-p', resolve(SHOP_PROJECT)];

describe('zeo run --local on a fresh stack: a failed run names the cause', () => {
  it('curated-refresh of fct_orders alone: its upstreams were never built — named, with a hint, exit 1', async () => {
    const r = await run('run', 'curated-refresh', ...SHOP, '--input', '{"select":"fct_orders"}');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stdout, r.stderr).toMatch(/✗ curated-refresh FAILED: CuratedRefreshFailedError/);
    expect(r.stdout).toMatch(
      /^fct_orders +failed +UpstreamNotBuiltError: (dim_customers|stg_order_lines|stg_payments) has never been built: select \+fct_orders/m,
    );
    expect(r.stdout).toMatch(/^1 of 1 model\(s\) failed$/m);
    expect(r.stdout).toMatch(/run log: SELECT \* FROM zeo\.run_log WHERE run_id = 'curated-refresh-local-/);
  }, 120_000);

  it('resync-recovery of public.customers: the rebuild fails the same way, shown from the child refresh', async () => {
    const r = await run('run', 'resync-recovery', ...SHOP, '--input', '{"tables":["public.customers"]}');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stdout).toMatch(/✗ resync-recovery FAILED: CuratedRefreshFailedError/);
    expect(r.stdout).toMatch(
      /^fct_orders +failed +UpstreamNotBuiltError: \w+ has never been built: select \+fct_orders/m,
    );
    // Its descendants in the rebuild are skipped, each naming fct_orders.
    expect(r.stdout).toMatch(/^customer_lifetime_value +skipped +upstream fct_orders failed$/m);
    expect(r.stdout).toMatch(/^region_kpis +skipped +upstream fct_orders failed$/m);
  }, 120_000);

  it('one broken model among many: exactly it failed with the database message, its descendants skipped, the rest built', async () => {
    const project = join(work, 'broken-one');
    cpSync(resolve(SHOP_PROJECT), project, { recursive: true });
    const sql = join(project, 'models', 'fct_orders.sql');
    writeFileSync(
      sql,
      readFileSync(sql, 'utf8').replace('coalesce(l.lines, 0) as line_count', '1 / 0 as line_count'),
    );
    const r = await run('run', 'curated-refresh', '-p', project, '--input', '{"fullRefresh":true}');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const failed = r.stdout.split('\n').filter((l) => / failed {2,}/.test(l));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      /^fct_orders +failed +WarehouseStatementError: FAILED: ERROR: division by zero/,
    );
    // The statement of the build batch that failed, under the message.
    expect(r.stdout).toMatch(/^ +in \[statement \d+ of \d+\] (CREATE TABLE|INSERT INTO) /m);
    const skipped = r.stdout
      .split('\n')
      .filter((l) => / skipped {2,}/.test(l))
      .map((l) => l.split(/ +/)[0])
      .sort();
    expect(skipped).toEqual(['customer_lifetime_value', 'daily_revenue', 'fct_shipments', 'region_kpis']);
    for (const l of r.stdout.split('\n').filter((x) => / skipped {2,}/.test(x)))
      expect(l).toMatch(/upstream fct_orders failed$/);
    // 11 models: one failed, four skipped, the other six built.
    expect(r.stdout).toMatch(/^built +6$/m);
    expect(r.stdout).toMatch(/^failed +1$/m);
    expect(r.stdout).toMatch(/^skipped +4$/m);
  }, 120_000);
});
