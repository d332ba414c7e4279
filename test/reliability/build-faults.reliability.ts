import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../local/app.js';
import type { ExecutionRecord } from '../../local/sfn/runner.js';
import type { DispatchState } from '../../shared/refresh/dispatch-state.js';
import { type BuildMode, buildBatch, statementName } from '../../shared/sql/build.js';
import {
  armStatementFault,
  type Checksum,
  changeSource,
  checksum,
  customRunner,
  definedFailures,
  describeArmed,
  disarm,
  INJECTED_MARKER,
  isDefinedOutcome,
  type LoggedOutcome,
  leftovers,
  modelOf,
  NamedError,
  oracleChecksum,
  run,
  runLog,
  settleRunner,
  startApp,
  statementLabel,
} from './support/local.js';
import { Recorder } from './support/results.js';

/**
 * A failure at every statement position of a model's build batch (one Data API batch = one
 * transaction), an operator ABORT at every position, a batch the Data API fails before it runs, and
 * Lambda crashes of a dispatcher tick — on the embedded stack, through the real state machines and
 * handlers. Before every faulted build the source changes, so a build that leaked through would show
 * as rows different from the table's previous ones. Afterwards: the table holds exactly its previous
 * rows (checksum), the run log says what happened, and the next run leaves no work tables behind.
 */

const recorder = new Recorder('build-faults');
let app: LocalOrchestrator;

beforeAll(async () => {
  app = await startApp();
}, 300_000);
afterAll(async () => {
  await app?.close();
});

interface Target {
  model: string;
  mode: BuildMode;
  /** The curated-refresh input that makes the orchestrator choose `mode`. */
  fullRefresh: boolean;
}

/**
 * A table swap (dim_customers: grants and a unique key — the same statement list every table and every
 * full rebuild of an incremental model uses), an incremental merge, a materialized view re-created and
 * refreshed.
 */
const TARGETS: Target[] = [
  { model: 'dim_customers', mode: 'full', fullRefresh: true },
  { model: 'stg_payments', mode: 'merge', fullRefresh: false },
  { model: 'mv_payment_methods', mode: 'create_view', fullRefresh: true },
  { model: 'mv_payment_methods', mode: 'refresh_view', fullRefresh: false },
];

function batchMatcher(app: LocalOrchestrator, target: Target): (sqls: readonly string[]) => boolean {
  const m = modelOf(app, target.model);
  const rel = `"${m.schema}"."${m.name}"`;
  switch (target.mode) {
    case 'full':
      return (sqls) =>
        sqls.some((s) => s.includes(`"${m.name}__zeo_new"`)) && sqls.some((s) => s.includes('RENAME TO'));
    case 'merge':
      return (sqls) => sqls.some((s) => s.startsWith(`MERGE INTO ${rel}`));
    case 'create_view':
      return (sqls) => sqls.some((s) => s.startsWith(`CREATE MATERIALIZED VIEW ${rel}`));
    case 'refresh_view':
      return (sqls) => sqls.some((s) => s.startsWith(`REFRESH MATERIALIZED VIEW ${rel}`));
  }
}

function labels(app: LocalOrchestrator, target: Target): string[] {
  const batch = buildBatch(modelOf(app, target.model), target.mode, {
    runId: 'labels',
    trigger: 'labels',
  });
  return batch.sqls.map(statementLabel);
}

const sameRows = (a: Checksum | undefined, b: Checksum | undefined) =>
  a !== undefined && b !== undefined && a.n === b.n && a.sum === b.sum;

const statuses = (log: readonly LoggedOutcome[]) => [...new Set(log.map((l) => l.status))].sort();

