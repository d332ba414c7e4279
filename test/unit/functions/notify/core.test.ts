import { describe, expect, it } from 'vitest';
import { notify } from '../../../../functions/notify/core.js';
import type { Notification } from '../../../../shared/notify/notifier.js';
import { type FailureReport, failureReport } from '../../../../shared/refresh/failure-report.js';

/** Notify over a recording notifier: what is announced, and the cause it hands the Fail state. */

function recorder() {
  const sent: Notification[] = [];
  return { sent, notifier: { notify: async (n: Notification[]) => void sent.push(...n) } };
}

const report: FailureReport = failureReport({
  counts: { selected: 2, built: 1, failed: 1, skipped: 0, deferred: 0, missing: 0 },
  failed: [{ model: 'fct_orders', reason: 'WarehouseStatementError: FAILED: ERROR: division by zero' }],
  skipped: [],
  deferred: [],
  missing: [],
  runLog: "SELECT * FROM zeo.run_log WHERE run_id = 'r-1-rebuild'",
});

const base = {
  detailType: 'Curated Refresh Failed' as const,
  severity: 'error' as const,
  subject: 'rebuild after resync failed: ["public.orders"]',
  detail: { tables: ['public.orders'] },
};

describe('notify', () => {
  it('announces as given and returns the subject as cause when nothing failed', async () => {
    const { sent, notifier } = recorder();
    const out = await notify(base, { notifier });
    expect(out).toEqual({ notified: 'Curated Refresh Failed', cause: base.subject });
    expect(sent).toEqual([base]);
  });

  it("a failed sync child's cause (its DescribeExecution, report inside): the report goes into the detail and is the cause", async () => {
    const { sent, notifier } = recorder();
    const Cause = JSON.stringify({
      ExecutionArn: 'arn:…:r-1-rebuild',
      Status: 'FAILED',
      Error: 'CuratedRefreshFailedError',
      Cause: JSON.stringify(report),
    });
    const out = await notify({ ...base, failure: { Error: 'States.TaskFailed', Cause } }, { notifier });
    expect(JSON.parse(out.cause)).toEqual(report);
    expect(sent[0]?.detail).toEqual({ tables: ['public.orders'], report });
  });

  it('a cause that is the report itself is recognised too', async () => {
    const { sent, notifier } = recorder();
    const out = await notify(
      { ...base, failure: { Error: 'CuratedRefreshFailedError', Cause: JSON.stringify(report) } },
      { notifier },
    );
    expect(JSON.parse(out.cause)).toEqual(report);
    expect(sent[0]?.detail.report).toEqual(report);
  });

  it('any other failure is passed on as its class and text, under error', async () => {
    const { sent, notifier } = recorder();
    const failure = {
      Error: 'StepFunctions.ExecutionAlreadyExistsException',
      Cause: 'Execution already exists',
    };
    const out = await notify({ ...base, failure }, { notifier });
    expect(out.cause).toBe('StepFunctions.ExecutionAlreadyExistsException: Execution already exists');
    expect(sent[0]?.detail).toEqual({ tables: ['public.orders'], error: failure });
    const notJson = await notify(
      { ...base, failure: { Error: 'States.TaskFailed', Cause: '{not json' } },
      { notifier },
    );
    expect(notJson.cause).toBe('States.TaskFailed: {not json');
  });
});
