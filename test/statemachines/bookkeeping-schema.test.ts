import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, runToEnd, settle } from '../helpers/local-sfn.js';

/**
 * The bookkeeping schema is set up once per schema version (issue #12, defect 10), not on every step:
 * the watchdog ticks every 5 minutes, and re-running ~10 DDL statements (CREATE OR REPLACE PROCEDURE
 * among them, which needs ownership on Redshift — dev guide "Security and privileges for stored
 * procedures") on each tick is needless load and a needless privilege. Counted on the statements the
 * Data API received (real SQL behind the mocks).
 */

let aws: FakeAws;
beforeAll(async () => {
  aws = await createFakeAws();
});
afterAll(async () => {
  aws.restore();
  await aws.warehouse.close();
});
beforeEach(() => aws.reset());

const DDL = /^\s*(CREATE|ALTER|DROP)\b/i;
/** DDL on the orchestrator's own schema (model builds create their `__zeo_new` tables elsewhere). */
const BOOKKEEPING_DDL = /^\s*(CREATE|ALTER|DROP)\b[\s\S]*?"zeo"/i;

describe('Bookkeeping schema: set up once per version', () => {
  it('the first step on an empty warehouse sets it up; a watchdog tick on a set-up warehouse runs 0 DDL statements', async () => {
    const sfn = localStepFunctions();
    const first = await runToEnd(sfn, 'ReconcileStateMachine', { trigger: 'watchdog' }, 'tick-first');
    expect(first.status, first.cause).toBe('SUCCEEDED');
    expect(aws.sqlLog.filter((s) => DDL.test(s)).length).toBeGreaterThan(0);
    aws.sqlLog.length = 0;
    const tick = await runToEnd(sfn, 'ReconcileStateMachine', { trigger: 'watchdog' }, 'tick-next');
    expect(tick.status, tick.cause).toBe('SUCCEEDED');
    expect(aws.sqlLog.length).toBeGreaterThan(0);
    expect(aws.sqlLog.filter((s) => DDL.test(s))).toEqual([]);
    const logged = await aws.warehouse.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM zeo.reconcile_log',
    );
    expect(logged[0]?.n).toBe(2);
  });

  it('a curated refresh on a set-up warehouse runs no bookkeeping DDL', async () => {
    const sfn = localStepFunctions();
    await runToEnd(sfn, 'ReconcileStateMachine', { trigger: 'watchdog' }, 'tick-setup');
    aws.sqlLog.length = 0;
    const refresh = await runToEnd(sfn, 'CuratedRefreshStateMachine', {}, 'refresh-after-setup');
    await settle(sfn);
    expect(refresh.status, refresh.cause).toBe('SUCCEEDED');
    expect(refresh.output).toMatchObject({ counts: { built: 11 } });
    expect(aws.sqlLog.filter((s) => BOOKKEEPING_DDL.test(s))).toEqual([]);
  });

  it('a dropped bookkeeping schema is set up again by the next step', async () => {
    const sfn = localStepFunctions();
    await runToEnd(sfn, 'ReconcileStateMachine', { trigger: 'watchdog' }, 'tick-before-drop');
    await aws.warehouse.query('DROP SCHEMA zeo CASCADE');
    const tick = await runToEnd(sfn, 'ReconcileStateMachine', { trigger: 'watchdog' }, 'tick-after-drop');
    expect(tick.status, tick.cause).toBe('SUCCEEDED');
    const logged = await aws.warehouse.query<{ route: string }>('SELECT route FROM zeo.reconcile_log');
    expect(logged.map((r) => r.route)).toEqual(['none']);
  });
});