const POSITION_FAULT = {
  description:
    'A statement of the build batch fails (it is replaced by one that raises; every statement before it has run in the same transaction). Defined outcome: the transaction rolls back, the model is recorded failed with the error, the refresh ends CuratedRefreshFailedError with a notification, the next run rebuilds.',
  bound: 'one state machine execution; no retry of a failed batch',
};
const POSITION_ABORT = {
  description:
    'An operator cancels the running build (CancelStatement) while statement k runs; the cancellation takes effect at the next statement boundary. Defined outcome: rolled back, model recorded failed (ABORTED), refresh fails with a notification.',
  bound: 'one state machine execution',
};
const AFTER_REFRESH_FAULT = {
  description:
    'A statement after REFRESH MATERIALIZED VIEW fails. The refresh "runs as a transaction of its own" (SQL reference "REFRESH MATERIALIZED VIEW") and stays committed. Defined outcome: the view holds the new rows, the build is recorded success (noting the failure), the refresh succeeds, the next run refreshes again.',
  bound: 'one state machine execution; no retry of a failed batch',
};
const REJECTED_BATCH = {
  description: 'The Data API reports the batch FAILED before any statement ran.',
  bound: 'one state machine execution',
};

interface FaultedRun {
  before: Checksum | undefined;
  expectedNew: Checksum;
  after: Checksum | undefined;
  log: LoggedOutcome[];
  status: string;
  error: string | undefined;
  definedOutcome: boolean;
  fired: boolean;
  /** Executions that started while the faulted run ran, other than it and its children. */
  concurrent: string[];
  /** What the execution, the run log, the model's Data API statements and the armed fault say. */
  diagnosis: string;
  next: { status: string; after: Checksum | undefined; leftovers: string[]; log: LoggedOutcome[] };
}

/** Executions in `records` that are not `root` or one of its descendants. */
function outside(records: readonly ExecutionRecord[], root: ExecutionRecord): ExecutionRecord[] {
  const family = new Set([root.executionArn]);
  for (const r of records) if (r.parentArn && family.has(r.parentArn)) family.add(r.executionArn);
  return records.filter((r) => !family.has(r.executionArn));
}

/** The Data API statements of a run's build of a model (lease, build batch, failure records…) and how they ended. */
function modelStatements(runId: string, model: string): string[] {
  // The build batch is named by the dispatcher's per-run prefix; the failure records by run and model.
  const build = statementName(runId, model);
  const name = `zeo:${runId}:${model}`;
  const seen = new Map<string, string>();
  for (const l of app.stack.dataApi.log) {
    const n = l.statementName ?? '';
    if ((n === build || n.startsWith(`${name}:`)) && !seen.has(l.statementId)) {
      const d = app.stack.dataApi.describe(l.statementId);
      const error = typeof d?.Error === 'string' ? ` ${d.Error.slice(0, 200)}` : '';
      seen.set(
        l.statementId,
        `${n === build ? '(build)' : n.slice(name.length)} ${String(d?.Status)}${error}`,
      );
    }
  }
  return [...seen.values()];
}

async function faultedRun(
  target: Target,
  runId: string,
  arm: () => { fired: () => boolean; detail: () => string },
): Promise<FaultedRun> {
  const started = app.sfn.executions.length;
  await changeSource(app);
  const before = await checksum(app, target.model);
  const expectedNew = await oracleChecksum(app, target.model);
  // The precondition, explicitly: the landing zone holds a source change that makes the build differ
  // (changeSource checks that it landed), and no other execution runs — one that did could build the
  // model first, and this run would then find nothing left to build.
  const running = app.sfn.executions
    .filter((e) => e.status === 'RUNNING')
    .map((e) => `${e.machine} ${e.name}`);
  expect(running.length, `no execution runs when the faulted run starts: ${running.join(', ')}`).toBe(0);
  const armed = arm();
  const execution = await run(
    app,
    'curated-refresh',
    { select: target.model, fullRefresh: target.fullRefresh, trigger: 'reliability' },
    runId,
  );
  disarm(app);
  app.stack.dataApi.clearFaults();
  const concurrent = outside(app.sfn.executions.slice(started), execution).map(
    (e) => `${e.machine} ${e.name} ${e.status}`,
  );
  const after = await checksum(app, target.model);
  const log = await runLog(app, runId, target.model);
  const diagnosis = [
    `execution ${execution.status}${execution.error ? ` ${execution.error}` : ''}${execution.cause ? `: ${execution.cause.slice(0, 300)}` : ''}`,
    `run log ${log.map((l) => `${l.status}${l.error ? ` (${l.error.slice(0, 200)})` : ''}`).join(', ') || 'empty'}`,
    `statements ${modelStatements(runId, target.model).join('; ') || 'none'}`,
    `fault: ${armed.detail()}`,
    `other executions meanwhile: ${concurrent.join(', ') || 'none'}`,
  ].join(' | ');
  const next = await run(
    app,
    'curated-refresh',
    { select: target.model, fullRefresh: target.fullRefresh, trigger: 'reliability' },
    `${runId}-next`,
  );
  return {
    before,
    expectedNew,
    after,
    log,
    status: execution.status,
    error: execution.error,
    definedOutcome: isDefinedOutcome(execution),
    fired: armed.fired(),
    concurrent,
    diagnosis,
    next: {
      status: next.status,
      after: await checksum(app, target.model),
      leftovers: await leftovers(app),
      log: await runLog(app, `${runId}-next`, target.model),
    },
  };
}

