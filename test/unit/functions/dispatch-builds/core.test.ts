import { describe, expect, it } from 'vitest';
import { dispatchBuilds } from '../../../../functions/dispatch-builds/core.js';
import { MAX_FAILURES_PER_TICK } from '../../../../shared/refresh/build-failure.js';
import {
  type DispatchState,
  decodeBitset,
  encodeBitset,
  type InFlightBuild,
  manifestFingerprint,
} from '../../../../shared/refresh/dispatch-state.js';
import { DATA_API_MAX_STATEMENT_SECONDS } from '../../../../shared/refresh/polling.js';
import type { Row, StatementDescription } from '../../../../shared/warehouse/warehouse.js';
import { fakeWarehouse, shopIndex } from '../../../helpers/fake-ports.js';

/**
 * dispatchBuilds over a fake warehouse (running statements listed, descriptions by id, lease rows by
 * model): the failure branches the embedded-stack test
 * (test/unit/functions/dispatch-builds/on-local-stack.test.ts) does not reach — a statement the Data
 * API forgot, a build still running after 24 hours, more failures than a tick records, the failing
 * statement of a batch, a REFRESH whose outcome is not known yet — and a model another run (or this
 * one) built meanwhile.
 */

const index = shopIndex();
const RUN = 'r-1';
const NOW = 1_796_292_000; // 2026-12-03T10:00:00Z, epoch seconds
const SIZE = index.manifest.models.length;
const pos = (model: string) => index.manifest.models.findIndex((m) => m.name === model);
const name = (p: number) => index.manifest.models[p]?.name;

function state(inFlight: InFlightBuild[], pending: string[] = []): DispatchState {
  return {
    refresh: {
      runId: RUN,
      trigger: 'schedule',
      startedAt: '2026-12-03T09:00:00.000Z',
      fullRefresh: false,
      maxConcurrency: 8,
    },
    manifest: manifestFingerprint(index),
    pending: encodeBitset(pending.map(pos), SIZE),
    expected: '',
    inFlight,
    ticks: 0,
    continuation: 0,
    next: 'dispatch',
    waitSeconds: 0,
    last: { started: [], finished: [], failed: [], skipped: 0, building: [], pending: 0 },
  };
}

const build = (model: string, id: string | null, fields: Partial<InFlightBuild> = {}): InFlightBuild => ({
  m: pos(model),
  mode: 'full',
  id,
  at: NOW - 120,
  due: NOW,
  ...fields,
});

interface Scene {
  running?: string[];
  /** DescribeStatement answers by id, in order (the last one repeats); 'gone' = ResourceNotFoundException. */
  described?: Record<string, (StatementDescription | 'gone')[]>;
  /** Lease status rows by model (default: this run holds the lease, nothing built). */
  leases?: Record<string, Row>;
}

function warehouse({ running = [], described = {}, leases = {} }: Scene = {}) {
  const looks = new Map<string, number>();
  const wh = fakeWarehouse({
    listStatements: () => running,
    describe: (id) => {
      const answers = described[id] ?? [];
      const n = looks.get(id) ?? 0;
      looks.set(id, n + 1);
      const answer = answers[Math.min(n, answers.length - 1)];
      if (answer === 'gone') {
        const error = new Error(`statement ${id} not found`);
        error.name = 'ResourceNotFoundException';
        throw error;
      }
      return answer ?? { id, status: 'STARTED' };
    },
    query: (sql) => {
      if (sql.includes('AS "committed"')) return [{ committed: 0 }];
      if (sql.includes('AS "holder"')) {
        return [...sql.matchAll(/SELECT '([a-z_]+)' AS "model"/g)].map((m) => ({
          model: m[1] ?? '',
          holder: RUN,
          built: null,
          built_by: null,
          built_since_plan: 0,
          wanted: null,
          definition_hash: null,
          ...leases[m[1] ?? ''],
        }));
      }
      if (sql.includes('"information_schema"')) return [];
      throw new Error(`unexpected query: ${sql}`);
    },
  });
  return {
    ...wh,
    /** The failures recorded, by model: their error parameter. */
    failures: () =>
      Object.fromEntries(
        wh.sent
          .filter((s) => s.options.statementName.endsWith(':failed'))
          .map((s) => [s.options.statementName.split(':')[2], s.options.parameters]),
      ),
  };
}

