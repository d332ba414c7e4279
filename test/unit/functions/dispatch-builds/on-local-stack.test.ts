import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dispatchBuilds, MAX_CONFLICT_RESUBMISSIONS } from '../../../../functions/dispatch-builds/core.js';
import { planRefresh } from '../../../../functions/plan-refresh/core.js';
import type { StatementHold } from '../../../../local/data-api/faults.js';
import { type LocalStack, startLocalStack } from '../../../../local/stack.js';
import { InvalidInputError } from '../../../../shared/errors.js';
import { indexManifest } from '../../../../shared/graph/plan.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { buildClientToken } from '../../../../shared/refresh/build-submission.js';
import {
  continuationName,
  DispatchState,
  decodeBitset,
  manifestFingerprint,
} from '../../../../shared/refresh/dispatch-state.js';
import { LEASE_RETRY_SECONDS, TICKS_PER_EXECUTION } from '../../../../shared/refresh/polling.js';
import { buildStatementPrefix } from '../../../../shared/sql/build.js';
import {
  type StatementOptions,
  Warehouse,
  type WarehousePort,
} from '../../../../shared/warehouse/warehouse.js';
import { shopSources } from '../../../helpers/project.js';
import { dataClient } from '../../../local/support.js';

/**
 * dispatchBuilds, one tick at a time, against the embedded stack's Data API and warehouse (the real
 * Data API client, real SQL, builds held in STARTED by the local Data API while a test needs them
 * running). The shop project's DAG: five roots (dim_customers, stg_order_lines and stg_payments under
 * the four-model chain to region_kpis; dim_products → product_sales; mv_payment_methods alone).
 */

const manifest = compileProject(shopSources());
const index = indexManifest(manifest);
const CONFLICT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - 119371, transactions forming the cycle are: 1745830, 1745762 (pid:15021)';

let stack: LocalStack;
let client: RedshiftDataClient;
let warehouse: Warehouse;
let holds: StatementHold[] = [];

interface Calls {
  submitted: { statementName: string; clientToken?: string }[];
  listed: number;
  described: string[];
}

/** The real Warehouse, with the submissions, lists and describes of a test recorded. */
function spied(): { port: WarehousePort; calls: Calls } {
  const calls: Calls = { submitted: [], listed: 0, described: [] };
  const port: WarehousePort = {
    submitTransaction: (sqls: readonly string[], opts: StatementOptions) => {
      calls.submitted.push({
        statementName: opts.statementName,
        ...(opts.clientToken ? { clientToken: opts.clientToken } : {}),
      });
      return warehouse.submitTransaction(sqls, opts);
    },
    describe: (id) => {
      calls.described.push(id);
      return warehouse.describe(id);
    },
    listStatements: (prefix, status) => {
      calls.listed++;
      return warehouse.listStatements(prefix, status);
    },
    cancel: (id) => warehouse.cancel(id),
    runTransaction: (sqls, opts) => warehouse.runTransaction(sqls, opts),
    runStatement: (sql, opts) => warehouse.runStatement(sql, opts),
    query: (sql, opts) => warehouse.query(sql, opts),
  };
  return { port, calls };
}

const deps = (port: WarehousePort = warehouse) => ({ index, warehouse: port, now: () => stack.clock.now() });

/** Holds every build batch of the run in STARTED until released. */
function holdBuilds(runId: string): StatementHold {
  const hold = stack.dataApi.hold((s) => (s.statementName ?? '').startsWith(buildStatementPrefix(runId)));
  holds.push(hold);
  return hold;
}

async function plan(runId: string, input: Record<string, unknown>): Promise<DispatchState> {
  return planRefresh(
    {
      input: { fullRefresh: true, ...input },
      executionName: runId,
      startTime: stack.clock.now().toISOString(),
    },
    deps(),
  );
}

/** Build batches of a run the Data API received, by model. */
function builds(runId: string): { model: string; id: string }[] {
  const prefix = buildStatementPrefix(runId);
  return stack.dataApi.log
    .filter((l) => l.index === 1 && (l.statementName ?? '').startsWith(prefix))
    .map((l) => ({ model: (l.statementName ?? '').slice(prefix.length), id: l.statementId }));
}

