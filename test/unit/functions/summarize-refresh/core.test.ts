import { describe, expect, it } from 'vitest';
import { SUMMARY_REASON_CHARS, summarizeRefresh } from '../../../../functions/summarize-refresh/core.js';
import type { Notification } from '../../../../shared/notify/notifier.js';
import type { Row } from '../../../../shared/warehouse/warehouse.js';
import { fakeWarehouse, shopIndex } from '../../../helpers/fake-ports.js';

/**
 * summarizeRefresh over a fake warehouse answering the run's outcomes and a recording notifier: a
 * selected model without any outcome counts as failed (missing), the failure report keeps whole
 * errors, the notifications sent for a success, a failure and deferred models, and rows of another
 * status are left out. (Size bounds: test/unit/functions/summarize-refresh/on-local-stack.test.ts.)
 */

const index = shopIndex();
const refresh = (fields: { select?: string; group?: string } = {}) => ({
  runId: 'r-1',
  trigger: 'schedule',
  startedAt: '2026-12-03T10:00:00.000Z',
  fullRefresh: false,
  maxConcurrency: 8,
  ...fields,
});

async function summarize(rows: Row[], fields: { select?: string; group?: string } = {}) {
  const sent: Notification[] = [];
  const wh = fakeWarehouse({ query: () => rows });
  const summary = await summarizeRefresh(
    { refresh: refresh(fields) },
    { index, warehouse: wh.port, notifier: { notify: async (n) => void sent.push(...n) } },
  );
  return { summary, sent, wh };
}

const success = (model: string, rows_affected: number | null = 5): Row => ({
  model,
  status: 'success',
  rows_affected,
  error: null,
});

describe('summarizeRefresh', () => {
  it('every selected model built: succeeded, one notification per model and one Completed', async () => {
    const { summary, sent, wh } = await summarize(
      ['dim_customers', 'dim_products'].map((m) => success(m)),
      { select: 'dim_customers dim_products' },
    );
    expect(wh.sent[0]?.options.statementName).toBe('zeo:r-1:summary');
    expect(summary).toMatchObject({
      status: 'succeeded',
      missing: [],
      counts: { selected: 2, built: 2, failed: 0 },
    });
    expect(summary.failure).toBeUndefined();
    expect(sent.map((n) => [n.detailType, n.subject])).toEqual([
      ['Curated Table Refreshed', 'dim_customers refreshed'],
      ['Curated Table Refreshed', 'dim_products refreshed'],
      ['Curated Refresh Completed', 'curated refresh r-1: 2 model(s) built'],
    ]);
    expect(sent[0]?.detail).toMatchObject({ model: 'dim_customers', rows: 5, runId: 'r-1' });
  });

  it('a selected model with no recorded outcome is missing and fails the refresh', async () => {
    const { summary, sent } = await summarize([success('dim_customers')], {
      select: 'dim_customers dim_products',
    });
    expect(summary).toMatchObject({
      status: 'failed',
      missing: ['dim_products'],
      counts: { failed: 0, missing: 1 },
    });
    const failed = sent.find((n) => n.detailType === 'Curated Refresh Failed');
    expect(failed?.subject).toBe('curated refresh r-1: 1 model(s) failed');
    expect(JSON.parse(summary.failure ?? '{}').failed).toEqual([
      expect.objectContaining({ model: 'dim_products', error: 'MissingOutcome' }),
    ]);
  });

  it('a failure: the summary cuts the reason; the report in `failure` and the notification, read from the whole error, keep the failing statement', async () => {
    const error = `FAILED: ERROR: division by zero ${'x'.repeat(400)}\n[statement 2 of 3] INSERT INTO "reporting"."dim_products"`;
    const { summary, sent } = await summarize(
      [success('dim_customers'), { model: 'dim_products', status: 'failed', rows_affected: null, error }],
      { select: 'dim_customers dim_products' },
    );
    expect(summary.status).toBe('failed');
    expect(summary.truncated).toBe(true);
    expect(summary.failed[0]?.reason?.length).toBeLessThanOrEqual(SUMMARY_REASON_CHARS);
    const report = JSON.parse(summary.failure ?? '{}');
    expect(report.failed[0]).toMatchObject({
      model: 'dim_products',
      error: 'WarehouseStatementError',
      message: expect.stringMatching(/^FAILED: ERROR: division by zero/),
      statement: '[statement 2 of 3] INSERT INTO "reporting"."dim_products"',
    });
    expect(summary.failed[0]?.reason).not.toContain('[statement');
    const notified = sent.find((n) => n.detailType === 'Curated Refresh Failed');
    expect(notified?.detail.report).toEqual(report);
    expect(sent.some((n) => n.detailType === 'Curated Refresh Completed')).toBe(false);
  });

  it('deferred models get a warning of their own; the refresh still succeeds', async () => {
    const { summary, sent } = await summarize(
      [
        success('dim_customers'),
        {
          model: 'dim_products',
          status: 'deferred',
          rows_affected: null,
          error: 'source public.products is ResyncInitiated',
        },
      ],
      { select: 'dim_customers dim_products' },
    );
    expect(summary).toMatchObject({ status: 'succeeded', counts: { deferred: 1 } });
    const warning = sent.find((n) => n.detailType === 'Curated Models Deferred');
    expect(warning).toMatchObject({
      severity: 'warning',
      subject: 'curated refresh r-1: 1 model(s) deferred',
    });
    expect(warning?.detail.deferred).toEqual([
      { model: 'dim_products', reason: 'source public.products is ResyncInitiated' },
    ]);
  });

  it('unchanged and within-tolerance models count as outcomes; a row of another status is ignored (then missing)', async () => {
    const { summary } = await summarize(
      [
        { model: 'dim_customers', status: 'unchanged', rows_affected: null, error: 'sources unchanged' },
        { model: 'dim_products', status: 'started', rows_affected: null, error: null },
      ],
      { select: 'dim_customers dim_products' },
    );
    expect(summary.counts).toMatchObject({ unchanged: 1, built: 0, missing: 1 });
    expect(summary.missing).toEqual(['dim_products']);
    const tolerated = await summarize(
      [
        { model: 'dim_customers', status: 'within_tolerance', rows_affected: null, error: null },
        success('dim_products', null),
      ],
      { select: 'dim_customers dim_products' },
    );
    expect(tolerated.summary).toMatchObject({
      status: 'succeeded',
      counts: { withinTolerance: 1, built: 1 },
    });
    expect(tolerated.summary.built).toEqual([{ model: 'dim_products' }]);
  });

  it('only the selection counts: a model outside it is never missing', async () => {
    const { summary } = await summarize([success('fct_orders')], { select: 'fct_orders' });
    expect(summary).toMatchObject({ status: 'succeeded', counts: { selected: 1, missing: 0 } });
  });
});