function verdict(r: FaultedRun, expectError: RegExp): { outcome: string; dataLost: boolean } {
  const kept = sameRows(r.after, r.before);
  const logged = r.log.some((l) => l.status === 'failed' && expectError.test(l.error ?? ''));
  const noSuccess = !r.log.some((l) => l.status === 'success');
  const recovered =
    r.next.status === 'SUCCEEDED' && sameRows(r.next.after, r.expectedNew) && r.next.leftovers.length === 0;
  const outcome = !r.fired
    ? `fault did not fire: ${r.diagnosis}`
    : kept && logged && noSuccess && recovered
      ? 'rolled back, old rows kept, logged failed; next run rebuilt, no leftovers'
      : `unexpected: kept=${kept} logged=${logged} noSuccess=${noSuccess} recovered=${recovered}`;
  return { outcome, dataLost: !kept || !sameRows(r.next.after, r.expectedNew) };
}

/** Index of the REFRESH in a refresh_view batch (-1 for other modes): later faults find it committed. */
function refreshPosition(app: LocalOrchestrator, target: Target): number {
  if (target.mode !== 'refresh_view') return -1;
  const batch = buildBatch(modelOf(app, target.model), target.mode, { runId: 'labels', trigger: 'labels' });
  return batch.sqls.findIndex((s) => s.startsWith('REFRESH MATERIALIZED VIEW'));
}

function refreshedVerdict(r: FaultedRun, expectError: RegExp): { outcome: string; dataLost: boolean } {
  const refreshed = sameRows(r.after, r.expectedNew);
  const logged = statuses(r.log).join() === 'success' && r.log.some((l) => expectError.test(l.error ?? ''));
  const recovered =
    r.next.status === 'SUCCEEDED' && sameRows(r.next.after, r.expectedNew) && r.next.leftovers.length === 0;
  const outcome = !r.fired
    ? `fault did not fire: ${r.diagnosis}`
    : refreshed && logged && r.status === 'SUCCEEDED' && recovered
      ? 'refresh committed on its own, logged success; next run refreshed, no leftovers'
      : `unexpected: refreshed=${refreshed} logged=${logged} status=${r.status} recovered=${recovered}`;
  return { outcome, dataLost: !refreshed || !sameRows(r.next.after, r.expectedNew) };
}

function expectContained(r: FaultedRun, expectError: RegExp): void {
  expect(r.fired, `the fault fired (${r.diagnosis})`).toBe(true);
  expect(r.concurrent, 'no other execution ran alongside the faulted run').toEqual([]);
  expect(r.definedOutcome, `${r.status} ${r.error}`).toBe(true);
  expect(r.error).toBe('CuratedRefreshFailedError');
  expect(r.expectedNew, 'the source change makes a different build').not.toEqual(r.before);
  expect(r.after, 'the table holds exactly its previous rows').toEqual(r.before);
  expect(statuses(r.log), 'the run log says it failed').toEqual(['failed']);
  expect(r.log.find((l) => l.status === 'failed')?.error ?? '').toMatch(expectError);
  expect(r.next.status, 'the next run succeeds').toBe('SUCCEEDED');
  expect(r.next.after, 'the next run builds exactly what the SQL gives').toEqual(r.expectedNew);
  expect(r.next.leftovers, 'no __zeo_new/__zeo_old survive the next run').toEqual([]);
  expect(statuses(r.next.log)).toEqual(['success']);
}