/** Until every build batch of the run has ended (and the simulated clock has moved by `seconds`). */
async function afterBuildsEnd(runId: string, seconds = 5): Promise<void> {
  for (const b of builds(runId)) {
    for (let i = 0; ; i++) {
      const status = String(stack.dataApi.describe(b.id)?.Status);
      if (['FINISHED', 'FAILED', 'ABORTED'].includes(status)) break;
      if (i > 2000) throw new Error(`build of ${b.model} did not end`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  await stack.simulator.tick(seconds * 1000);
}

async function runLog(runId: string): Promise<Record<string, { status: string; error: string | null }[]>> {
  const rows = await stack.warehouse.query<{ model: string; status: string; error: string | null }>(
    'SELECT model, status, error FROM zeo.run_log WHERE run_id = $1 ORDER BY model, status',
    [runId],
  );
  const byModel: Record<string, { status: string; error: string | null }[]> = {};
  for (const r of rows)
    byModel[r.model] = [...(byModel[r.model] ?? []), { status: r.status, error: r.error }];
  return byModel;
}

const pendingOf = (state: DispatchState) =>
  [...decodeBitset(state.pending, manifest.models.length)].map((p) => manifest.models[p]?.name).sort();
const building = (state: DispatchState) => state.inFlight.map((b) => manifest.models[b.m]?.name ?? '').sort();

let nextKey = 80_000;

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.bootstrap({ integrationArn: manifest.project.landing.integrationArn });
  client = dataClient(stack.dataApiEndpoint);
  warehouse = new Warehouse(client, manifest.project.warehouse);
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await stack?.close();
});
beforeEach(async () => {
  // New rows in every source table: every model's inputs change, so each plan builds all it selects
  // (a refresh planned on inputs another run has built finds them built meanwhile).
  const k = nextKey++;
  const day = k - 80_000;
  await stack.source.exec(`
    INSERT INTO public.customers VALUES (${k}, 'c${k}@example.com', 'Customer ${k}', 'north', 'retail',
      TIMESTAMP '2026-05-01 00:00:00' + INTERVAL '${day} hours', TIMESTAMP '2026-05-01 00:00:00' + INTERVAL '${day} hours');
    INSERT INTO public.products VALUES (${k}, 'SKU-${k}', 'Product ${k}', 'tools', 9.99, true, TIMESTAMP '2026-05-01 00:00:00');
    INSERT INTO public.orders VALUES (${k}, ${k}, 'placed', TIMESTAMP '2026-05-01 08:00:00' + INTERVAL '${day} days',
      TIMESTAMP '2026-05-01 08:00:00' + INTERVAL '${day} days');
    INSERT INTO public.order_items VALUES (${k}, 1, ${k}, 2, 19.98);
    INSERT INTO public.payments VALUES (${k}, ${k}, 'card', 19.98, 'captured',
      TIMESTAMP '2026-05-01 08:05:00' + INTERVAL '${day} days', TIMESTAMP '2026-05-01 08:05:00' + INTERVAL '${day} days');
    INSERT INTO public.shipments VALUES (${k}, ${k}, 'dhl', TIMESTAMP '2026-05-02 08:00:00' + INTERVAL '${day} days', NULL);`);
  await stack.simulator.replicate();
});
afterEach(() => {
  for (const hold of holds) hold.release();
  holds = [];
  stack.dataApi.clearFaults();
});

describe('dispatchBuilds: the ready set and refresh.maxConcurrency', () => {
  it('starts the models whose upstreams are built, up to the limit, longest chain first', async () => {
    const runId = 'u-ready';
    const planned = await plan(runId, {});
    expect(planned.next).toBe('dispatch');
    expect(pendingOf(planned)).toHaveLength(11);
    const hold = holdBuilds(runId);
    const state = { ...planned, refresh: { ...planned.refresh, maxConcurrency: 3 } };
    const first = DispatchState.parse(await dispatchBuilds(state, deps()));
    // Five roots are ready; the three under the four-model chain (to region_kpis) go first.
    expect([...first.last.started].sort()).toEqual(['dim_customers', 'stg_order_lines', 'stg_payments']);
    expect(building(first)).toEqual(['dim_customers', 'stg_order_lines', 'stg_payments']);
    expect(first.inFlight.every((b) => b.id !== null)).toBe(true);
    expect(pendingOf(first)).toHaveLength(8);
    expect(first).toMatchObject({ next: 'wait', ticks: 1 });
    expect(first.waitSeconds).toBeGreaterThanOrEqual(1);
    expect(
      builds(runId)
        .map((b) => b.model)
        .sort(),
    ).toEqual(first.last.started.slice().sort());

    // At the limit: one ListStatements sees all three running; nothing described, nothing started.
    await hold.waitUntilHeld(3);
    await stack.simulator.tick(first.waitSeconds * 1000);
    const { port, calls } = spied();
    const second = await dispatchBuilds(first, deps(port));
    expect(second.last).toMatchObject({ started: [], finished: [], failed: [] });
    expect(second.inFlight.map((b) => b.id)).toEqual(first.inFlight.map((b) => b.id));
    expect(calls).toMatchObject({ listed: 1, described: [], submitted: [] });

    // The three end: fct_orders is ready now and goes first, with the two other roots.
    hold.release();
    await afterBuildsEnd(runId);
    const third = await dispatchBuilds(second, deps());
    expect([...third.last.finished].sort()).toEqual(['dim_customers', 'stg_order_lines', 'stg_payments']);
    expect(third.last.started[0]).toBe('fct_orders');
    expect([...third.last.started].sort()).toEqual(['dim_products', 'fct_orders', 'mv_payment_methods']);
    expect(building(third)).toHaveLength(3);
  });

  it('never starts a model before all of its upstreams are built', async () => {
    const runId = 'u-order';
    let state = await plan(runId, {});
    const startedAfter = new Map<string, Set<string>>();
    const finished = new Set<string>();
    for (let tick = 0; state.next !== 'summarize' && tick < 50; tick++) {
      state = await dispatchBuilds(state, deps());
      for (const m of state.last.finished) finished.add(m);
      for (const m of state.last.started) startedAfter.set(m, new Set(finished));
      await afterBuildsEnd(runId, state.waitSeconds);
    }
    expect(state.next).toBe('summarize');
    expect([...startedAfter.keys()].sort()).toEqual(manifest.models.map((m) => m.name).sort());
    for (const [model, done] of startedAfter) {
      for (const up of index.dag.upstream.get(model) ?? [])
        expect(done.has(up), `${up} before ${model}`).toBe(true);
    }
    const logged = await runLog(runId);
    expect(Object.values(logged).every((o) => o.length === 1 && o[0]?.status === 'success')).toBe(true);
    expect(Object.keys(logged)).toHaveLength(11);
  });
});

describe('dispatchBuilds: failures', () => {
  it('a failed build skips its pending descendants, each naming the failed upstream; recorded once on a retried tick', async () => {
    const runId = 'u-fail';
    stack.dataApi.failStatements({
      match: (s) => s.statementName === `${buildStatementPrefix(runId)}dim_customers`,
      error: 'ERROR: injected failure',
    });
    const planned = await plan(runId, { select: 'dim_customers+' });
    const first = await dispatchBuilds(planned, deps());
    expect(first.last.started).toEqual(['dim_customers']);
    await afterBuildsEnd(runId);
    const second = DispatchState.parse(await dispatchBuilds(first, deps()));
    const descendants = [
      'customer_lifetime_value',
      'daily_revenue',
      'fct_orders',
      'fct_shipments',
      'region_kpis',
    ];
    expect(second.last).toMatchObject({ failed: ['dim_customers'], skipped: 5, started: [], pending: 0 });
    expect(second).toMatchObject({ next: 'summarize', inFlight: [], waitSeconds: 0 });
    const expected = {
      dim_customers: [
        {
          status: 'failed',
          error:
            'FAILED: ERROR: injected failure\n[statement 1 of 14] CREATE SCHEMA IF NOT EXISTS "reporting"',
        },
      ],
      ...Object.fromEntries(
        descendants.map((m) => [m, [{ status: 'skipped', error: 'upstream dim_customers failed' }]]),
      ),
    };
    expect(await runLog(runId)).toEqual(expected);
    // Step Functions retries the tick on the same input (its Lambda died after the records): same
    // answer, nothing recorded twice, nothing submitted.
    const again = await dispatchBuilds(first, deps());
    expect(again.last).toEqual(second.last);
    expect(await runLog(runId)).toEqual(expected);
    expect(builds(runId).map((b) => b.model)).toEqual(['dim_customers']);
    // The fence gave the lease up: the next refresh need not wait for it.
    expect(
      await stack.warehouse.query(`SELECT model FROM zeo.model_lease WHERE run_id = '${runId}'`),
    ).toEqual([]);
  });

  it('a model another run is building waits for its lease, then gives up with ModelBusyError and skips its descendants', async () => {
    const runId = 'u-busy';
    await stack.warehouse.query(
      `INSERT INTO zeo.model_lease VALUES ('dim_customers', 'other-run', now(), now() + INTERVAL '1 day')`,
    );
    try {
      const planned = await plan(runId, { select: 'dim_customers+' });
      const first = DispatchState.parse(await dispatchBuilds(planned, deps()));
      // Held by the other run: nothing submitted, the model waits (id null) and asks again.
      expect(first.last.started).toEqual([]);
      expect(first.inFlight).toMatchObject([{ id: null }]);
      expect(building(first)).toEqual(['dim_customers']);
      expect(first.waitSeconds).toBe(LEASE_RETRY_SECONDS);
      expect(builds(runId)).toEqual([]);
      // Past the lease timeout (and its margin) the wait ends as a recorded failure.
      const later = manifest.project.refresh.leaseTimeoutMinutes * 60_000 + 11 * 60_000;
      const late = { ...deps(), now: () => new Date(stack.clock.now().getTime() + later) };
      const second = DispatchState.parse(await dispatchBuilds(first, late));
      expect(second.last).toMatchObject({ failed: ['dim_customers'], skipped: 5, started: [], pending: 0 });
      expect(second).toMatchObject({ next: 'summarize', inFlight: [] });
      const log = await runLog(runId);
      expect(log.dim_customers?.[0]?.status).toBe('failed');
      expect(log.dim_customers?.[0]?.error).toMatch(
        /^ModelBusyError: model dim_customers is still being built by other-run; gave up waiting after \d+ minutes/,
      );
      expect(log.fct_orders).toEqual([{ status: 'skipped', error: 'upstream dim_customers failed' }]);
      expect(builds(runId)).toEqual([]);
      // The other run's lease is its own: giving up does not take it away.
      expect(
        await stack.warehouse.query(`SELECT run_id FROM zeo.model_lease WHERE model = 'dim_customers'`),
      ).toEqual([{ run_id: 'other-run' }]);
    } finally {
      await stack.warehouse.query(`DELETE FROM zeo.model_lease WHERE run_id = 'other-run'`);
    }
  });

  it('a serialization conflict is submitted again under a new ClientToken, never recorded failed', async () => {
    const runId = 'u-conflict';
    const planned = await plan(runId, { select: 'dim_products' });
    stack.dataApi.failStatements({
      match: (s) => s.statementName === `${buildStatementPrefix(runId)}dim_products`,
      error: CONFLICT,
      times: 1,
    });
    const { port, calls } = spied();
    const first = await dispatchBuilds(planned, deps(port));
    await afterBuildsEnd(runId);
    const second = await dispatchBuilds(first, deps(port));
    expect(second.last).toMatchObject({ failed: [], finished: [], started: [] });
    const [before] = first.inFlight;
    const [after] = second.inFlight;
    expect(after).toMatchObject({ m: before?.m, mode: 'full', c: 1 });
    expect(after?.id).not.toBe(before?.id);
    const tokens = calls.submitted
      .filter((s) => s.statementName === `${buildStatementPrefix(runId)}dim_products`)
      .map((s) => s.clientToken);
    expect(tokens).toEqual([
      buildClientToken(runId, 'dim_products', 'full'),
      buildClientToken(runId, 'dim_products', 'full', 1),
    ]);
    expect(new Set(builds(runId).map((b) => b.id))).toEqual(new Set([before?.id, after?.id]));
    await afterBuildsEnd(runId);
    const third = await dispatchBuilds(second, deps(port));
    expect(third.last.finished).toEqual(['dim_products']);
    expect(third.next).toBe('summarize');
    expect(await runLog(runId)).toEqual({ dim_products: [{ status: 'success', error: null }] });
  });

  it(`a build that conflicts on every submission fails after ${MAX_CONFLICT_RESUBMISSIONS} resubmissions, saying why`, async () => {
    const runId = 'u-conflicts';
    const planned = await plan(runId, { select: 'dim_products+' });
    stack.dataApi.failStatements({
      match: (s) => s.statementName === `${buildStatementPrefix(runId)}dim_products`,
      error: CONFLICT,
      times: 10,
    });
    let state = await dispatchBuilds(planned, deps());
    for (let i = 0; i < MAX_CONFLICT_RESUBMISSIONS + 1 && state.next !== 'summarize'; i++) {
      await afterBuildsEnd(runId);
      state = await dispatchBuilds(state, deps());
    }
    expect(state.last).toMatchObject({ failed: ['dim_products'], skipped: 1 });
    expect(builds(runId)).toHaveLength(MAX_CONFLICT_RESUBMISSIONS + 1);
    const logged = await runLog(runId);
    expect(logged.dim_products?.[0]?.error).toMatch(
      /^FAILED: serialization conflict with concurrent transactions on every one of 4 submissions/,
    );
    expect(logged.product_sales).toEqual([{ status: 'skipped', error: 'upstream dim_products failed' }]);
  });
});

describe('dispatchBuilds: a retried tick, another manifest, the history budget', () => {
  it('a tick run twice on the same input submits nothing twice (same statement ids) and records nothing twice', async () => {
    const runId = 'u-retry';
    const planned = await plan(runId, { select: 'dim_products+' });
    holdBuilds(runId);
    const { port, calls } = spied();
    const first = await dispatchBuilds(planned, deps(port));
    const again = await dispatchBuilds(planned, deps(port));
    expect(again.inFlight.map((b) => b.id)).toEqual(first.inFlight.map((b) => b.id));
    expect(again.last).toEqual(first.last);
    // The same request twice (same ClientToken): the Data API has one build of dim_products.
    expect(
      calls.submitted.filter((s) => s.statementName.includes(':build:')).map((s) => s.clientToken),
    ).toEqual([
      buildClientToken(runId, 'dim_products', 'full'),
      buildClientToken(runId, 'dim_products', 'full'),
    ]);
    expect(builds(runId)).toEqual([{ model: 'dim_products', id: first.inFlight[0]?.id }]);
    expect(await runLog(runId)).toEqual({});
  });

  it('a state planned on another manifest is refused with InvalidInputError before anything is sent', async () => {
    const runId = 'u-manifest';
    const planned = await plan(runId, { select: 'dim_products' });
    expect(planned.manifest).toBe(manifestFingerprint(index));
    const sent = stack.dataApi.log.length;
    const error = await dispatchBuilds({ ...planned, manifest: '11-0000000000000000' }, deps()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(String((error as Error).message)).toMatch(
      /manifest: the refresh was planned on another curated project/,
    );
    expect(stack.dataApi.log.length).toBe(sent);
  });

  it('says continue, with the continuation name, after TICKS_PER_EXECUTION ticks', async () => {
    const runId = 'u-continue';
    const planned = await plan(runId, { select: 'dim_products' });
    holdBuilds(runId);
    const before = await dispatchBuilds({ ...planned, ticks: TICKS_PER_EXECUTION - 2 }, deps());
    expect(before).toMatchObject({ next: 'wait', ticks: TICKS_PER_EXECUTION - 1, continuation: 0 });
    expect(before.continueAs).toBeUndefined();
    const at = DispatchState.parse(await dispatchBuilds(before, deps()));
    expect(at).toMatchObject({
      next: 'continue',
      ticks: 0,
      continuation: 1,
      continueAs: continuationName(runId, 1),
    });
    // The builds in flight go along to the continuation.
    expect(at.inFlight.map((b) => b.id)).toEqual(before.inFlight.map((b) => b.id));
    // In the continuation, the name is dropped again until its own budget is used up.
    const resumed = await dispatchBuilds(at, deps());
    expect(resumed).toMatchObject({ next: 'wait', ticks: 1, continuation: 1 });
    expect(resumed.continueAs).toBeUndefined();
    // A refresh that is done at the budget is summarized, not continued.
    for (const hold of holds) hold.release();
    await afterBuildsEnd(runId);
    const done = await dispatchBuilds({ ...resumed, ticks: TICKS_PER_EXECUTION - 1 }, deps());
    expect(done).toMatchObject({ next: 'summarize', waitSeconds: 0 });
  });
});
