import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import type { ExecutionRecord } from '../../local/sfn/runner.js';
import { continuationName, type DispatchState } from '../../shared/refresh/dispatch-state.js';
import { TICKS_PER_EXECUTION } from '../../shared/refresh/polling.js';
import { writeDagProject } from '../helpers/dag-project.js';
import { type BuildStatement, SimulatedBuilds } from '../helpers/simulated-builds.js';

/**
 * The dispatcher loop of curated-refresh schedules the DAG, not its levels: through the real ASL and
 * the real handlers on the embedded stack, with builds that take simulated time (held in STARTED by
 * the local Data API until the simulated clock passes their duration). What happened is read from the
 * Data API's statement records and the run log, not from the dispatcher's own state.
 */

const REFRESH = 'CuratedRefreshStateMachine';
/** a → b (slow), a → c (fast) → d; b, d → e. */
const DIAMOND = { a: [], b: ['a'], c: ['a'], d: ['c'], e: ['b', 'd'] };
const DURATIONS = { a: 20, b: 300, c: 20, d: 20, e: 20 };

type Outcome = { model: string; status: string; error: string | null };

async function outcomes(app: LocalOrchestrator, runId: string): Promise<Record<string, Outcome[]>> {
  const rows = (await app.stack.warehouse.query(
    `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${runId}' ORDER BY model, status`,
  )) as Outcome[];
  const byModel: Record<string, Outcome[]> = {};
  for (const row of rows) byModel[row.model] = [...(byModel[row.model] ?? []), row];
  return byModel;
}

function only(builds: BuildStatement[], model: string): BuildStatement {
  const mine = builds.filter((b) => b.model === model);
  expect(mine, `builds of ${model}`).toHaveLength(1);
  return mine[0] as BuildStatement;
}

const onceEach = (builds: BuildStatement[]) => {
  const counts: Record<string, number> = {};
  for (const b of builds) counts[b.model] = (counts[b.model] ?? 0) + 1;
  return counts;
};

let nextProduct = 70_000;
/**
 * A new product at the source, replicated: every model's inputs change, so the next refresh builds
 * them all (a refresh planned on the inputs another run has built finds them built meanwhile).
 */
async function changeSource(app: LocalOrchestrator): Promise<void> {
  const k = nextProduct++;
  await app.stack.source.exec(
    `INSERT INTO public.products VALUES (${k}, 'SKU-${k}', 'Product ${k}', 'tools', 9.99, true, TIMESTAMP '2026-05-01 00:00:00')`,
  );
  await app.stack.simulator.replicate();
}

const ticksOf = (record: ExecutionRecord) =>
  record.events.filter((e) => e.type === 'StateEntered' && e.state?.name === 'DispatchBuilds').length;