describe('A failure at every statement position of a build batch', () => {
  for (const target of TARGETS) {
    it(`${target.model} (${target.mode}): every position fails, the old rows survive`, async () => {
      const names = labels(app, target);
      expect(names.length).toBeGreaterThan(2);
      const matches = batchMatcher(app, target);
      const refreshAt = refreshPosition(app, target);
      for (const [k, label] of names.entries()) {
        const runId = `pos-${target.model}-${target.mode}-${k + 1}`.replaceAll('_', '-');
        const r = await faultedRun(target, runId, () => {
          const a = armStatementFault(app, { matches, position: k, kind: 'fail' });
          return { fired: () => a.fired, detail: () => describeArmed(a) };
        });
        const marker = new RegExp(`${INJECTED_MARKER} at statement ${k + 1}\\b`);
        if (refreshAt >= 0 && k > refreshAt) {
          const v = refreshedVerdict(r, marker);
          recorder.fault(
            'Build batch: failure after a committed REFRESH MATERIALIZED VIEW',
            AFTER_REFRESH_FAULT,
            {
              outcome: v.outcome,
              dataLost: v.dataLost,
              unhandled: !r.definedOutcome,
            },
          );
          expect(v.outcome, `${target.model} ${target.mode} statement ${k + 1} (${label})`).toMatch(
            /^refresh committed/,
          );
          continue;
        }
        const v = verdict(r, marker);
        recorder.fault('Build batch: failure at each statement position', POSITION_FAULT, {
          outcome: v.outcome,
          dataLost: v.dataLost,
          unhandled: !r.definedOutcome,
        });
        expect
          .soft(v.outcome, `${target.model} ${target.mode} statement ${k + 1} (${label})`)
          .toMatch(/^rolled/);
        expectContained(r, marker);
      }
    });
  }

  it('a batch the Data API fails before it runs leaves every target untouched', async () => {
    for (const target of TARGETS) {
      const matches = batchMatcher(app, target);
      const runId = `rejected-${target.model}-${target.mode}`.replaceAll('_', '-');
      const r = await faultedRun(target, runId, () => {
        let fired = false;
        app.stack.dataApi.failStatements({
          match: (s) => {
            const hit = matches(s.sqls);
            if (hit) fired = true;
            return hit;
          },
          error: `ERROR: ${INJECTED_MARKER} before the batch ran`,
        });
        return {
          fired: () => fired,
          detail: () =>
            fired ? 'the Data API failed a matching batch' : 'no matching batch reached the Data API',
        };
      });
      const v = verdict(r, /before the batch ran/);
      recorder.fault('Build batch: Data API fails the batch before it runs', REJECTED_BATCH, {
        outcome: v.outcome,
        dataLost: v.dataLost,
        unhandled: !r.definedOutcome,
      });
      expectContained(r, /before the batch ran/);
    }
  });
});

describe('An operator ABORT at every statement position of a build batch', () => {
  for (const target of TARGETS.filter((t) => t.mode === 'full' || t.mode === 'create_view')) {
    it(`${target.model} (${target.mode}): aborted during each statement, rolled back`, async () => {
      const names = labels(app, target);
      const matches = batchMatcher(app, target);
      for (const [k, label] of names.entries()) {
        const runId = `abort-${target.model}-${target.mode}-${k + 1}`.replaceAll('_', '-');
        const r = await faultedRun(target, runId, () => {
          const a = armStatementFault(app, { matches, position: k, kind: 'abort' });
          return { fired: () => a.fired && a.abortDelivered === true, detail: () => describeArmed(a) };
        });
        const v = verdict(r, /abort/i);
        recorder.fault('Build batch: operator ABORT at each statement position', POSITION_ABORT, {
          outcome: v.outcome,
          dataLost: v.dataLost,
          unhandled: !r.definedOutcome,
        });
        expect
          .soft(v.outcome, `${target.model} abort during statement ${k + 1} (${label})`)
          .toMatch(/^rolled/);
        expectContained(r, /abort/i);
      }
    });
  }
});

// ---- Lambda crashes of a dispatcher tick --------------------------------------------------------

