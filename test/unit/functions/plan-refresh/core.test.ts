import { describe, expect, it } from 'vitest';
import { planRefresh } from '../../../../functions/plan-refresh/core.js';
import { decodeBitset, decodeDurations } from '../../../../shared/refresh/dispatch-state.js';
import type { Row } from '../../../../shared/warehouse/warehouse.js';
import { bookkeepingUpToDate, fakeWarehouse, shopIndex } from '../../../helpers/fake-ports.js';

/**
 * planRefresh over a fake warehouse answering the table states, the model states and
 * information_schema: input refused before anything is written, deferred models, upstreams outside
 * the refresh that were never built or whose table is gone, a replan with nothing changed, and the
 * expected durations handed to the dispatcher.
 */

const index = shopIndex();
const NOW = new Date('2026-12-03T10:00:00.000Z');
const LANDING = ['customers', 'order_items', 'orders', 'payments', 'products', 'shipments'];
const nameAt = (p: number) => index.manifest.models[p]?.name;

interface Warehouse {
  states?: Record<string, string>;
  built?: Row[];
  present?: string[];
}

function warehouse({ states = {}, built = [], present = [] }: Warehouse = {}) {
  return fakeWarehouse({
    query: (sql) => {
      const setUp = bookkeepingUpToDate(sql);
      if (setUp) return setUp;
      if (sql.includes('svv_integration_table_state')) {
        return LANDING.map((t) => ({
          schema_name: 'public',
          table_name: t,
          table_state: states[t] ?? 'Synced',
          reason: '',
          last_updated_timestamp: '2026-12-03 09:00:00',
          checkpoint: '7',
        }));
      }
      if (sql.includes('"model_state"')) return built;
      if (sql.includes('"information_schema"."tables"')) {
        return present.map((t) => {
          const [table_schema, table_name] = t.split('.');
          return { table_schema: table_schema ?? '', table_name: table_name ?? '' };
        });
      }
      throw new Error(`unexpected query: ${sql}`);
    },
  });
}

const plan = (input: unknown, wh = warehouse(), executionName = 'r-1') =>
  planRefresh(
    { input, executionName, startTime: '2026-12-03T10:00:00Z' },
    { index, warehouse: wh.port, now: () => NOW },
  );

/** The run-log rows the plan recorded: [model, status, reason]. */
function outcomes(wh: ReturnType<typeof warehouse>): [string, string, string][] {
  const text = wh
    .writes()
    .flatMap((s) => s.sqls)
    .filter((s) => s.includes('"run_log"'))
    .join('\n');
  return [
    ...text.matchAll(/\('r-1', '([a-z_]+)', '[a-z]+', '([a-z_]+)', [^,]+, [^,]+, '((?:[^']|'')*)'\)/g),
  ].map((m) => [m[1] ?? '', m[2] ?? '', m[3] ?? '']);
}

describe('planRefresh: input refused before anything is sent', () => {
  it.each([
    [{ select: 'no_such_model' }, 'r-1', 'select'],
    [{ group: 'weekly' }, 'r-1', 'group'],
    [{ sources: ['public.orders', 'public.refunds'] }, 'r-1', 'sources[1]'],
    [{ fullRefresh: 'yes' }, 'r-1', 'fullRefresh'],
    [{}, 'run 1', 'executionName'],
  ])('%j (execution %s) is an InvalidInputError naming %s', async (input, executionName, field) => {
    const wh = warehouse();
    await expect(plan(input, wh, executionName)).rejects.toMatchObject({
      name: 'InvalidInputError',
      issues: [expect.objectContaining({ field })],
    });
    expect(wh.sent).toEqual([]);
  });
});

