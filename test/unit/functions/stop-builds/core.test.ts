import { describe, expect, it } from 'vitest';
import {
  MAX_STOPS_PER_INVOCATION,
  type StopBuildsEvent,
  stopBuilds,
} from '../../../../functions/stop-builds/core.js';
import type { StatementDescription } from '../../../../shared/warehouse/warehouse.js';
import { fakeWarehouse, shopIndex } from '../../../helpers/fake-ports.js';

/**
 * stopBuilds over a fake warehouse answering the run's leases and whether each build committed: what
 * is cancelled, which leases are given up per call (`more`), the mode and error each failure is
 * recorded with, a build found committed after all, and a REFRESH still running (retried).
 */

const index = shopIndex();
const NOW = new Date('2026-12-03T10:00:00.000Z');
const pos = (model: string) => index.manifest.models.findIndex((m) => m.name === model);
const refresh = {
  runId: 'r-1',
  trigger: 'schedule',
  startedAt: '2026-12-03T09:00:00.000Z',
  fullRefresh: false,
  maxConcurrency: 8,
};
const error = {
  Error: 'Lambda.Unknown',
  Cause: '{"errorType":"Error","errorMessage":"out of memory\\n at tick"}',
};

function warehouse({
  held,
  committed = [],
  running = [],
  describe,
}: {
  held: string[];
  committed?: string[];
  running?: string[];
  describe?: (id: string) => StatementDescription;
}) {
  return fakeWarehouse({
    listStatements: () => running,
    ...(describe ? { describe } : {}),
    query: (sql) => {
      if (sql.includes('"model_lease"')) return held.map((model) => ({ model }));
      const m = /"model" = '([a-z_]+)' AND "status" = 'success'/.exec(sql);
      if (m) return [{ committed: committed.includes(m[1] ?? '') ? 1 : 0 }];
      throw new Error(`unexpected query: ${sql}`);
    },
  });
}

const run = (event: Partial<StopBuildsEvent>, wh: ReturnType<typeof warehouse>) =>
  stopBuilds({ refresh, inFlight: [], error, ...event }, { index, warehouse: wh.port, now: () => NOW });

const failures = (wh: ReturnType<typeof warehouse>) =>
  wh.sent.filter((s) => s.options.statementName.endsWith(':failed'));

describe('stopBuilds', () => {
  it('cancels the listed running builds and those in flight, each once', async () => {
    const wh = warehouse({ held: [], running: ['s-1', 's-2'] });
    const out = await run(
      {
        inFlight: [
          { m: pos('fct_orders'), mode: 'full', id: 's-2', at: 1, due: 2 },
          { m: pos('dim_customers'), mode: 'full', id: 's-3', at: 1, due: 2 },
        ],
      },
      wh,
    );
    expect(wh.listed).toEqual([{ prefix: expect.stringContaining('r-1'), status: 'STARTED' }]);
    expect([...wh.cancelled].sort()).toEqual(['s-1', 's-2', 's-3']);
    expect(out).toEqual({ failed: [], built: [], cancelled: 3, more: false });
  });

  it(`gives up at most ${MAX_STOPS_PER_INVOCATION} leases per call and says there are more`, async () => {
    const held = ['customer_lifetime_value', 'daily_revenue', 'dim_customers', 'dim_products', 'fct_orders'];
    const wh = warehouse({ held });
    const out = await run({}, wh);
    expect(out.failed).toEqual(held.slice(0, MAX_STOPS_PER_INVOCATION));
    expect(out.more).toBe(true);
    const last = await run({}, warehouse({ held: held.slice(MAX_STOPS_PER_INVOCATION) }));
    expect(last).toMatchObject({ failed: ['fct_orders'], more: false });
  });

  it('each lease goes through the fence before the failure is recorded, with RefreshStoppedError and the Lambda message', async () => {
    const wh = warehouse({ held: ['fct_orders'] });
    await run({}, wh);
    const names = wh.sent.map((s) => s.options.statementName);
    expect(names.indexOf('zeo:r-1:fct_orders:fence')).toBeLessThan(
      names.indexOf('zeo:r-1:fct_orders:failed'),
    );
    const [failure] = failures(wh);
    expect(failure?.options.parameters?.error).toBe(
      'RefreshStoppedError: the refresh stopped while this build was in flight (Lambda.Unknown: out of memory); the build was cancelled',
    );
    expect(failure?.options.parameters?.statement_id).toBe('none');
    // No build in flight: the failure is dated from the refresh's start.
    expect(failure?.sqls[0]).toContain("CAST('2026-12-03 09:00:00.000' AS TIMESTAMP)");
  });

  it('a Cause that is not a Lambda error JSON is quoted as it is (first line); no Cause, only the class', async () => {
    const plain = warehouse({ held: ['fct_orders'] });
    await run({ error: { Error: 'States.Timeout', Cause: 'task timed out\nsecond line' } }, plain);
    expect(failures(plain)[0]?.options.parameters?.error).toContain('(States.Timeout: task timed out)');
    const bare = warehouse({ held: ['fct_orders'] });
    await run({ error: {} }, bare);
    expect(failures(bare)[0]?.options.parameters?.error).toContain('in flight (error);');
  });

  it('a build that committed after all is reported built, nothing recorded against it, its swapped-out table dropped', async () => {
    const wh = warehouse({ held: ['fct_orders'], committed: ['fct_orders'] });
    const out = await run(
      { inFlight: [{ m: pos('fct_orders'), mode: 'full', id: 's-9', at: 1, due: 2 }] },
      wh,
    );
    expect(out).toMatchObject({ failed: [], built: ['fct_orders'] });
    expect(failures(wh)).toEqual([]);
    expect(wh.sent.map((s) => s.options.statementName)).toContain('zeo:r-1:fct_orders:drop-old');
  });

  it('the in-flight build gives the statement id and submission time; a REFRESH still running is retried (StatementStillRunningError)', async () => {
    const at = Date.parse('2026-12-03T09:30:00Z') / 1000;
    const wh = warehouse({ held: ['fct_orders'] });
    await run({ inFlight: [{ m: pos('fct_orders'), mode: 'full', id: 's-7', at, due: at }] }, wh);
    const [failure] = failures(wh);
    expect(failure?.options.parameters?.statement_id).toBe('s-7');
    expect(failure?.sqls[0]).toContain("CAST('2026-12-03 09:30:00.000' AS TIMESTAMP)");

    const view = warehouse({ held: ['mv_payment_methods'], describe: (id) => ({ id, status: 'STARTED' }) });
    await expect(
      run(
        { inFlight: [{ m: pos('mv_payment_methods'), mode: 'refresh_view', id: 's-8', at, due: at }] },
        view,
      ),
    ).rejects.toMatchObject({
      name: 'StatementStillRunningError',
      message: expect.stringContaining('mv_payment_methods'),
    });
  });
});