const tick = (s: DispatchState, wh: ReturnType<typeof warehouse>, now = NOW) =>
  dispatchBuilds(s, { index, warehouse: wh.port, now: () => new Date(now * 1000) });

describe('dispatchBuilds: failures the embedded stack does not produce', () => {
  it('a statement the Data API no longer knows is fenced and recorded failed with no statement id; its descendants skipped', async () => {
    const wh = warehouse({ described: { 's-old': ['gone'] } });
    const out = await tick(
      state(
        [build('fct_orders', 's-old')],
        ['fct_shipments', 'daily_revenue', 'region_kpis', 'customer_lifetime_value'],
      ),
      wh,
    );
    const failure = wh.failures().fct_orders;
    expect(failure?.statement_id).toBe('none');
    expect(failure?.error).toBe(
      'ResourceNotFoundException: the Data API no longer knows statement s-old: statement s-old not found',
    );
    expect(out.last).toMatchObject({ failed: ['fct_orders'], skipped: 4, pending: 0 });
    expect(out.next).toBe('summarize');
    const skips = wh.sqls().find((s) => s.includes('"v"."status"')) ?? '';
    expect(skips).toContain(
      "SELECT 'region_kpis' AS \"model\", 'skipped' AS \"status\", 'upstream fct_orders failed'",
    );
  });

  it('another error of DescribeStatement fails the tick (the ASL retries it), recording nothing', async () => {
    const wh = warehouse();
    const throttled = new Error('slow down');
    throttled.name = 'DataApiThrottledError';
    const failing = { ...wh.port, describe: async () => Promise.reject(throttled) };
    await expect(
      dispatchBuilds(state([build('fct_orders', 's-1')]), {
        index,
        warehouse: failing,
        now: () => new Date(NOW * 1000),
      }),
    ).rejects.toMatchObject({ name: 'DataApiThrottledError' });
    expect(wh.writes()).toEqual([]);
  });

  it('a build still reported running 24 hours after it was submitted is cancelled and failed with BuildTimeoutError', async () => {
    const at = NOW - DATA_API_MAX_STATEMENT_SECONDS - 601;
    const wh = warehouse({ running: ['s-slow', 's-fine'] });
    const out = await tick(
      state([
        build('fct_orders', 's-slow', { at }),
        build('dim_products', 's-fine', { at: NOW - DATA_API_MAX_STATEMENT_SECONDS }),
      ]),
      wh,
    );
    expect(wh.cancelled).toEqual(['s-slow']);
    expect(wh.failures().fct_orders?.error).toBe(
      'BuildTimeoutError: build still running after 24 hours; cancelled',
    );
    expect(out.inFlight.map((b) => name(b.m))).toEqual(['dim_products']);
    expect(out.next).toBe('wait');
  });

  it(`records at most ${MAX_FAILURES_PER_TICK} failures a tick; the rest stay in flight, looked at next second`, async () => {
    const models = [
      'dim_customers',
      'dim_products',
      'stg_order_lines',
      'stg_payments',
      'fct_orders',
      'product_sales',
    ];
    const described = Object.fromEntries(
      models.map((m) => [`s-${m}`, [{ id: `s-${m}`, status: 'FAILED' as const, error: 'ERROR: boom' }]]),
    );
    const wh = warehouse({ described });
    const out = await tick(state(models.map((m) => build(m, `s-${m}`))), wh);
    expect(Object.keys(wh.failures())).toHaveLength(MAX_FAILURES_PER_TICK);
    expect(out.last.failed).toEqual(models.slice(0, MAX_FAILURES_PER_TICK));
    expect(out.inFlight.map((b) => [name(b.m), b.due])).toEqual(
      models.slice(MAX_FAILURES_PER_TICK).map((m) => [m, NOW + 1]),
    );
    expect(out).toMatchObject({ next: 'wait', waitSeconds: 1 });
  });

  it('a failed batch names its failing statement (the first not FINISHED); an abort without error says so', async () => {
    const wh = warehouse({
      described: {
        's-1': [
          {
            id: 's-1',
            status: 'FAILED',
            error: 'ERROR: division by zero',
            subStatements: [
              { status: 'FINISHED', queryString: 'CALL zeo.claim_lease()' },
              { status: 'FAILED', queryString: 'INSERT INTO   "reporting"."fct_orders__new"\n  SELECT 1/0' },
              { status: 'ABORTED', queryString: 'ALTER TABLE x' },
            ],
          },
        ],
        's-2': [{ id: 's-2', status: 'ABORTED' }],
      },
    });
    await tick(state([build('fct_orders', 's-1'), build('dim_products', 's-2')]), wh);
    expect(wh.failures().fct_orders?.error).toBe(
      'FAILED: ERROR: division by zero\n[statement 2 of 3] INSERT INTO "reporting"."fct_orders__new" SELECT 1/0',
    );
    expect(wh.failures().dim_products?.error).toBe('ABORTED: statement was aborted');
  });

  it('a timed-out REFRESH whose cancel has not landed stays in flight, looked at again in 5 s, nothing recorded', async () => {
    const at = NOW - DATA_API_MAX_STATEMENT_SECONDS - 601;
    const wh = warehouse({ running: ['s-mv'] });
    const out = await tick(state([build('mv_payment_methods', 's-mv', { mode: 'refresh_view', at })]), wh);
    expect(wh.cancelled).toEqual(['s-mv']);
    expect(wh.failures()).toEqual({});
    expect(out.inFlight).toEqual([
      expect.objectContaining({ m: pos('mv_payment_methods'), id: 's-mv', due: NOW + 5 }),
    ]);
    expect(out.last.failed).toEqual([]);
  });
});

