import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexManifest } from '../../shared/graph/plan.js';
import { compileProject } from '../../shared/project/compile.js';
import { MIN_LOOK_SECONDS } from '../../shared/refresh/polling.js';
import { buildStatementPrefix } from '../../shared/sql/build.js';
import { createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, runToEnd, statesEntered } from '../helpers/local-sfn.js';
import { shopFile, useShopVariant } from '../helpers/manifest-variant.js';
import { shopSources } from '../helpers/project.js';

let aws: FakeAws;
let restoreManifest: (() => void) | undefined;

beforeAll(async () => {
  aws = await createFakeAws();
});
afterAll(async () => {
  aws.restore();
  await aws.warehouse.close();
});
beforeEach(() => aws.reset());
afterEach(() => {
  restoreManifest?.();
  restoreManifest = undefined;
});

const REFRESH = 'CuratedRefreshStateMachine';
const index = indexManifest(compileProject(shopSources()));

const outcomes = async (runId: string) =>
  Object.fromEntries(
    (
      await aws.warehouse.query<{ model: string; status: string; error: string | null }>(
        `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${runId}' ORDER BY model`,
      )
    ).map((r) => [r.model, r]),
  );
const checksum = async (relation: string) =>
  (
    await aws.warehouse.query<{ sum: string }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM ${relation} t`,
    )
  )[0]?.sum;

describe('State machine: curated-refresh', () => {
  it('builds every model in dependency order, records and announces each build', async () => {
    const run = await runToEnd(localStepFunctions(), REFRESH, {}, 'refresh-all');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      status: 'succeeded',
      counts: { selected: 11, built: 11, failed: 0, deferred: 0, skipped: 0 },
    });
    const logged = await outcomes('refresh-all');
    expect(Object.values(logged).map((r) => r.status)).toEqual(Array(11).fill('success'));
    expect(
      (await aws.warehouse.query<{ n: number }>('SELECT count(*)::int AS n FROM reporting.fct_orders'))[0]?.n,
    ).toBe(600);
    // Dependency order: every build batch is submitted after the batches of all its upstreams.
    const order = aws.statements
      .filter((s) => s.name.startsWith(buildStatementPrefix('refresh-all')))
      .map((s) => s.name.slice(buildStatementPrefix('refresh-all').length));
    expect([...order].sort()).toEqual(Object.keys(logged).sort());
    for (const [i, model] of order.entries()) {
      for (const upstream of index.dag.upstream.get(model) ?? []) {
        expect(order.indexOf(upstream), `${upstream} before ${model}`).toBeLessThan(i);
      }
    }
    expect(order.indexOf('fct_orders')).toBeGreaterThan(order.indexOf('stg_payments'));
    expect(aws.events.filter((e) => e.DetailType === 'Curated Table Refreshed')).toHaveLength(11);
    expect(aws.events.some((e) => e.DetailType === 'Curated Refresh Completed')).toBe(true);
  });

  it('merges incremental models and refreshes the unchanged materialized view on the next run', async () => {
    const sfn = localStepFunctions();
    await runToEnd(sfn, REFRESH, {}, 'first');
    aws.statements.length = 0;
    const second = await runToEnd(sfn, REFRESH, { group: 'hourly' }, 'second');
    expect(second.status, second.cause).toBe('SUCCEEDED');
    const sqlOf = (model: string) =>
      aws.statements.find((s) => s.name === `zeo:second:build:${model}`)?.sqls.join('\n') ?? '';
    expect(sqlOf('stg_payments')).toContain('MERGE INTO "reporting"."stg_payments"');
    expect(sqlOf('mv_payment_methods')).toContain('REFRESH MATERIALIZED VIEW');
    expect(sqlOf('fct_orders')).toContain('RENAME TO "fct_orders"');
    // group:hourly never touches the nightly dimensions
    expect(sqlOf('dim_customers')).toBe('');
  });

  it('a failed model skips only its descendants; the old table stays as it was', async () => {
    const sfn = localStepFunctions();
    await runToEnd(sfn, REFRESH, {}, 'baseline');
    const before = await checksum('reporting.dim_customers');
    // dim_customers now yields a duplicate key: its batch raises in zeo.assert_unique and rolls back.
    restoreManifest = useShopVariant({
      'models/dim_customers.sql': `${shopFile('models/dim_customers.sql')}\nunion all select customer_id, email, full_name, region, segment, created_at from {{ source('public', 'customers') }} where customer_id = 1`,
    });
    const run = await runToEnd(sfn, REFRESH, {}, 'with-failure');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CuratedRefreshFailedError');
    const logged = await outcomes('with-failure');
    expect(logged.dim_customers?.status).toBe('failed');
    expect(logged.dim_customers?.error).toMatch(
      /unique_key \("customer_id"\) violated in model dim_customers/,
    );
    expect(logged.fct_orders).toMatchObject({ status: 'skipped', error: 'upstream dim_customers failed' });
    expect(logged.customer_lifetime_value?.status).toBe('skipped');
    expect(logged.region_kpis?.status).toBe('skipped');
    for (const built of [
      'dim_products',
      'stg_order_lines',
      'stg_payments',
      'product_sales',
      'mv_payment_methods',
    ]) {
      expect(logged[built]?.status, built).toBe('success');
    }
    expect(await checksum('reporting.dim_customers')).toBe(before);
    expect(aws.events.some((e) => e.DetailType === 'Curated Refresh Failed')).toBe(true);
  });

  it.each(['FAILED', 'ABORTED'] as const)(
    'records a statement that ends %s as a failed build',
    async (status) => {
      aws.faults.failModel = new Map([['product_sales', status]]);
      const run = await runToEnd(
        localStepFunctions(),
        REFRESH,
        { select: 'product_sales' },
        `ended-${status}`,
      );
      expect(run.error).toBe('CuratedRefreshFailedError');
      const logged = await outcomes(`ended-${status}`);
      expect(logged.product_sales?.status).toBe('failed');
      expect(logged.product_sales?.error).toMatch(
        status === 'ABORTED' ? /^ABORTED: statement was aborted/ : /^FAILED: ERROR: injected failure/,
      );
    },
  );

  it('defers models whose landing tables are not Synced instead of failing them', async () => {
    await aws.setTableState('public.orders', 'ResyncRequired', 'source DDL');
    const run = await runToEnd(localStepFunctions(), REFRESH, {}, 'deferred-run');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const logged = await outcomes('deferred-run');
    expect(logged.fct_orders).toMatchObject({
      status: 'deferred',
      error: 'source public.orders is ResyncRequired',
    });
    for (const down of ['customer_lifetime_value', 'daily_revenue', 'fct_shipments', 'region_kpis']) {
      expect(logged[down]?.status, down).toBe('deferred');
    }
    expect(logged.dim_customers?.status).toBe('success');
    expect(run.output).toMatchObject({ counts: { built: 6, deferred: 5, failed: 0 } });
    expect(aws.events.some((e) => e.DetailType === 'Curated Models Deferred')).toBe(true);
  });

  it('looks at a running build once per tick, one wait for the refresh, until it finishes', async () => {
    aws.faults.pollsBeforeDone = 3;
    const sfn = localStepFunctions();
    const run = await runToEnd(sfn, REFRESH, { select: 'dim_products' }, 'slow');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    // Tick 1 submits; ticks 2–4 list the build as running; tick 5 describes it FINISHED.
    const entered = statesEntered(run);
    expect(entered.filter((s) => s === 'DispatchBuilds')).toHaveLength(5);
    const waits = run.events.filter((e) => e.type === 'StateEntered' && e.state?.name === 'WaitForBuilds');
    expect(waits).toHaveLength(4);
    // A build without history is looked at again after MIN_LOOK_SECONDS while it is young.
    for (const wait of waits) expect(wait.state?.input).toMatchObject({ waitSeconds: MIN_LOOK_SECONDS });
    expect(sfn.executions).toHaveLength(1);
    expect((await outcomes('slow')).dim_products?.status).toBe('success');
  });

  it('sources: rebuilds exactly the models downstream of the listed landing tables', async () => {
    await runToEnd(localStepFunctions(), REFRESH, {}, 'sources-initial');
    const run = await runToEnd(
      localStepFunctions(),
      REFRESH,
      { sources: ['public.shipments', 'public.products'], fullRefresh: true },
      'sources',
    );
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const built = await aws.warehouse.query<{ model: string }>(
      `SELECT model FROM zeo.run_log WHERE run_id = 'sources' AND status = 'success' ORDER BY model`,
    );
    expect(built.map((r) => r.model)).toEqual(['dim_products', 'fct_shipments', 'product_sales']);
  });

  it('retries throttled submissions (ActiveStatementsExceededException)', async () => {
    aws.faults.throttleSubmissions = 2;
    const run = await runToEnd(localStepFunctions(), REFRESH, { select: 'dim_products' }, 'throttled');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.events.some((e) => e.type === 'StateRetried')).toBe(true);
  });

  it.each([
    [{ select: 'nope+' }, /select: unknown model 'nope'/],
    [{ group: 'weekly' }, /group: unknown group 'weekly'/],
    [{ fullRefresh: 'yes' }, /fullRefresh: Invalid input: expected boolean/],
    [{ selct: 'dim_products' }, /unknown key\(s\): selct/],
    [{ trigger: "x'; drop table zeo.run_log; --" }, /trigger: triggers are lower-case words/],
    [{ sources: ['public.orders', 'public.nope'] }, /sources\[1\]: 'public.nope' is not a landing table/],
    [{ sources: [] }, /sources: Too small/],
    [{ sources: Array(501).fill('public.orders') }, /sources: Too big/],
  ])('rejects bad input %j before touching anything', async (input, message) => {
    const run = await runToEnd(localStepFunctions(), REFRESH, input, 'bad-input');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInputError');
    const planFailed = run.events.find((e) => e.type === 'StateCaught' || e.type === 'StateFailed');
    expect(JSON.stringify(planFailed)).toMatch(message);
    expect(aws.sqlLog).toEqual([]);
  });
});
