import * as z from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { truncateText } from '../../shared/notify/bounded.js';
import type { Notification, Notifier } from '../../shared/notify/notifier.js';
import { RefreshContext } from '../../shared/refresh/dispatch-state.js';
import { type FailureReport, failureReport } from '../../shared/refresh/failure-report.js';
import { driftInError } from '../../shared/refresh/schema-drift.js';
import { selectedModels } from '../../shared/refresh/selection.js';
import { runTestResultsSql } from '../../shared/sql/audits.js';
import { runLogQuery, runOutcomesSql } from '../../shared/sql/run-log.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const SummarizeRefreshEvent = z.strictObject({ refresh: RefreshContext });

interface ModelOutcome {
  model: string;
  rows?: number;
  reason?: string;
}

/** At most this many entries per list; counts are always exact. */
const LIST_LIMIT = 200;
/** Characters of a reason in the summary (the run log keeps it whole, up to 4,000). */
export const SUMMARY_REASON_CHARS = 300;
/**
 * The summary is the execution's output and SummarizeRefresh's result: Step Functions fails an
 * execution whose state output passes 256 KiB with States.DataLimitExceeded, which no Catch catches
 * (developer guide, "Step Functions service quotas": 256 KiB of input or output per state). Lists
 * shrink until the JSON fits this budget, a quarter of the limit, so the ASL's own fields fit beside it.
 */
export const SUMMARY_MAX_BYTES = 64 * 1024;

export interface RefreshSummary {
  runId: string;
  trigger: string;
  status: 'succeeded' | 'failed';
  counts: {
    selected: number;
    built: number;
    failed: number;
    deferred: number;
    skipped: number;
    unchanged: number;
    withinTolerance: number;
    missing: number;
  };
  built: ModelOutcome[];
  failed: ModelOutcome[];
  deferred: ModelOutcome[];
  skipped: ModelOutcome[];
  /** Not rebuilt because nothing they are built from changed (or it may wait: lag_tolerance). */
  unchanged: ModelOutcome[];
  withinTolerance: ModelOutcome[];
  /** Selected models without any recorded outcome (a build lost to a crash): treated as failed. */
  missing: string[];
  /** Whether a list or a reason was cut; the counts are exact and `runLog` has everything. */
  truncated: boolean;
  /** Where the whole outcome of every model is. */
  runLog: string;
  /**
   * When the refresh failed: why, as JSON text (a FailureReport, at most 8 KiB) — the Cause of the
   * execution's Fail state, so the console and `zeo run` show it without querying the warehouse.
   */
  failure?: string;
}

/** Reads the run's outcomes (one query), announces them and returns the summary shown in the console. */
export async function summarizeRefresh(
  { refresh: event }: z.infer<typeof SummarizeRefreshEvent>,
  deps: { index: IndexedManifest; warehouse: WarehousePort; notifier: Pick<Notifier, 'notify'> },
): Promise<RefreshSummary> {
  const selected = selectedModels(deps.index, event);
  const rows = await deps.warehouse.query(runOutcomesSql(event.runId), {
    statementName: `zeo:${event.runId}:summary`,
  });

  const lists: Record<
    'success' | 'failed' | 'deferred' | 'skipped' | 'unchanged' | 'within_tolerance',
    ModelOutcome[]
  > = {
    success: [],
    failed: [],
    deferred: [],
    skipped: [],
    unchanged: [],
    within_tolerance: [],
  };
  const full: { failed: ModelOutcome[] } = { failed: [] };
  const seen = new Set<string>();
  for (const row of rows) {
    const status = String(row.status) as keyof typeof lists;
    const model = String(row.model);
    if (!(status in lists)) continue;
    seen.add(model);
    if (status === 'failed') full.failed.push({ model, reason: String(row.error ?? '') });
    lists[status].push({
      model,
      ...(typeof row.rows_affected === 'number' ? { rows: row.rows_affected } : {}),
      ...(row.error ? { reason: truncateText(String(row.error), SUMMARY_REASON_CHARS) } : {}),
    });
  }
  // Only a published model with tests can have warned: a refresh of untested models reads nothing more.
  const tested = new Set(deps.index.manifest.models.filter((m) => m.audits.length > 0).map((m) => m.name));
  const warnings = lists.success.some((b) => tested.has(b.model))
    ? await testWarnings(event.runId, deps.warehouse)
    : new Map<string, TestWarning[]>();
  const missing = [...selected].filter((m) => !seen.has(m)).sort();
  const failedCount = lists.failed.length + missing.length;
  const summary: RefreshSummary = {
    runId: event.runId,
    trigger: event.trigger,
    status: failedCount > 0 ? 'failed' : 'succeeded',
    counts: {
      selected: selected.size,
      built: lists.success.length,
      failed: lists.failed.length,
      deferred: lists.deferred.length,
      skipped: lists.skipped.length,
      unchanged: lists.unchanged.length,
      withinTolerance: lists.within_tolerance.length,
      missing: missing.length,
    },
    built: lists.success,
    failed: lists.failed,
    deferred: lists.deferred,
    skipped: lists.skipped,
    unchanged: lists.unchanged,
    withinTolerance: lists.within_tolerance,
    missing,
    truncated: rows.some((r) => typeof r.error === 'string' && r.error.length > SUMMARY_REASON_CHARS),
    runLog: runLogQuery(event.runId),
  };
  // The report reads the whole errors (the summary's reasons are cut), so the failing statement stays.
  const report = failureReport({
    ...summary,
    failed: full.failed,
    skipped: lists.skipped,
    deferred: lists.deferred,
  });
  const bounded = boundSummary(summary);
  if (summary.status === 'failed') bounded.failure = JSON.stringify(report);
  await deps.notifier.notify([
    ...driftNotifications(event.runId, full.failed),
    ...notificationsFor(bounded, report, warnings),
  ]);
  return bounded;
}

