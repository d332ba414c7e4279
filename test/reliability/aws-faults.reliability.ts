import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../local/app.js';
import type { DataApiErrorType } from '../../local/data-api/errors.js';
import type { ExecutionRecord } from '../../local/sfn/runner.js';
import type { DispatchState } from '../../shared/refresh/dispatch-state.js';
import {
  attemptsOf,
  type Checksum,
  changeSource,
  checksum,
  customRunner,
  isDefinedOutcome,
  leftovers,
  NamedError,
  oracleChecksum,
  run,
  runLog,
  settleRunner,
  smallProjectDir,
  startApp,
  useProjectVariant,
} from './support/local.js';
import { Recorder } from './support/results.js';

/**
 * AWS faults on the embedded stack, each driven to its defined outcome within its configured bound:
 * Data API throttling and ActiveStatementsExceededException bursts, an operator ABORT, DescribeStatement
 * for an id the Data API no longer knows, Lambda service errors, RDS faults while deleting an
 * integration, a replacement integration that never leaves `creating`, a resync that never finishes.
 */

const recorder = new Recorder('aws-faults');
let app: LocalOrchestrator;
let restoreManifest: (() => void) | undefined;

beforeAll(async () => {
  app = await startApp();
}, 300_000);
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  app.stack.dataApi.clearFaults();
  app.stack.rds.clearFaults();
  restoreManifest?.();
  restoreManifest = undefined;
});

const MODEL = 'dim_customers';
const orchestratorEvents = (type: string, since = 0) =>
  app.stack.events.log
    .slice(since)
    .filter((e) => e.source === 'zero-etl-orchestrator' && e['detail-type'] === type);
const same = (a: Checksum | undefined, b: Checksum | undefined) =>
  a !== undefined && b !== undefined && a.n === b.n && a.sum === b.sum;
const allAttempts = (records: readonly ExecutionRecord[], state: string) =>
  records.reduce((n, r) => n + attemptsOf(r, state), 0);

/** A refresh of one model after a source change; returns what happened to the table. */
async function refreshUnderFault(runId: string) {
  await changeSource(app);
  const before = await checksum(app, MODEL);
  const expectedNew = await oracleChecksum(app, MODEL);
  const started = Date.now();
  const eventsBefore = app.stack.events.log.length;
  const execution = await run(app, 'curated-refresh', { select: MODEL, fullRefresh: true }, runId);
  const after = await checksum(app, MODEL);
  return {
    execution,
    before,
    expectedNew,
    after,
    seconds: (Date.now() - started) / 1000,
    log: await runLog(app, runId, MODEL),
    failedEvents: orchestratorEvents('Curated Refresh Failed', eventsBefore).length,
    children: app.sfn.executions.filter((e) => e.name.startsWith(runId)),
  };
}

// ---- Data API throttling / ActiveStatementsExceeded ------------------------------------------------

const THROTTLING = {
  description:
    'The Data API answers ThrottlingException to every call for a while. Defined outcome: the SDK and the state machine retry (DataApiThrottledError) and the refresh completes; a burst longer than the retry budget ends the refresh with CuratedRefreshFailedError and a "Curated Refresh Failed" notification, nothing changed.',
  bound: 'SDK: 3 attempts per call; ASL: DataApiThrottledError retried 8 times (5 s, backoff 2)',
};
const ACTIVE_STATEMENTS = {
  description:
    'BatchExecuteStatement / ExecuteStatement answer ActiveStatementsExceededException in bursts. Defined outcome as for throttling.',
  bound: 'SDK: 3 attempts per call; ASL: DataApiThrottledError retried 8 times',
};