describe('Dispatcher loop on a diamond DAG (a → b slow, a → c → d, b + d → e)', () => {
  let app: LocalOrchestrator;
  let project: ReturnType<typeof writeDagProject>;
  let sim: SimulatedBuilds | undefined;

  beforeAll(async () => {
    project = writeDagProject(DIAMOND);
    app = await startLocalOrchestrator({ projectDir: project.dir });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    project?.remove();
  });
  beforeEach(async () => {
    await changeSource(app);
  });
  afterEach(() => {
    sim?.release();
    sim = undefined;
    app.stack.dataApi.clearFaults();
  });

  it("starts the fast branch's child before its slow sibling finishes; the join waits for both", async () => {
    sim = new SimulatedBuilds(app, DURATIONS);
    const run = await sim.runner().start(REFRESH, { fullRefresh: true }, 'diamond').done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const builds = sim.builds('diamond');
    expect(onceEach(builds)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    expect(builds.every((b) => b.status === 'FINISHED')).toBe(true);
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((m) => only(builds, m)) as BuildStatement[];
    const ended = (x: BuildStatement | undefined) => x?.endedAt ?? Infinity;
    // b and c start together, as soon as a has ended.
    expect(b?.submittedAt).toBeGreaterThanOrEqual(ended(a));
    expect(c?.submittedAt).toBe(b?.submittedAt);
    // The Data API received d's build while b's was still running (b runs 300 simulated seconds and
    // the Data API saw it end even later): not level by level.
    const bDone = (b?.submittedAt ?? 0) + DURATIONS.b * 1000;
    expect(ended(b)).toBeGreaterThanOrEqual(bDone);
    expect(d?.submittedAt).toBeGreaterThanOrEqual(ended(c));
    expect(d?.submittedAt ?? Infinity).toBeLessThan(bDone);
    // e waits for both of its upstreams, and starts within a look (5 % of b's age) of the later one.
    expect(e?.submittedAt).toBeGreaterThanOrEqual(Math.max(ended(b), ended(d)));
    expect((e?.submittedAt ?? 0) - bDone).toBeLessThanOrEqual(0.05 * DURATIONS.b * 1000 + 1000);
    const logged = await outcomes(app, 'diamond');
    expect(Object.values(logged).map((o) => o.map((x) => x.status))).toEqual(Array(5).fill(['success']));
    expect(run.output).toMatchObject({ status: 'succeeded', counts: { built: 5, failed: 0, skipped: 0 } });
  });

  it('a failure mid-DAG skips exactly its descendants while the independent branch keeps building', async () => {
    sim = new SimulatedBuilds(app, DURATIONS);
    app.stack.dataApi.failStatements({
      match: (s) => s.statementName === 'zeo:diamond-fail:build:c',
      error: 'ERROR: division by zero',
    });
    const run = await sim.runner().start(REFRESH, { fullRefresh: true }, 'diamond-fail').done;
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CuratedRefreshFailedError');
    const logged = await outcomes(app, 'diamond-fail');
    expect(logged).toEqual({
      a: [{ model: 'a', status: 'success', error: null }],
      b: [{ model: 'b', status: 'success', error: null }],
      c: [
        {
          model: 'c',
          status: 'failed',
          error: expect.stringMatching(/^FAILED: ERROR: division by zero\n\[statement 1 of \d+\] /),
        },
      ],
      d: [{ model: 'd', status: 'skipped', error: 'upstream c failed' }],
      e: [{ model: 'e', status: 'skipped', error: 'upstream c failed' }],
    });
    const builds = sim.builds('diamond-fail');
    // Nothing was submitted for the skipped models; b was still building when c failed, and finished.
    expect(onceEach(builds)).toEqual({ a: 1, b: 1, c: 1 });
    const b = only(builds, 'b');
    const c = only(builds, 'c');
    expect(c.status).toBe('FAILED');
    expect(b.status).toBe('FINISHED');
    expect(c.endedAt ?? Infinity).toBeLessThan(b.endedAt ?? 0);
    // The failure was recorded before b finished: the tick that saw it did not wait for the sibling.
    const failedTick = run.events.findIndex(
      (e) =>
        e.type === 'StateExited' &&
        e.state?.name === 'DispatchBuilds' &&
        ((e.state.output as DispatchState | undefined)?.last.failed ?? []).includes('c'),
    );
    expect(failedTick).toBeGreaterThan(0);
    const atFailure = run.events[failedTick]?.state?.output as DispatchState;
    expect(atFailure.last).toMatchObject({ failed: ['c'], skipped: 2, building: ['b'], pending: 0 });
  });

  it('continues as a new execution mid-refresh: nothing built twice, nothing lost', async () => {
    sim = new SimulatedBuilds(app, DURATIONS);
    let forcedAt: DispatchState | undefined;
    // The tick at which b and c are in flight behaves as the TICKS_PER_EXECUTION-th of a long execution.
    const runner = sim.runner({
      input: (state) => {
        if (forcedAt || state.continuation > 0 || state.inFlight.length < 2) return state;
        forcedAt = state;
        return { ...state, ticks: TICKS_PER_EXECUTION - 1 };
      },
    });
    const run = await runner.start(REFRESH, { fullRefresh: true }, 'diamond-continued').done;
    await Promise.all(runner.executions.map((e) => e.done));
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(forcedAt).toBeDefined();
    expect(runner.executions.map((e) => [e.name, e.status])).toEqual([
      ['diamond-continued', 'SUCCEEDED'],
      [continuationName('diamond-continued', 1), 'SUCCEEDED'],
    ]);
    const [first, second] = runner.executions as [ExecutionRecord, ExecutionRecord];
    expect(second.parentArn).toBe(first.executionArn);
    // The continuation took over the builds in flight (same statement ids) and went on from there.
    const handedOver = (second.input as { resume: DispatchState }).resume;
    expect(handedOver.next).toBe('continue');
    expect(handedOver.refresh.runId).toBe('diamond-continued');
    const builds = sim.builds('diamond-continued');
    expect(onceEach(builds)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    const ids = new Map(builds.map((b) => [b.id, b]));
    expect(handedOver.inFlight.length).toBeGreaterThan(0);
    for (const f of handedOver.inFlight) expect(ids.get(f.id ?? '')?.status).toBe('FINISHED');
    expect(ticksOf(second)).toBeGreaterThan(1);
    const logged = await outcomes(app, 'diamond-continued');
    expect(Object.values(logged).map((o) => o.map((x) => x.status))).toEqual(Array(5).fill(['success']));
    // The first execution's result is the continuation's summary.
    expect(first.output).toEqual(second.output);
    expect(first.output).toMatchObject({ status: 'succeeded', counts: { built: 5 } });
  });

  it('a DispatchBuilds Lambda that crashes after its submissions is retried: no build twice, none lost', async () => {
    sim = new SimulatedBuilds(app, DURATIONS);
    let crashed: { input: DispatchState; result: DispatchState } | undefined;
    const runner = sim.runner({
      after: (input, result) => {
        // Crash the tick that saw a finish and started builds (mid-DAG), once: a Lambda timeout.
        if (crashed || result.last.finished.length === 0 || result.last.started.length === 0) return;
        crashed = { input, result };
        throw Object.assign(new Error('Task timed out after 60.00 seconds'), { name: 'Sandbox.Timedout' });
      },
    });
    const run = await runner.start(REFRESH, { fullRefresh: true }, 'diamond-crash').done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(crashed).toBeDefined();
    const retried = run.events.filter((e) => e.type === 'StateRetried');
    expect(retried.map((e) => e.state?.name)).toEqual(['DispatchBuilds']);
    // The retried attempt (same input) answered with the very builds the crashed one submitted.
    const afterRetry = run.events.find(
      (e, i) =>
        i > run.events.indexOf(retried[0] as (typeof run.events)[number]) &&
        e.type === 'StateExited' &&
        e.state?.name === 'DispatchBuilds',
    )?.state?.output as DispatchState;
    expect(afterRetry.inFlight.map((b) => b.id).sort()).toEqual(
      (crashed?.result.inFlight ?? []).map((b) => b.id).sort(),
    );
    expect(afterRetry.last.started).toEqual(crashed?.result.last.started);
    const builds = sim.builds('diamond-crash');
    expect(onceEach(builds)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    expect(builds.every((b) => b.status === 'FINISHED')).toBe(true);
    const logged = await outcomes(app, 'diamond-crash');
    expect(Object.values(logged).map((o) => o.map((x) => x.status))).toEqual(Array(5).fill(['success']));
    expect(await app.stack.warehouse.query('SELECT * FROM zeo.model_lease')).toEqual([]);
  });
  it('a DispatchBuilds failure the ASL does not retry stops the builds in flight: cancelled, fenced, recorded, no lease left', async () => {
    sim = new SimulatedBuilds(app, DURATIONS);
    let crashed = false;
    const runner = sim.runner({
      after: (_input, result) => {
        // The tick that started b and c (after a finished) fails for good after its submissions.
        if (crashed || !result.last.started.includes('b')) return;
        crashed = true;
        throw Object.assign(new Error('the warehouse refused the tick'), { name: 'WarehouseStatementError' });
      },
    });
    const events = app.stack.events.log.length;
    const run = await runner.start(REFRESH, { fullRefresh: true }, 'diamond-stop').done;
    expect(crashed).toBe(true);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CuratedRefreshFailedError');
    const entered = run.events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name);
    expect(entered.slice(-4)).toEqual(['StopBuilds', 'MoreToStop', 'NotifyRefreshError', 'RefreshErrored']);
    // b and c were submitted by the failed tick (not in the state StopBuilds was given): found by
    // name, cancelled, and recorded failed after the fence; d and e were never started.
    const builds = sim.builds('diamond-stop');
    expect(onceEach(builds)).toEqual({ a: 1, b: 1, c: 1 });
    expect(only(builds, 'b').status).toBe('ABORTED');
    expect(only(builds, 'c').status).toBe('ABORTED');
    const logged = await outcomes(app, 'diamond-stop');
    expect(logged.a?.map((o) => o.status)).toEqual(['success']);
    for (const m of ['b', 'c']) {
      expect(
        logged[m]?.map((o) => o.status),
        m,
      ).toEqual(['failed']);
      expect(logged[m]?.[0]?.error, m).toMatch(
        /^RefreshStoppedError: the refresh stopped while this build was in flight \(WarehouseStatementError: the warehouse refused the tick\)/,
      );
    }
    expect(logged.d).toBeUndefined();
    // The next refresh need not wait for a lease to expire.
    expect(
      await app.stack.warehouse.query(`SELECT * FROM zeo.model_lease WHERE run_id = 'diamond-stop'`),
    ).toEqual([]);
    const failedEvents = app.stack.events.log
      .slice(events)
      .filter((e) => e['detail-type'] === 'Curated Refresh Failed');
    expect(failedEvents).toHaveLength(1);
  });
});

describe('Dispatcher loop: refresh.maxConcurrency across the whole DAG', () => {
  /** Five roots under chains of two and three models, and a join: more ready models than the limit. */
  const WIDE = {
    r1: [],
    r2: [],
    r3: [],
    r4: [],
    r5: [],
    m1: ['r1', 'r2'],
    m2: ['r3'],
    m3: ['m1', 'm2', 'r4'],
    x: ['r5'],
  };
  const LIMIT = 2;
  let app: LocalOrchestrator;
  let project: ReturnType<typeof writeDagProject>;

  beforeAll(async () => {
    project = writeDagProject(WIDE, { maxConcurrency: LIMIT });
    app = await startLocalOrchestrator({ projectDir: project.dir });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    project?.remove();
  });

  it('never has more builds in flight than the limit, and uses it', async () => {
    const sim = new SimulatedBuilds(app, {
      r1: 40,
      r2: 10,
      r3: 25,
      r4: 5,
      r5: 15,
      m1: 30,
      m2: 10,
      m3: 20,
      x: 5,
    });
    try {
      const run = await sim.runner().start(REFRESH, { fullRefresh: true }, 'wide').done;
      expect(run.status, run.cause).toBe('SUCCEEDED');
      const builds = sim.builds('wide');
      expect(Object.keys(onceEach(builds)).sort()).toEqual(Object.keys(WIDE).sort());
      expect(Object.values(onceEach(builds))).toEqual(Array(9).fill(1));
      expect(sim.maxInFlight('wide')).toBe(LIMIT);
      // Ready models beyond the limit wait: more ticks submitted something than the limit allows at once.
      const starters = run.events.filter(
        (e) =>
          e.type === 'StateExited' &&
          e.state?.name === 'DispatchBuilds' &&
          ((e.state.output as DispatchState | undefined)?.last.started.length ?? 0) > 0,
      );
      expect(starters.length).toBeGreaterThan(3);
      for (const s of starters) {
        expect(
          (s.state?.output as DispatchState | undefined)?.inFlight.filter((b) => b.id !== null).length,
        ).toBeLessThanOrEqual(LIMIT);
      }
      // Longest remaining chain first: two roots of three-model chains start first, r4 and r5 (chains
      // of two) wait.
      const order = [...builds].sort((p, q) => p.submittedAt - q.submittedAt).map((b) => b.model);
      expect(
        order.slice(0, 2).every((m) => ['r1', 'r2', 'r3'].includes(m)),
        order.join(),
      ).toBe(true);
      const logged = await outcomes(app, 'wide');
      expect(Object.values(logged).map((o) => o.map((x) => x.status))).toEqual(Array(9).fill(['success']));
    } finally {
      sim.release();
    }
  });
});