const CRASH = {
  description:
    'The DispatchBuilds Lambda dies in a tick after its Data API calls went through: after it submitted the build, or after it described the finished build (or its invoke fails before it ran). Defined outcome: the state machine retries the tick on the state it was given — ClientToken makes the resubmission the same request, the lease read tells a build of this run that already committed — and the build completes once; a crash the ASL does not retry stops the refresh (CuratedRefreshFailedError, notified) after StopBuilds cancelled the builds of the run still running and gave up its leases through the fence: a batch that had committed stays built, one still running is cancelled and recorded failed (RefreshStoppedError), and no lease is left for the next refresh to wait on. Either way the table holds one complete version and the run log agrees with it.',
  bound:
    'Retry of Lambda.ServiceException / TooManyRequests: 6 attempts, Sandbox.Timedout: 2 (ASL, DispatchBuilds)',
};

interface CrashCase {
  name: string;
  /** Which tick crashes: the one that submits the model's build, or the one that sees it finished. */
  tick: 'submit' | 'finish';
  error: string;
  /** Crash before or after the real handler ran. */
  when: 'before' | 'after';
  /** Simulated ms that pass before the retry (the ASL's IntervalSeconds on AWS). */
  retryAfterMs: number;
  /** Keep the submitted batch running (STARTED) until the retried tick has run. */
  holdBuild?: boolean;
}

const CRASHES: CrashCase[] = [
  {
    name: 'tick dies after submitting (Lambda.ServiceException), retried at once',
    tick: 'submit',
    error: 'Lambda.ServiceException',
    when: 'after',
    retryAfterMs: 0,
  },
  {
    name: 'submitting tick: invoke fails before the handler ran (Lambda.ServiceException)',
    tick: 'submit',
    error: 'Lambda.ServiceException',
    when: 'before',
    retryAfterMs: 0,
  },
  {
    name: 'tick dies after describing the finished build (Lambda.ServiceException)',
    tick: 'finish',
    error: 'Lambda.ServiceException',
    when: 'after',
    retryAfterMs: 2000,
  },
  {
    name: 'looking tick throttled by Lambda (Lambda.TooManyRequestsException)',
    tick: 'finish',
    error: 'Lambda.TooManyRequestsException',
    when: 'before',
    retryAfterMs: 2000,
  },
  {
    name: 'tick dies after submitting (Lambda.ServiceException), retried 2 s later as on AWS',
    tick: 'submit',
    error: 'Lambda.ServiceException',
    when: 'after',
    retryAfterMs: 2000,
  },
  {
    name: 'tick dies after submitting while its build still runs, retried at once',
    tick: 'submit',
    error: 'Lambda.ServiceException',
    when: 'after',
    retryAfterMs: 0,
    holdBuild: true,
  },
  {
    // The retried tick must send the very same batch, or the Data API refuses its ClientToken.
    name: 'tick dies after submitting while its build still runs, retried 2 s later as on AWS (same ClientToken, same SQL)',
    tick: 'submit',
    error: 'Lambda.ServiceException',
    when: 'after',
    retryAfterMs: 2000,
    holdBuild: true,
  },
  {
    // A Lambda timeout reaches Step Functions as Sandbox.Timedout; DispatchBuilds retries it (#19).
    name: 'tick times out after submitting while its build still runs (Sandbox.Timedout), retried by the ASL',
    tick: 'submit',
    error: 'Sandbox.Timedout',
    when: 'after',
    retryAfterMs: 0,
    holdBuild: true,
  },
];

/**
 * Crashes the ASL does not retry: DispatchBuilds' Catch goes to StopBuilds, which cancels the run's
 * builds still running and fences its leases, then stops the refresh (NotifyRefreshError →
 * RefreshErrored). A batch that committed before stays built (its own success record); one still
 * running (held) is cancelled and recorded failed. The run log must agree with the table either way.
 */