describe('Data API throttling and ActiveStatementsExceededException bursts', () => {
  const bursts: {
    cls: string;
    meta: typeof THROTTLING;
    op: '*' | 'BatchExecuteStatement' | 'ExecuteStatement';
    type: DataApiErrorType;
    times: number;
  }[] = [
    { cls: 'Data API throttling burst', meta: THROTTLING, op: '*', type: 'ThrottlingException', times: 4 },
    { cls: 'Data API throttling burst', meta: THROTTLING, op: '*', type: 'ThrottlingException', times: 12 },
    {
      cls: 'ActiveStatementsExceededException burst',
      meta: ACTIVE_STATEMENTS,
      op: 'BatchExecuteStatement',
      type: 'ActiveStatementsExceededException',
      times: 5,
    },
    {
      cls: 'ActiveStatementsExceededException burst',
      meta: ACTIVE_STATEMENTS,
      op: 'ExecuteStatement',
      type: 'ActiveStatementsExceededException',
      times: 5,
    },
    // The SDK does not retry this error: each one costs a Lambda attempt, and 8 retries absorb 8 in a row.
    {
      cls: 'ActiveStatementsExceededException burst',
      meta: ACTIVE_STATEMENTS,
      op: '*',
      type: 'ActiveStatementsExceededException',
      times: 8,
    },
  ];
  for (const [i, b] of bursts.entries()) {
    it(`${b.times} × ${b.type} on ${b.op}: retried, the refresh completes`, async () => {
      app.stack.dataApi.injectFault({ operation: b.op, errorType: b.type, times: b.times });
      const r = await refreshUnderFault(`burst-${i + 1}`);
      const ok = r.execution.status === 'SUCCEEDED' && same(r.after, r.expectedNew);
      recorder.fault(b.cls, b.meta, {
        outcome: ok ? 'retried, refresh succeeded' : `unexpected: ${r.execution.status} ${r.execution.error}`,
        dataLost: !same(r.after, r.expectedNew) && !same(r.after, r.before),
        unhandled: !isDefinedOutcome(r.execution),
      });
      expect(r.execution.status, r.execution.cause).toBe('SUCCEEDED');
      expect(r.after).toEqual(r.expectedNew);
      expect(r.log.map((l) => l.status)).toContain('success');
    });
  }

  it('a burst longer than the retry budget fails the refresh with a notification and changes nothing', async () => {
    app.stack.dataApi.injectFault({
      operation: '*',
      errorType: 'ActiveStatementsExceededException',
      times: 100_000,
    });
    const r = await refreshUnderFault('burst-exhausted');
    app.stack.dataApi.clearFaults();
    const plans = attemptsOf(r.execution, 'PlanRefresh');
    const defined = isDefinedOutcome(r.execution);
    recorder.fault('ActiveStatementsExceededException burst', ACTIVE_STATEMENTS, {
      outcome:
        r.execution.error === 'CuratedRefreshFailedError' && r.failedEvents > 0
          ? `retry budget exhausted (${plans} attempts), failed with notification`
          : `unexpected: ${r.execution.status} ${r.execution.error}`,
      dataLost: !same(r.after, r.before),
      unhandled: !defined,
    });
    expect(defined).toBe(true);
    expect(r.execution.error).toBe('CuratedRefreshFailedError');
    expect(plans, 'first attempt + 8 retries').toBe(9);
    expect(r.failedEvents).toBeGreaterThan(0);
    expect(r.after).toEqual(r.before);
    const next = await run(
      app,
      'curated-refresh',
      { select: MODEL, fullRefresh: true },
      'burst-exhausted-next',
    );
    expect(next.status).toBe('SUCCEEDED');
    expect(await checksum(app, MODEL)).toEqual(r.expectedNew);
  });
});

// ---- Operator ABORT, expired statement ids -------------------------------------------------------

const ABORT = {
  description:
    'An operator aborts a running build (CancelStatement / pg_cancel_backend) before it touched the table. Defined outcome: the next DispatchBuilds tick no longer lists it running, describes it ABORTED and records the model failed (after the fence); the refresh fails with a notification; the table keeps its rows.',
  bound: 'the next dispatcher tick',
};
const EXPIRED = {
  description:
    'The Data API no longer knows the build (its records expire 24 h after a statement ends): ListStatements does not list it and DescribeStatement answers ResourceNotFoundException. Defined outcome: the DispatchBuilds tick that looks at it fences the lease and records the model failed, or finds it committed and records nothing against it; the refresh fails with a notification (or succeeds when it had committed); the table holds one complete version that the run log agrees with.',
  bound: 'one dispatcher tick after the submitting one (not retried)',
};

const isBuildOf = (sqls: readonly string[]) => sqls.some((s) => s.includes(`"${MODEL}__zeo_new"`));

