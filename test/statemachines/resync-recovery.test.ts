import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clock } from '../../shared/runtime/clock.js';
import { childExecutionName } from '../../shared/runtime/execution-names.js';
import { createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, runToEnd, statesEntered } from '../helpers/local-sfn.js';

let aws: FakeAws;
beforeAll(async () => {
  aws = await createFakeAws();
});
afterAll(async () => {
  aws.restore();
  await aws.warehouse.close();
});
beforeEach(() => aws.reset());
afterEach(() => clock.reset());

const RESYNC = 'ResyncRecoveryStateMachine';

describe('State machine: resync-recovery', () => {
  it('waits until the tables are Synced, then rebuilds exactly their downstream models', async () => {
    const sfn = localStepFunctions();
    await runToEnd(sfn, 'CuratedRefreshStateMachine', {}, 'initial');
    await aws.setTableState('public.orders', 'ResyncInitiated');
    let waits = 0;
    const watching = localStepFunctions({
      onWait: async () => {
        waits++;
        if (waits === 2) await aws.setTableState('public.orders', 'Synced');
      },
    });
    const run = await runToEnd(watching, RESYNC, { tables: ['public.orders'] }, 'resync-orders');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(statesEntered(run).filter((s) => s === 'CheckSync')).toHaveLength(2);
    const rebuild = watching.executions.find((e) => e.name === 'resync-orders-rebuild');
    expect(rebuild?.input).toEqual({ sources: ['public.orders'], fullRefresh: true, trigger: 'resync' });
    const rebuilt = await aws.warehouse.query<{ model: string }>(
      `SELECT model FROM zeo.run_log WHERE run_id = 'resync-orders-rebuild' AND status = 'success' ORDER BY model`,
    );
    expect(rebuilt.map((r) => r.model)).toEqual([
      'customer_lifetime_value',
      'daily_revenue',
      'fct_orders',
      'fct_shipments',
      'region_kpis',
    ]);
    // A resync touched the incremental model's source: it is rebuilt in full, not merged.
    const daily = aws.statements.find((s) => s.name === 'zeo:resync-orders-rebuild:build:daily_revenue');
    expect(daily?.sqls.join('\n')).toContain('RENAME TO "daily_revenue"');
    expect(aws.events.some((e) => e.DetailType === 'Source Tables Resynced')).toBe(true);
  });

  it('asks for an integration refresh of Failed tables only', async () => {
    await aws.setTableState('public.payments', 'Failed', 'unsupported data type');
    await aws.setTableState('public.orders', 'ResyncInitiated');
    const sfn = localStepFunctions({
      onWait: async () => {
        await aws.setTableState('public.payments', 'Synced');
        await aws.setTableState('public.orders', 'Synced');
      },
    });
    const run = await runToEnd(
      sfn,
      RESYNC,
      { tables: ['public.payments', 'public.orders'], requestRefresh: true },
      'refresh-failed',
    );
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const alter = aws.sqlLog.filter((s) => s.startsWith('ALTER DATABASE'));
    expect(alter).toEqual(['ALTER DATABASE "aurora_zeroetl" INTEGRATION REFRESH TABLE "public"."payments"']);
  });

  it('gives up at the resync timeout with a clear error and a notification', async () => {
    await aws.setTableState('public.customers', 'ResyncRequired');
    const sfn = localStepFunctions({
      onWait: () => clock.advance(90 * 60_000), // 1.5 simulated hours per Wait; the project allows 4
    });
    const run = await runToEnd(sfn, RESYNC, { tables: ['public.customers'] }, 'never-synced');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ResyncTimeoutError');
    expect(statesEntered(run).filter((s) => s === 'CheckSync')).toHaveLength(3);
    const timeout = aws.events.find((e) => e.DetailType === 'Resync Timed Out');
    expect(JSON.parse(timeout?.Detail ?? '{}')).toMatchObject({
      notSynced: [{ table: 'public.customers', state: 'ResyncRequired' }],
    });
    expect(sfn.executions.some((e) => e.machine === 'CuratedRefreshStateMachine')).toBe(false);
  });

  it('goes straight to the rebuild when the tables are already Synced', async () => {
    const sfn = localStepFunctions();
    const run = await runToEnd(sfn, RESYNC, { tables: ['public.shipments'] }, 'shipments');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(statesEntered(run)).not.toContain('WaitForSync');
    expect(sfn.executions.find((e) => e.name === 'shipments-rebuild')?.input).toMatchObject({
      sources: ['public.shipments'],
    });
    const rebuilt = await aws.warehouse.query<{ model: string }>(
      `SELECT model FROM zeo.run_log WHERE run_id = 'shipments-rebuild'`,
    );
    expect(rebuilt.map((r) => r.model)).toEqual(['fct_shipments']);
  });

  it('a parent started under an 80-character name rebuilds under a valid child name', async () => {
    const parent = `resync-from-the-console-${'x'.repeat(56)}`;
    expect(parent).toHaveLength(80);
    const sfn = localStepFunctions();
    const run = await runToEnd(sfn, RESYNC, { tables: ['public.shipments'] }, parent);
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const child = sfn.executions.find((e) => e.machine === 'CuratedRefreshStateMachine');
    expect(child?.name).toBe(childExecutionName(parent, 'rebuild'));
    expect(child?.name.length).toBeLessThanOrEqual(80);
    expect(child?.status).toBe('SUCCEEDED');
  });

  it.each([
    [{ tables: [] }, /tables: Too small/],
    [{ tables: ['public.nope'] }, /tables\[0\]: 'public.nope' is not a landing table/],
    [{ tables: ['orders'] }, /source tables are written 'schema.table'/],
    [{ tables: ['public.orders'], extra: true }, /unknown key\(s\): extra/],
  ])('rejects bad input %j before touching anything', async (input, message) => {
    const run = await runToEnd(localStepFunctions(), RESYNC, input, 'bad');
    expect(run.error).toBe('InvalidInputError');
    expect(JSON.stringify(run.events)).toMatch(message);
    expect(aws.sqlLog).toEqual([]);
  });
});
