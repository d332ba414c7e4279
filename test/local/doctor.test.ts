import { afterAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { localDoctor } from '../../local/doctor.js';
import { SHOP, zeo } from '../helpers/cli.js';

/**
 * `zeo doctor` on the local stack: healthy after a refresh, and misconfigured as a deployment whose
 * setup SQL was never run (the warehouse role's user is no superuser: it sees no rows in the
 * superuser-only integration views and may not create the landing database — docs/deploy.md).
 */

const opened: LocalOrchestrator[] = [];
afterAll(async () => {
  await Promise.all(opened.map((app) => app.close()));
});

const byName = (checks: { name: string; ok: boolean; detail: string; fix?: string }[]) =>
  Object.fromEntries(checks.map((c) => [c.name, c]));

describe('zeo doctor', () => {
  it('passes every check on a set-up stack after a refresh: one owner, bookkeeping current', async () => {
    const app = await startLocalOrchestrator();
    opened.push(app);
    const refresh = app.start('curated-refresh', {}, 'doctor-initial');
    await refresh.done;
    expect(refresh.status, refresh.cause).toBe('SUCCEEDED');
    const checks = await localDoctor(app);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    const named = byName(checks);
    expect(named.superuser?.detail).toBe('IAMR:zeo-local-warehouse is a superuser');
    expect(named.schemas?.detail).toMatch(/^IAMR:zeo-local-warehouse owns reporting, zeo$/);
    expect(named.bookkeeping?.detail).toMatch(/^bookkeeping schema at version \d+, current \d+$/);
  }, 180_000);

  it('names the missing superuser and what it hides when the setup SQL was never run', async () => {
    const app = await startLocalOrchestrator({ superusers: [] });
    opened.push(app);
    const named = byName(await localDoctor(app));
    expect(named.superuser).toMatchObject({
      ok: false,
      detail: 'IAMR:zeo-local-warehouse is not a superuser',
    });
    expect(named.superuser?.fix).toContain('ALTER USER "IAMR:zeo-local-warehouse" CREATEUSER');
    expect(named['integration-tables']).toMatchObject({
      ok: false,
      detail: '0 row(s) in SVV_INTEGRATION_TABLE_STATE for the integration',
    });
    // What does not depend on the database user still passes.
    expect(named.integration?.ok).toBe(true);
    expect(named['data-api']?.ok).toBe(true);
  }, 180_000);

  it('exits 0 from the CLI on a healthy stack, and 2 naming the flag for --stage with --local', async () => {
    const healthy = await zeo('doctor', '--local', ...SHOP);
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stdout).toMatch(/✓ all \d+ checks passed/);
    const both = await zeo('doctor', '--local', '--stage', 'prod', ...SHOP);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--stage/--local');
    const role = process.env.ZEO_WAREHOUSE_ROLE_ARN;
    delete process.env.ZEO_WAREHOUSE_ROLE_ARN;
    const noRole = await zeo('doctor', '--stage', 'prod', ...SHOP).finally(() => {
      process.env.ZEO_WAREHOUSE_ROLE_ARN = role;
    });
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toContain('--warehouse-role');
  }, 180_000);
});