/**
 * Has the Data API forget the statements a hold keeps: ListStatements leaves them out, as it leaves out
 * a statement whose record expired (DescribeStatement is faulted separately). `hidden` counts the
 * listings that left one out.
 */
function forgetStatements(hold: { readonly heldIds: readonly string[] }) {
  const api = app.stack.dataApi;
  const original = api.handle;
  let hidden = 0;
  api.handle = async (operation, body, caller) => {
    const reply = await original.call(api, operation, body, caller);
    if (operation !== 'ListStatements') return reply;
    const page = reply as { Statements?: { Id?: string }[] };
    const kept = (page.Statements ?? []).filter((st) => !hold.heldIds.includes(st.Id ?? ''));
    if (kept.length !== (page.Statements ?? []).length) hidden++;
    return { ...page, Statements: kept };
  };
  return {
    hidden: () => hidden,
    restore: () => {
      api.handle = original;
    },
  };
}

describe('Statements aborted by an operator, and statement ids the Data API no longer knows', () => {
  it('an operator ABORT of a running build: recorded failed, old rows kept', async () => {
    const hold = app.stack.dataApi.hold((s) => isBuildOf(s.sqls));
    await changeSource(app);
    const before = await checksum(app, MODEL);
    const execution = app.start('curated-refresh', { select: MODEL, fullRefresh: true }, 'operator-abort');
    await hold.waitUntilHeld(1);
    const [id] = hold.heldIds;
    expect(id && app.stack.dataApi.abort(id)).toBe(true);
    hold.release();
    await execution.done;
    await app.settle();
    const after = await checksum(app, MODEL);
    const log = await runLog(app, 'operator-abort', MODEL);
    recorder.fault('Operator ABORT of a running build', ABORT, {
      outcome:
        execution.error === 'CuratedRefreshFailedError' && log.some((l) => /abort/i.test(l.error ?? ''))
          ? 'recorded failed (ABORTED), old rows kept'
          : `unexpected: ${execution.status} ${JSON.stringify(log)}`,
      dataLost: !same(after, before),
      unhandled: !isDefinedOutcome(execution),
    });
    expect(execution.error).toBe('CuratedRefreshFailedError');
    expect(after).toEqual(before);
    expect(log.map((l) => l.status)).toEqual(['failed']);
    expect(log[0]?.error).toMatch(/ABORTED/);
    expect(await leftovers(app)).toEqual([]);
  });

  it('DescribeStatement for an expired id: the build is recorded failed, old rows kept', async () => {
    // The build stays queued while its id "expires" (neither listed nor describable), and is let go
    // after the failure was recorded: the fence the dispatcher leaves must refuse its commit (nothing
    // aborts it here).
    const hold = app.stack.dataApi.hold((s) => isBuildOf(s.sqls));
    const forgotten = forgetStatements(hold);
    app.stack.dataApi.injectFault({
      operation: 'DescribeStatement',
      errorType: 'ResourceNotFoundException',
      times: 1000,
      message: 'Query does not exist.',
    });
    await changeSource(app);
    const before = await checksum(app, MODEL);
    const execution = app.start('curated-refresh', { select: MODEL, fullRefresh: true }, 'expired-id');
    await hold.waitUntilHeld(1);
    const [id] = hold.heldIds;
    await execution.done;
    forgotten.restore();
    hold.release();
    app.stack.dataApi.clearFaults();
    await app.stack.dataApi.settle();
    await app.settle();
    const late = id ? app.stack.dataApi.describe(id) : undefined;
    const after = await checksum(app, MODEL);
    const log = await runLog(app, 'expired-id', MODEL);
    // Ticks after the one that submitted: the first look must settle it (no retry, no waiting loop).
    const looks =
      allAttempts(
        app.sfn.executions.filter((e) => e.name.startsWith('expired-id')),
        'DispatchBuilds',
      ) - 1;
    recorder.fault('DescribeStatement for an expired statement id', EXPIRED, {
      outcome:
        execution.error === 'CuratedRefreshFailedError' &&
        log.some((l) => l.status === 'failed' && /ResourceNotFound|does not exist/.test(l.error ?? ''))
          ? `recorded failed after ${looks} look(s), old rows kept`
          : `unexpected: ${execution.status} ${JSON.stringify(log)}`,
      dataLost: !same(after, before),
      unhandled: !isDefinedOutcome(execution),
    });
    expect(forgotten.hidden(), 'ListStatements was asked and did not list the build').toBeGreaterThan(0);
    expect(execution.error).toBe('CuratedRefreshFailedError');
    expect(log.map((l) => l.status)).toEqual(['failed']);
    expect(log[0]?.error).toMatch(/ResourceNotFound|does not exist/);
    expect(looks).toBe(1);
    expect(after).toEqual(before);
    expect(late?.Status, 'the late batch was refused by the fence').toBe('FAILED');
    expect(String(late?.Error)).toMatch(/superseded/);
  });

  // The build commits, then its id "expires": the dispatcher's fence must see the build's own success.
  it('DescribeStatement for an expired id after the build committed: run log agrees with the table', async () => {
    await changeSource(app);
    const expectedNew = await oracleChecksum(app, MODEL);
    let looks = 0;
    const sfn = customRunner(app, {
      dispatchBuilds: async (payload, real) => {
        // Only the ticks that look at a submitted build; the first one submits it.
        if (!(payload as DispatchState).inFlight.some((b) => b.id !== null)) return real(payload);
        looks++;
        await app.stack.dataApi.settle();
        app.stack.dataApi.injectFault({
          operation: 'DescribeStatement',
          errorType: 'ResourceNotFoundException',
          message: 'Query does not exist.',
        });
        return real(payload);
      },
    });
    const execution = sfn.start(
      'CuratedRefreshStateMachine',
      { select: MODEL, fullRefresh: true },
      'expired-after-commit',
    );
    await execution.done;
    await settleRunner(sfn);
    const after = await checksum(app, MODEL);
    const statuses = (await runLog(app, 'expired-after-commit', MODEL)).map((l) => l.status);
    recorder.fault('DescribeStatement for an expired statement id', EXPIRED, {
      outcome:
        statuses.join('+') === 'success' && execution.status === 'SUCCEEDED'
          ? 'build had committed: recorded built, not failed; refresh succeeded'
          : `unexpected: ${execution.status} ${statuses.join('+')}`,
      dataLost: !same(after, expectedNew),
      unhandled: !isDefinedOutcome(execution),
    });
    expect(looks).toBe(1);
    expect(after).toEqual(expectedNew);
    expect(statuses, 'the table was rebuilt; the run log says so, once').toEqual(['success']);
    expect(execution.status, 'a build that committed is not a failed refresh').toBe('SUCCEEDED');
  });
});

