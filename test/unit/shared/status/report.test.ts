import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../../../../cli/status-view.js';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../../../local/app.js';
import { localStatus } from '../../../../local/control.js';
import type { ModelStatus } from '../../../../shared/status/report.js';
import { SHOP_PROJECT } from '../../../helpers/project.js';

/**
 * `zeo status` shows each model's last outcome with its reason and when it happened — read from the
 * run log of the embedded stack after real runs, including for a model that has never been built (it
 * has outcomes but no model_state row) and for a failure after an earlier success (the old table stays).
 */

const REFRESH = 'CuratedRefreshStateMachine';
let app: LocalOrchestrator;
let nth = 0;

/** A refresh run to its end, with the warehouse clock's time (simulated on the local stack) around it. */
async function refresh(input: Record<string, unknown>) {
  const before = app.stack.clock.now().getTime();
  const record = await app.start(REFRESH, input, `status-${++nth}`).done;
  await app.settle();
  return { ...record, before, after: app.stack.clock.now().getTime() };
}

const modelOf = (models: ModelStatus[], name: string): ModelStatus => {
  const found = models.find((m) => m.model === name);
  if (!found) throw new Error(`no status for ${name}`);
  return found;
};
const lineOf = (text: string, model: string) => text.split('\n').find((l) => l.startsWith(`${model} `)) ?? '';

beforeAll(async () => {
  app = await startLocalOrchestrator({ projectDir: resolve(SHOP_PROJECT) });
}, 120_000);
afterAll(() => app?.close());

describe('zeo status: each model’s last outcome, its reason and when', () => {
  it('before anything ran: every model reads never, with no outcome', async () => {
    const report = await localStatus(app);
    expect(report.models.length).toBeGreaterThan(0);
    for (const m of report.models)
      expect(m).toMatchObject({ lastSuccess: null, lastStatus: null, lastOutcomeAt: null, lastError: null });
  });

  it('a model never built whose refresh failed: failed, the missing upstream named, the run and the time', async () => {
    const record = await refresh({ select: 'fct_orders' });
    expect(record.status).toBe('FAILED');
    const report = await localStatus(app);
    const fct = modelOf(report.models, 'fct_orders');
    expect(fct).toMatchObject({ lastSuccess: null, lastStatus: 'failed', lastRunId: record.name });
    expect(fct.lastError).toMatch(/^UpstreamNotBuiltError: \w+ has never been built: select \+fct_orders/);
    const at = Date.parse(fct.lastOutcomeAt ?? '');
    expect(at).toBeGreaterThanOrEqual(record.before - 1000);
    expect(at).toBeLessThanOrEqual(record.after + 1000);
    // Models the run did not touch keep having no outcome.
    expect(modelOf(report.models, 'dim_customers').lastStatus).toBeNull();

    const printed = formatStatus(report);
    expect(lineOf(printed, 'fct_orders')).toMatch(
      new RegExp(
        `^fct_orders +never +- +- +failed +${fct.lastOutcomeAt?.slice(0, 16).replace('T', ' ')} +UpstreamNotBuiltError: \\w+ has never been built`,
      ),
    );
  }, 120_000);

  it('after a full build, a failure of one model: failed with the database message, its descendants skipped naming it, the old table still counted', async () => {
    expect((await refresh({ fullRefresh: true })).status).toBe('SUCCEEDED');
    const built = modelOf((await localStatus(app)).models, 'fct_orders');
    expect(built).toMatchObject({ lastStatus: 'success', lastError: null });
    expect(built.lastSuccess).not.toBeNull();

    app.stack.dataApi.failStatements({
      match: (s) => (s.statementName ?? '').endsWith(':build:fct_orders'),
      error: 'ERROR: could not complete because of a simulated disk failure',
    });
    const failedRun = await refresh({ fullRefresh: true });
    expect(failedRun.status).toBe('FAILED');
    const report = await localStatus(app);
    const fct = modelOf(report.models, 'fct_orders');
    expect(fct).toMatchObject({
      lastStatus: 'failed',
      lastRunId: failedRun.name,
      lastSuccess: built.lastSuccess,
    });
    expect(fct.lastError).toMatch(/simulated disk failure/);
    expect(Date.parse(fct.lastOutcomeAt ?? '')).toBeGreaterThan(Date.parse(built.lastOutcomeAt ?? ''));
    const clv = modelOf(report.models, 'customer_lifetime_value');
    expect(clv).toMatchObject({ lastStatus: 'skipped', lastRunId: failedRun.name });
    expect(clv.lastError).toMatch(/^upstream fct_orders failed/);
    expect(modelOf(report.models, 'dim_customers')).toMatchObject({ lastStatus: 'success' });

    const printed = formatStatus(report);
    expect(lineOf(printed, 'fct_orders')).toMatch(
      / failed +\d{4}-\d\d-\d\d \d\d:\d\d +.*simulated disk failure/,
    );
    expect(lineOf(printed, 'customer_lifetime_value')).toMatch(
      / skipped +\d{4}-\d\d-\d\d \d\d:\d\d +upstream fct_orders failed/,
    );
  }, 180_000);
});