const LISTS = ['built', 'failed', 'deferred', 'skipped', 'unchanged', 'withinTolerance', 'missing'] as const;

/** The lists cut to LIST_LIMIT, then halved (the failures last) until the JSON fits SUMMARY_MAX_BYTES. */
export function boundSummary(full: RefreshSummary): RefreshSummary {
  const limits = Object.fromEntries(LISTS.map((k) => [k, LIST_LIMIT])) as Record<
    (typeof LISTS)[number],
    number
  >;
  const cut = (): RefreshSummary => {
    const out: RefreshSummary = { ...full };
    for (const k of LISTS) (out as unknown as Record<string, unknown[]>)[k] = full[k].slice(0, limits[k]);
    out.truncated = full.truncated || LISTS.some((k) => full[k].length > limits[k]);
    return out;
  };
  let summary = cut();
  // What a person needs first stays longest: failures, then what was skipped or deferred because of them.
  const order = [
    'unchanged',
    'withinTolerance',
    'built',
    'deferred',
    'skipped',
    'missing',
    'failed',
  ] as const;
  while (Buffer.byteLength(JSON.stringify(summary)) > SUMMARY_MAX_BYTES) {
    const k = order.find((name) => limits[name] > 0 && summary[name].length > 0);
    if (k === undefined) break;
    limits[k] = Math.floor(Math.min(limits[k], summary[k].length) / 2);
    summary = cut();
  }
  return summary;
}

/** A test that warned (or was skipped) in a build that published, as its event names it. */
export interface TestWarning {
  test: string;
  status: 'warned' | 'skipped';
  offending: number | null;
  sample: string;
}

/** Most warnings named per model in its event, each sample already bounded by the procedure. */
const WARNINGS_PER_MODEL = 10;

/** The run's warned and skipped tests by model (their builds published; failing ones rolled back). */
async function testWarnings(runId: string, warehouse: WarehousePort): Promise<Map<string, TestWarning[]>> {
  const rows = await warehouse.query(runTestResultsSql(runId), { statementName: `zeo:${runId}:tests` });
  const byModel = new Map<string, TestWarning[]>();
  for (const row of rows) {
    const list = byModel.get(String(row.model)) ?? [];
    if (list.length < WARNINGS_PER_MODEL)
      list.push({
        test: String(row.test),
        status: row.status === 'skipped' ? 'skipped' : 'warned',
        offending: row.offending === null || row.offending === undefined ? null : Number(row.offending),
        sample: truncateText(String(row.sample ?? ''), SUMMARY_REASON_CHARS),
      });
    byModel.set(String(row.model), list);
  }
  return byModel;
}

/** Most drift events one refresh sends: a rename can break many models at once; the report lists them all. */
const DRIFT_EVENTS = 20;

/**
 * One `Curated Model Schema Drift` per model whose build failed because an input it reads no longer
 * exists in the landing zone: the model, the landing relation, the missing name and the database's error.
 */
function driftNotifications(runId: string, failed: readonly ModelOutcome[]): Notification[] {
  return failed
    .flatMap((f) => {
      const drift = driftInError(f.reason ?? '');
      if (!drift) return [];
      return [
        {
          detailType: 'Curated Model Schema Drift' as const,
          severity: 'error' as const,
          subject: `${f.model}: ${drift.missing} is gone from the landing zone (${drift.relation})`,
          detail: {
            runId,
            model: f.model,
            relation: drift.relation,
            missing: drift.missing,
            error: truncateText(f.reason ?? '', SUMMARY_REASON_CHARS),
          },
        },
      ];
    })
    .slice(0, DRIFT_EVENTS);
}

function notificationsFor(
  summary: RefreshSummary,
  report: FailureReport,
  warnings: ReadonlyMap<string, TestWarning[]>,
): Notification[] {
  const base = { runId: summary.runId, trigger: summary.trigger };
  const notifications: Notification[] = summary.built.map((b) => {
    const tests = warnings.get(b.model);
    return {
      detailType: 'Curated Table Refreshed',
      severity: tests?.some((t) => t.status === 'warned') ? 'warning' : 'info',
      subject: `${b.model} refreshed${tests?.some((t) => t.status === 'warned') ? ', with test warnings' : ''}`,
      detail: { ...base, model: b.model, rows: b.rows ?? null, ...(tests ? { warnings: tests } : {}) },
    };
  });
  const counts = { ...base, counts: summary.counts };
  if (summary.status === 'failed') {
    notifications.push({
      detailType: 'Curated Refresh Failed',
      severity: 'error',
      subject: `curated refresh ${summary.runId}: ${summary.counts.failed + summary.counts.missing} model(s) failed`,
      detail: {
        ...counts,
        report,
        failed: summary.failed,
        missing: summary.missing,
        skipped: summary.skipped,
      },
    });
  } else {
    notifications.push({
      detailType: 'Curated Refresh Completed',
      severity: 'info',
      subject: `curated refresh ${summary.runId}: ${summary.counts.built} model(s) built`,
      detail: counts,
    });
  }
  if (summary.counts.deferred > 0) {
    notifications.push({
      detailType: 'Curated Models Deferred',
      severity: 'warning',
      subject: `curated refresh ${summary.runId}: ${summary.counts.deferred} model(s) deferred`,
      detail: { ...base, deferred: summary.deferred },
    });
  }
  return notifications;
}
