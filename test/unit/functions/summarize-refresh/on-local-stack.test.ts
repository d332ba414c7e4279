import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boundSummary,
  SUMMARY_MAX_BYTES,
  SUMMARY_REASON_CHARS,
  summarizeRefresh,
} from '../../../../functions/summarize-refresh/core.js';
import { indexManifest } from '../../../../shared/graph/plan.js';
import type { Notification } from '../../../../shared/notify/notifier.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { readProjectSources } from '../../../../shared/project/load.js';
import type { Row, WarehousePort } from '../../../../shared/warehouse/warehouse.js';
import { writeDagProject } from '../../../helpers/dag-project.js';

/**
 * The refresh summary is the execution's output: bounded by construction, whatever the project size
 * and the failures. Step Functions fails an execution whose state output passes 256 KiB
 * (States.DataLimitExceeded, not catchable); the bar is half of that.
 */

const MODELS = 500;
const HALF_OF_256_KIB = 128 * 1024;
let project: ReturnType<typeof writeDagProject>;
let index: ReturnType<typeof indexManifest>;

beforeAll(() => {
  const names = Array.from(
    { length: MODELS },
    (_, i) => `a_rather_long_curated_model_name_${String(i).padStart(4, '0')}`,
  );
  project = writeDagProject(Object.fromEntries(names.map((n) => [n, []])));
  index = indexManifest(compileProject(readProjectSources(project.dir)));
});
afterAll(() => project?.remove());

const refresh = {
  runId: 'every-model-fails',
  trigger: 'manual' as const,
  startedAt: '2026-12-03T00:00:00.000Z',
  fullRefresh: false,
  maxConcurrency: 10,
};

function warehouseAnswering(rows: Row[]): WarehousePort {
  const unused = () => Promise.reject(new Error('not used by the summary'));
  return {
    query: async () => rows as never,
    runTransaction: unused,
    runStatement: unused,
    submitTransaction: unused,
    describe: unused,
    cancel: unused,
    listStatements: unused,
  } satisfies WarehousePort;
}

describe('SummarizeRefresh output at any size', () => {
  it(`every one of ${MODELS} models failed with a 4,000-character error: the summary stays under half of 256 KiB, counts exact`, async () => {
    const error = `ERROR: ${'value too long for type character varying(16) '.repeat(100)}`.slice(0, 4000);
    const rows = index.manifest.models.map((m) => ({
      model: m.name,
      status: 'failed',
      rows_affected: null,
      error,
    }));
    const sent: Notification[] = [];
    const summary = await summarizeRefresh(
      { refresh },
      { index, warehouse: warehouseAnswering(rows), notifier: { notify: async (n) => void sent.push(...n) } },
    );
    const bytes = Buffer.byteLength(JSON.stringify(summary));
    expect(bytes).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(bytes).toBeLessThan(HALF_OF_256_KIB);
    expect(summary.status).toBe('failed');
    expect(summary.counts).toMatchObject({ selected: MODELS, failed: MODELS, missing: 0 });
    expect(summary.failed.length).toBeGreaterThan(0);
    expect(summary.failed.length).toBeLessThan(MODELS);
    expect(summary.truncated).toBe(true);
    expect(summary.runLog).toBe(
      "SELECT * FROM zeo.run_log WHERE run_id = 'every-model-fails' ORDER BY started_at",
    );
    for (const f of summary.failed) expect(f.reason?.length ?? 0).toBeLessThanOrEqual(SUMMARY_REASON_CHARS);
    expect(summary.failed[0]?.reason).toMatch(/… \(\d+ more characters\)$/);
    // The failure notification carries the same bounded lists.
    const failed = sent.find((n) => n.detailType === 'Curated Refresh Failed');
    expect(Buffer.byteLength(JSON.stringify(failed))).toBeLessThan(HALF_OF_256_KIB);
  });

  it('a small refresh is summarized whole', async () => {
    const rows = index.manifest.models
      .slice(0, 3)
      .map((m) => ({ model: m.name, status: 'success', rows_affected: 7, error: null }));
    const summary = await summarizeRefresh(
      {
        refresh: {
          ...refresh,
          select: index.manifest.models
            .slice(0, 3)
            .map((m) => m.name)
            .join(','),
        },
      },
      { index, warehouse: warehouseAnswering(rows), notifier: { notify: async () => undefined } },
    );
    expect(summary).toMatchObject({ status: 'succeeded', truncated: false, counts: { built: 3 } });
    expect(summary.built).toEqual(rows.map((r) => ({ model: r.model, rows: 7 })));
  });

  it('cuts what matters least first: unchanged before built, failures last', () => {
    const many = (n: number, reason: string) =>
      Array.from({ length: n }, (_, i) => ({ model: `m${i}`, reason }));
    const full = {
      runId: 'r',
      trigger: 'manual',
      status: 'failed' as const,
      counts: {
        selected: 0,
        built: 0,
        failed: 0,
        deferred: 0,
        skipped: 0,
        unchanged: 0,
        withinTolerance: 0,
        missing: 0,
      },
      built: many(150, 'b'.repeat(200)),
      failed: many(150, 'f'.repeat(300)),
      deferred: [],
      skipped: [],
      unchanged: many(200, 'u'.repeat(300)),
      withinTolerance: [],
      missing: [],
      truncated: false,
      runLog: '',
    };
    const bounded = boundSummary(full);
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(bounded.failed).toHaveLength(150);
    expect(bounded.unchanged.length).toBeLessThan(200);
    expect(bounded.truncated).toBe(true);
  });
});