const UNRETRIED_CRASHES: CrashCase[] = [
  {
    name: 'tick exits after submitting (Runtime.ExitError, not retried)',
    tick: 'submit',
    error: 'Runtime.ExitError',
    when: 'after',
    retryAfterMs: 0,
  },
  {
    name: 'tick exits after submitting while its build still runs (Runtime.ExitError, not retried)',
    tick: 'submit',
    error: 'Runtime.ExitError',
    when: 'after',
    retryAfterMs: 0,
    holdBuild: true,
  },
  {
    name: 'tick exits after describing the committed build (Runtime.ExitError, not retried)',
    tick: 'finish',
    error: 'Runtime.ExitError',
    when: 'after',
    retryAfterMs: 0,
  },
];

interface CrashResult {
  status: string;
  error: string | undefined;
  defined: boolean;
  /** Whether the crash was injected at the tick the case names. */
  crashed: boolean;
  notified: boolean;
  before: Checksum | undefined;
  expectedNew: Checksum;
  after: Checksum | undefined;
  log: LoggedOutcome[];
  batches: number;
  /** Leases the run still held when it ended. */
  leases: unknown[];
  next: { status: string; after: Checksum | undefined; leftovers: string[] };
}

async function crashRun(c: CrashCase, runId: string): Promise<CrashResult> {
  const target: Target = { model: 'dim_customers', mode: 'full', fullRefresh: true };
  await changeSource(app);
  const before = await checksum(app, target.model);
  const expectedNew = await oracleChecksum(app, target.model);
  let crashed = false;
  const matches = batchMatcher(app, target);
  const hold = c.holdBuild ? app.stack.dataApi.hold((s) => matches(s.sqls)) : undefined;
  const crash = async () => {
    crashed = true;
    if (c.retryAfterMs > 0) await app.stack.simulator.tick(c.retryAfterMs);
    throw new NamedError(c.error, `reliability: dispatchBuilds crashed ${c.when} its work`);
  };
  const sfn = customRunner(app, {
    dispatchBuilds: async (payload, real) => {
      if (crashed) {
        try {
          return await real(payload);
        } finally {
          hold?.release();
        }
      }
      // Only this refresh runs on this runner, and it selects the one model.
      const looks = (payload as DispatchState).inFlight.some((b) => b.id !== null);
      if (c.when === 'before') {
        if (looks === (c.tick === 'finish')) await crash();
        return real(payload);
      }
      const out = (await real(payload)) as DispatchState;
      const report = c.tick === 'submit' ? out.last.started : out.last.finished;
      if (report.includes(target.model)) await crash();
      return out;
    },
  });
  const logStart = app.stack.dataApi.log.length;
  const eventsBefore = app.stack.events.log.length;
  const execution = sfn.start(
    'CuratedRefreshStateMachine',
    { select: target.model, fullRefresh: true, trigger: 'reliability' },
    runId,
  );
  await execution.done;
  hold?.release();
  await settleRunner(sfn);
  await app.stack.dataApi.settle();
  const byStatement = new Map<string, string[]>();
  for (const entry of app.stack.dataApi.log.slice(logStart)) {
    byStatement.set(entry.statementId, [...(byStatement.get(entry.statementId) ?? []), entry.sql]);
  }
  const batches = [...byStatement.values()].filter((sqls) => matches(sqls)).length;
  const after = await checksum(app, target.model);
  const log = await runLog(app, runId, target.model);
  const leases = await app.stack.warehouse.query(
    `SELECT model FROM zeo.model_lease WHERE run_id = '${runId}'`,
  );
  const notified = app.stack.events.log
    .slice(eventsBefore)
    .some((e) => e.source === 'zero-etl-orchestrator' && e['detail-type'] === 'Curated Refresh Failed');
  const next = await run(
    app,
    'curated-refresh',
    { select: target.model, fullRefresh: true },
    `${runId}-next`,
  );
  return {
    status: execution.status,
    error: execution.error,
    defined: isDefinedOutcome(execution, definedFailures()),
    crashed,
    notified,
    before,
    expectedNew,
    after,
    log,
    batches,
    leases,
    next: { status: next.status, after: await checksum(app, target.model), leftovers: await leftovers(app) },
  };
}