describe('planRefresh: what is built', () => {
  it('a first refresh builds every model, all pending, dispatch next', async () => {
    const wh = warehouse();
    const state = await plan({});
    expect(state.next).toBe('dispatch');
    expect(state.planned).toEqual({
      selected: 11,
      build: 11,
      deferred: 0,
      skipped: 0,
      unchanged: 0,
      withinTolerance: 0,
    });
    expect(decodeBitset(state.pending, 11).size).toBe(11);
    // Nothing was ever built: no expected durations for the dispatcher.
    expect(state.expected).toBe('');
    expect(state.refresh).toMatchObject({
      runId: 'r-1',
      trigger: 'manual',
      maxConcurrency: 8,
      startedAt: '2026-12-03T10:00:00.000Z',
    });
    await plan({}, wh);
    expect(
      wh
        .writes()
        .flatMap((s) => s.sqls)
        .some((s) => s.includes('"run_plan"')),
    ).toBe(true);
  });

  it('a model reading a table that is not Synced is deferred, and its descendants with it', async () => {
    const wh = warehouse({ states: { orders: 'ResyncInitiated' } });
    const state = await plan({ sources: ['public.orders', 'public.orders'] }, wh);
    expect(state.refresh.sources).toEqual(['public.orders']);
    expect(state.planned).toMatchObject({ build: 0, deferred: state.planned?.selected });
    expect(state.next).toBe('summarize');
    expect(decodeBitset(state.pending, 11).size).toBe(0);
    const recorded = outcomes(wh);
    expect(recorded).toContainEqual(['fct_orders', 'deferred', 'source public.orders is ResyncInitiated']);
    expect(recorded).toContainEqual(['daily_revenue', 'deferred', 'upstream fct_orders is deferred']);
  });

  it('an upstream outside the refresh that was never built fails the model before any SQL; its descendants are skipped', async () => {
    const wh = warehouse();
    const state = await plan({ select: 'daily_revenue+' }, wh);
    expect(state.planned).toMatchObject({ selected: 2, build: 0, skipped: 1 });
    expect(state.last.failed).toEqual(['daily_revenue']);
    expect(state.next).toBe('summarize');
    expect(decodeBitset(state.pending, 11).size).toBe(0);
    expect(outcomes(wh)).toEqual([
      [
        'daily_revenue',
        'failed',
        'UpstreamNotBuiltError: fct_orders has never been built: select +daily_revenue (the model and its upstreams), or run a full refresh',
      ],
      ['region_kpis', 'skipped', 'upstream daily_revenue failed'],
    ]);
  });

  it('an upstream built once whose table is gone fails the model; one whose table is there does not', async () => {
    const built = [
      {
        model: 'fct_orders',
        definition_hash: 'x',
        build_id: 'b',
        inputs_hash: 'h',
        last_success_at: '2026-12-02 10:00:00',
      },
    ];
    const gone = warehouse({ built });
    await plan({ select: 'daily_revenue' }, gone);
    expect(outcomes(gone)[0]?.[2]).toContain('fct_orders was built, but its table is gone (dropped?)');
    const there = await plan(
      { select: 'daily_revenue' },
      warehouse({ built, present: ['reporting.fct_orders'] }),
    );
    expect(there.planned?.build).toBe(1);
    expect(there.last.failed).toEqual([]);
  });
});

describe('planRefresh: a replan', () => {
  it('planned again over what the first plan built: every model unchanged and nothing pending; a full refresh rebuilds all, expecting the last durations', async () => {
    const first = warehouse();
    await plan({}, first);
    const planText = first
      .writes()
      .flatMap((s) => s.sqls)
      .filter((s) => s.includes('"run_plan"'))
      .join('\n');
    const built = [...planText.matchAll(/\('r-1', '([a-z_]+)', '[^']*', '([0-9a-f]{64})'/g)].map((m) => ({
      model: m[1] ?? '',
      definition_hash: index.model(m[1] ?? '').definitionHash,
      build_id: `r-1:${m[1]}`,
      inputs_hash: m[2] ?? '',
      last_success_at: '2026-12-03 09:30:00',
      last_build_started_at: '2026-12-03 09:29:00',
      last_build_finished_at: '2026-12-03 09:30:00',
    }));
    expect(built).toHaveLength(11);
    const state = await plan({}, warehouse({ built }), 'r-2');
    expect(state.planned).toMatchObject({ build: 0, unchanged: 11 });
    expect(state.next).toBe('summarize');
    expect(decodeBitset(state.pending, 11).size).toBe(0);

    const full = await plan({ fullRefresh: true }, warehouse({ built }), 'r-3');
    expect(full.planned?.build).toBe(11);
    // Each model's last build took 60 s: the dispatcher is told so, per position.
    const expected = decodeDurations(full.expected, 11);
    expect([...expected.keys()].map(nameAt).sort()).toEqual(index.manifest.models.map((m) => m.name));
    expect(new Set(expected.values())).toEqual(new Set([60]));
  });
});