describe('dispatchBuilds: a model built meanwhile', () => {
  it('built by another refresh from the same inputs: recorded unchanged, lease released, its swapped-out table dropped, nothing submitted', async () => {
    const wh = warehouse({
      leases: { dim_products: { built: 'h-1', wanted: 'h-1', built_by: 'r-other', built_since_plan: 1 } },
    });
    const out = await tick(state([], ['dim_products']), wh);
    const sqls = wh.sqls();
    expect(sqls.find((s) => s.includes('"v"."status"'))).toContain(
      "SELECT 'dim_products' AS \"model\", 'unchanged' AS \"status\", 'built meanwhile by another refresh from the same inputs'",
    );
    expect(sqls.some((s) => /DELETE FROM .*model_lease.*'dim_products'.*"run_id" = 'r-1'/.test(s))).toBe(
      true,
    );
    expect(wh.sent.filter((s) => s.kind === 'submitTransaction').map((s) => s.options.statementName)).toEqual(
      ['zeo:r-1:drop-old:0-0-built:0'],
    );
    expect(out).toMatchObject({ next: 'summarize', last: { finished: ['dim_products'], started: [] } });
  });

  it('built by this very run (a retried tick): lease released, no outcome recorded, nothing submitted again', async () => {
    const wh = warehouse({
      leases: { dim_products: { built: 'h-1', wanted: 'h-1', built_by: RUN, built_since_plan: 1 } },
    });
    const out = await tick(state([], ['dim_products']), wh);
    expect(wh.sqls().some((s) => s.includes('"v"."status"'))).toBe(false);
    expect(wh.sqls().some((s) => /DELETE FROM .*model_lease/.test(s))).toBe(true);
    expect(out.last).toMatchObject({ finished: ['dim_products'], started: [] });
    expect(decodeBitset(out.pending, SIZE).size).toBe(0);
  });
});