/** The table holds one complete version, and the run log says which. */
function crashVerdict(r: CrashResult): { outcome: string; dataLost: boolean; consistent: boolean } {
  const old = sameRows(r.after, r.before);
  const built = sameRows(r.after, r.expectedNew);
  const s = statuses(r.log);
  const logSaysBuilt = s.includes('success') && !s.includes('failed');
  const logSaysFailed = s.includes('failed') && !s.includes('success');
  const consistent = (built && logSaysBuilt) || (old && logSaysFailed);
  const outcome = !r.crashed
    ? 'crash did not fire'
    : built
      ? logSaysBuilt
        ? `built once (${r.batches} batch), run log: ${s.join(' + ')}`
        : `built, but run log says ${s.join('+')}`
      : old
        ? logSaysFailed
          ? 'not built, old rows kept, run log: failed'
          : `old rows kept, but run log says ${s.join('+') || 'nothing'}`
        : 'table holds neither the old nor the new rows';
  return { outcome, dataLost: !old && !built, consistent };
}

describe('A Lambda crash of a dispatcher tick', () => {
  for (const [i, c] of CRASHES.entries()) {
    it(c.name, async () => {
      const r = await crashRun(c, `crash-${i + 1}-${c.tick}-${c.when}`);
      const v = crashVerdict(r);
      recorder.fault('Lambda crash of a dispatcher tick', CRASH, {
        outcome: v.outcome,
        dataLost: v.dataLost,
        unhandled: !r.defined,
      });
      expect(r.crashed, 'the crash fired at the tick the case names').toBe(true);
      expect(r.defined, `${r.status} ${r.error}`).toBe(true);
      expect(r.status).toBe('SUCCEEDED');
      expect(r.after, 'built exactly once with the new rows').toEqual(r.expectedNew);
      expect(r.batches, 'the retried tick did not run the batch twice').toBe(1);
      // The run log says it was built, once: a retried tick neither fails it nor adds an 'unchanged' row.
      expect(statuses(r.log)).toEqual(['success']);
      expect(v.consistent).toBe(true);
      expect(r.next.status).toBe('SUCCEEDED');
      expect(r.next.after).toEqual(r.expectedNew);
      expect(r.next.leftovers).toEqual([]);
    });
  }

  for (const [i, c] of UNRETRIED_CRASHES.entries()) {
    it(c.name, async () => {
      const r = await crashRun(c, `unretried-${i + 1}-${c.tick}-${c.when}`);
      const v = crashVerdict(r);
      recorder.fault('Lambda crash of a dispatcher tick', CRASH, {
        outcome: v.outcome,
        dataLost: v.dataLost,
        unhandled: !r.defined,
      });
      expect(r.crashed, 'the crash fired at the tick the case names').toBe(true);
      expect(r.defined, `${r.status} ${r.error}`).toBe(true);
      expect(v.dataLost).toBe(false);
      expect(v.consistent, `${v.outcome}: ${r.status} ${r.error} ${JSON.stringify(r.log)}`).toBe(true);
      expect(r.batches, 'nothing submitted the batch twice').toBe(1);
      // The refresh stopped on the error, with a notification …
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('CuratedRefreshFailedError');
      expect(r.notified, 'a Curated Refresh Failed notification').toBe(true);
      if (c.holdBuild) {
        // … the batch still running was cancelled by StopBuilds and recorded failed after the fence …
        expect(v.outcome).toBe('not built, old rows kept, run log: failed');
        expect(r.log.find((l) => l.status === 'failed')?.error).toMatch(
          /^RefreshStoppedError: the refresh stopped while this build was in flight \(Runtime\.ExitError/,
        );
      } else if (c.tick === 'finish') {
        // … or it had committed before, under its lease, recording its own success …
        expect(v.outcome).toBe('built once (1 batch), run log: success');
      } else {
        // … or, not held, it ran on while the refresh stopped: whether it committed before StopBuilds
        // cancelled it depends on PGlite's speed; either way the fence made the run log agree.
        expect([
          'built once (1 batch), run log: success',
          'not built, old rows kept, run log: failed',
        ]).toContain(v.outcome);
      }
      expect(r.leases, 'StopBuilds left no lease of the run').toEqual([]);
      expect(r.next.status).toBe('SUCCEEDED');
      expect(r.next.after).toEqual(r.expectedNew);
      expect(r.next.leftovers).toEqual([]);
    });
  }
});