// ---- Lambda service errors ------------------------------------------------------------------------

const LAMBDA = {
  description:
    'The Lambda service fails invocations (ServiceException, TooManyRequestsException, SdkClientException) of a step. Defined outcome: retried by the ASL and the execution completes; more failures than the retry budget end it through its Catch with a notification.',
  bound: 'Lambda.* retried 6 times (2 s, backoff 2) per Task state',
};

describe('Lambda service errors', () => {
  const cases: {
    fn: string;
    error: string;
    failures: number;
    expect: 'SUCCEEDED' | 'FAILED';
    /** DispatchBuilds: fail the tick that submits the build, or a tick that looks at it. */
    tick?: 'submit' | 'look';
  }[] = [
    { fn: 'planRefresh', error: 'Lambda.ServiceException', failures: 3, expect: 'SUCCEEDED' },
    {
      fn: 'dispatchBuilds',
      tick: 'submit',
      error: 'Lambda.TooManyRequestsException',
      failures: 6,
      expect: 'SUCCEEDED',
    },
    {
      fn: 'dispatchBuilds',
      tick: 'look',
      error: 'Lambda.SdkClientException',
      failures: 4,
      expect: 'SUCCEEDED',
    },
    {
      fn: 'dispatchBuilds',
      tick: 'look',
      error: 'Lambda.AWSLambdaException',
      failures: 2,
      expect: 'SUCCEEDED',
    },
    { fn: 'summarizeRefresh', error: 'Lambda.ServiceException', failures: 6, expect: 'SUCCEEDED' },
    { fn: 'planRefresh', error: 'Lambda.ServiceException', failures: 7, expect: 'FAILED' },
    { fn: 'dispatchBuilds', tick: 'submit', error: 'Lambda.ServiceException', failures: 7, expect: 'FAILED' },
    { fn: 'summarizeRefresh', error: 'Lambda.TooManyRequestsException', failures: 50, expect: 'FAILED' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${c.failures} × ${c.error} on ${c.fn}${c.tick ? ` (the tick that ${c.tick}s)` : ''}: ${c.expect === 'SUCCEEDED' ? 'retried' : 'budget exhausted, notified'}`, async () => {
      let left = c.failures;
      let hit = 0;
      const sfn = customRunner(app, {
        [c.fn]: async (payload, real) => {
          const looks = c.tick && (payload as DispatchState).inFlight.some((b) => b.id !== null);
          if (c.tick && looks !== (c.tick === 'look')) return real(payload);
          if (left > 0) {
            hit++;
            left--;
            throw new NamedError(c.error, 'Rate Exceeded.');
          }
          return real(payload);
        },
      });
      await changeSource(app);
      const before = await checksum(app, MODEL);
      const expectedNew = await oracleChecksum(app, MODEL);
      const eventsBefore = app.stack.events.log.length;
      const execution = sfn.start(
        'CuratedRefreshStateMachine',
        { select: MODEL, fullRefresh: true },
        `lambda-${i + 1}`,
      );
      await execution.done;
      await settleRunner(sfn);
      const after = await checksum(app, MODEL);
      const notified = orchestratorEvents('Curated Refresh Failed', eventsBefore).length > 0;
      const defined = isDefinedOutcome(execution);
      recorder.fault('Lambda service errors', LAMBDA, {
        outcome:
          execution.status === 'SUCCEEDED'
            ? 'retried, execution succeeded'
            : notified
              ? 'retry budget exhausted, failed with notification'
              : `unexpected: ${execution.error}`,
        dataLost: !same(after, before) && !same(after, expectedNew),
        unhandled: !defined,
      });
      // Every failure hit the step, up to its first attempt and 6 retries (Lambda.* in the ASL).
      expect(hit, 'failures that hit the step').toBe(Math.min(c.failures, 7));
      expect(defined, `${execution.error} ${execution.cause}`).toBe(true);
      expect(execution.status).toBe(c.expect);
      if (c.expect === 'SUCCEEDED') expect(after).toEqual(expectedNew);
      else expect(notified).toBe(true);
      expect(await leftovers(app)).toEqual([]);
    });
  }
});

// ---- Resync that never finishes ---------------------------------------------------------------------

const RESYNC = {
  description:
    'A source table keeps going back to ResyncRequired and never returns to Synced. Defined outcome: resync-recovery waits (Wait states, no sleeping Lambda) until recovery.resyncTimeoutMinutes, then fails with ResyncTimeoutError and a "Resync Timed Out" notification; downstream models are not rebuilt from a half-loaded table.',
  bound: 'recovery.resyncTimeoutMinutes (240 simulated minutes)',
};

describe('A resync that never finishes', () => {
  it('times out at recovery.resyncTimeoutMinutes with a notification; downstream untouched', async () => {
    const table = { schema: 'public', table: 'payments' };
    await app.stack.simulator.resyncTable(table.schema, table.table);
    let stuck = true;
    const sfn = customRunner(app, {}, async () => {
      if (stuck)
        await app.stack.simulator.resyncTable(table.schema, table.table, { reason: 'resync restarted' });
    });
    const before = await checksum(app, 'stg_payments');
    const viewBefore = await checksum(app, 'mv_payment_methods');
    const eventsBefore = app.stack.events.log.length;
    const t0 = app.stack.clock.now().getTime();
    const execution = sfn.start(
      'ResyncRecoveryStateMachine',
      { tables: ['public.payments'] },
      'resync-never-ends',
    );
    await execution.done;
    await settleRunner(sfn);
    stuck = false;
    const minutes = (app.stack.clock.now().getTime() - t0) / 60_000;
    const timeout = app.manifest.project.recovery.resyncTimeoutMinutes;
    const notified = orchestratorEvents('Resync Timed Out', eventsBefore).length > 0;
    const after = await checksum(app, 'stg_payments');
    const viewAfter = await checksum(app, 'mv_payment_methods');
    recorder.fault('Resync that never finishes', RESYNC, {
      outcome:
        execution.error === 'ResyncTimeoutError' && notified
          ? `timed out after ${Math.round(minutes)} simulated minutes, notified`
          : `unexpected: ${execution.status} ${execution.error}`,
      dataLost: !same(after, before) || !same(viewAfter, viewBefore),
      unhandled: !isDefinedOutcome(execution),
    });
    expect(execution.error).toBe('ResyncTimeoutError');
    expect(notified).toBe(true);
    expect(minutes).toBeGreaterThanOrEqual(timeout);
    expect(minutes).toBeLessThanOrEqual(timeout + 2);
    expect(sfn.executions.filter((e) => e.machine === 'CuratedRefreshStateMachine')).toEqual([]);
    expect(after).toEqual(before);
    expect(viewAfter).toEqual(viewBefore);
    // Let the resync finish so the rest of the file has a healthy landing zone.
    await app.stack.simulator.tick(3 * 60_000);
  });
});

// ---- RDS faults during integration recovery ---------------------------------------------------------

const DELETE_CONFLICT = {
  description:
    'DeleteIntegration answers IntegrationConflictOperationFault (another operation is in progress). Defined outcome: IntegrationBusyError is retried and the recovery completes; past the retry budget the recovery fails with "Integration Recovery Failed" and the integration is left as it was.',
  bound: 'IntegrationBusyError retried 10 times (30 s, backoff 1.5)',
};
const DELETE_STATE = {
  description:
    'DeleteIntegration answers InvalidIntegrationStateFault (the integration is in a state that cannot be deleted yet). Defined outcome as for the conflict fault.',
  bound: 'IntegrationBusyError retried 10 times (30 s, backoff 1.5)',
};
const CREATING = {
  description:
    'The replacement integration stays `creating`. Defined outcome: the recovery polls (Wait states) until its deadline, then fails with "Integration Recovery Failed"; nothing else is deleted.',
  bound: 'recovery.initialLoadTimeoutMinutes + 60 minutes (300 simulated minutes)',
};

/** A recreate-class failure with a message of its own, so each test's recovery gets its own execution. */
async function failIntegration(label: string): Promise<ExecutionRecord[]> {
  const n = app.sfn.executions.length;
  await app.stack.simulator.failIntegration('0007', {
    message: `Unable to load data due to an internal error (${label}). Delete and recreate the integration.`,
  });
  await app.settle();
  return app.sfn.executions.slice(n).filter((e) => e.machine === 'IntegrationRecoveryStateMachine');
}

describe('RDS faults during integration recovery', () => {
  const allowRecreation = () => {
    restoreManifest = useProjectVariant(app, smallProjectDir(), (text) =>
      text.replace('maxRecreatesPer24h: 1', 'maxRecreatesPer24h: 24'),
    );
  };

  const deleteFaults: {
    code: 'IntegrationConflictOperationFault' | 'InvalidIntegrationStateFault';
    times: number;
  }[] = [
    { code: 'IntegrationConflictOperationFault', times: 3 },
    { code: 'InvalidIntegrationStateFault', times: 4 },
  ];
  for (const f of deleteFaults) {
    it(`${f.times} × ${f.code} on DeleteIntegration: retried, the integration is recreated`, async () => {
      allowRecreation();
      const deletesBefore = app.stack.rds.mutatingCalls('DeleteIntegration').length;
      app.stack.rds.injectFault({ action: 'DeleteIntegration', code: f.code, times: f.times });
      const recoveries = await failIntegration(f.code);
      const recovery = recoveries[0];
      const deletes = app.stack.rds.mutatingCalls('DeleteIntegration').slice(deletesBefore);
      const ok = recoveries.length === 1 && recovery?.status === 'SUCCEEDED';
      recorder.fault(
        `RDS ${f.code} during delete`,
        f.code === 'InvalidIntegrationStateFault' ? DELETE_STATE : DELETE_CONFLICT,
        {
          outcome: ok
            ? `retried ${deletes.length - 1} time(s), integration recreated`
            : `unexpected: ${recovery?.status} ${recovery?.cause}`,
          dataLost: (await checksum(app, MODEL)) === undefined,
          unhandled: recovery === undefined || !isDefinedOutcome(recovery),
        },
      );
      expect(recoveries).toHaveLength(1);
      expect(recovery?.status, recovery?.cause).toBe('SUCCEEDED');
      expect(deletes.map((d) => d.outcome)).toEqual([...Array(f.times).fill(f.code), 'ok']);
      expect(app.stack.integrations.describe().filter((i) => i.status !== 'deleting')).toHaveLength(1);
    });
  }

  it('a delete that keeps conflicting exhausts the retry budget: recovery fails with a notification, nothing deleted', async () => {
    allowRecreation();
    const deletesBefore = app.stack.rds.mutatingCalls('DeleteIntegration').length;
    const createsBefore = app.stack.rds.mutatingCalls('CreateIntegration').length;
    const eventsBefore = app.stack.events.log.length;
    app.stack.rds.injectFault({
      action: 'DeleteIntegration',
      code: 'IntegrationConflictOperationFault',
      times: 1000,
    });
    const [recovery] = await failIntegration('conflict-forever');
    app.stack.rds.clearFaults();
    const deletes = app.stack.rds.mutatingCalls('DeleteIntegration').slice(deletesBefore);
    const notified = orchestratorEvents('Integration Recovery Failed', eventsBefore).length > 0;
    recorder.fault('RDS IntegrationConflictOperationFault during delete', DELETE_CONFLICT, {
      outcome:
        recovery?.error === 'IntegrationRecoveryFailedError' || (recovery?.status === 'FAILED' && notified)
          ? `retry budget exhausted after ${deletes.length} attempts, failed with notification`
          : `unexpected: ${recovery?.status} ${recovery?.error}`,
      dataLost: (await checksum(app, MODEL)) === undefined,
      unhandled: recovery === undefined || !isDefinedOutcome(recovery),
    });
    expect(recovery && isDefinedOutcome(recovery)).toBe(true);
    expect(recovery?.status).toBe('FAILED');
    expect(deletes).toHaveLength(11);
    expect(app.stack.rds.mutatingCalls('CreateIntegration').length).toBe(createsBefore);
    expect(notified).toBe(true);
    await app.stack.simulator.recoverIntegration();
    await app.settle();
  });

  it('a replacement integration stuck in `creating` fails the recovery at its deadline, with a notification', async () => {
    allowRecreation();
    app.stack.integrations.holdCreating(1);
    const eventsBefore = app.stack.events.log.length;
    const t0 = app.stack.clock.now().getTime();
    const createsBefore = app.stack.rds.mutatingCalls('CreateIntegration').length;
    const [recovery] = await failIntegration('stuck-creating');
    const minutes = (app.stack.clock.now().getTime() - t0) / 60_000;
    const project = app.manifest.project.recovery;
    const deadline = project.initialLoadTimeoutMinutes + 60;
    const notified = orchestratorEvents('Integration Recovery Failed', eventsBefore).length > 0;
    const creates = app.stack.rds.mutatingCalls('CreateIntegration').length - createsBefore;
    recorder.fault('Replacement integration stuck in creating', CREATING, {
      outcome:
        recovery?.status === 'FAILED' && notified
          ? `gave up after ${Math.round(minutes)} simulated minutes, failed with notification`
          : `unexpected: ${recovery?.status} ${recovery?.error}`,
      dataLost: false,
      unhandled: recovery === undefined || !isDefinedOutcome(recovery),
    });
    expect(recovery && isDefinedOutcome(recovery)).toBe(true);
    expect(recovery?.status).toBe('FAILED');
    expect(notified).toBe(true);
    expect(creates).toBe(1);
    expect(minutes).toBeGreaterThanOrEqual(deadline - 1);
    expect(minutes).toBeLessThanOrEqual(deadline + 2);
    for (const i of app.stack.integrations.describe()) app.stack.integrations.release(i.id);
  });
});
