import { z } from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import type { Notification, Notifier } from '../../shared/notify/notifier.js';
import { RefreshContext } from '../../shared/refresh/dispatch-state.js';
import { runOutcomesSql } from '../../shared/refresh/run-log.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';
import { selectedModels } from '../plan-refresh/core.js';

export const SummarizeRefreshEvent = z.strictObject({ refresh: RefreshContext });

interface ModelOutcome {
  model: string;
  rows?: number;
  reason?: string;
}

/** Keeps the execution output far below 256 KiB whatever the DAG size; counts are always exact. */
const LIST_LIMIT = 200;

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
  truncated: boolean;
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
  const seen = new Set<string>();
  for (const row of rows) {
    const status = String(row.status) as keyof typeof lists;
    const model = String(row.model);
    if (!(status in lists)) continue;
    seen.add(model);
    lists[status].push({
      model,
      ...(typeof row.rows_affected === 'number' ? { rows: row.rows_affected } : {}),
      ...(row.error ? { reason: String(row.error) } : {}),
    });
  }
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
    built: lists.success.slice(0, LIST_LIMIT),
    failed: lists.failed.slice(0, LIST_LIMIT),
    deferred: lists.deferred.slice(0, LIST_LIMIT),
    skipped: lists.skipped.slice(0, LIST_LIMIT),
    unchanged: lists.unchanged.slice(0, LIST_LIMIT),
    withinTolerance: lists.within_tolerance.slice(0, LIST_LIMIT),
    missing: missing.slice(0, LIST_LIMIT),
    truncated: Object.values(lists).some((l) => l.length > LIST_LIMIT) || missing.length > LIST_LIMIT,
  };
  await deps.notifier.notify(notificationsFor(summary));
  return summary;
}

function notificationsFor(summary: RefreshSummary): Notification[] {
  const base = { runId: summary.runId, trigger: summary.trigger };
  const notifications: Notification[] = summary.built.map((b) => ({
    detailType: 'Curated Table Refreshed',
    severity: 'info',
    subject: `${b.model} refreshed`,
    detail: { ...base, model: b.model, rows: b.rows ?? null },
  }));
  const counts = { ...base, counts: summary.counts };
  if (summary.status === 'failed') {
    notifications.push({
      detailType: 'Curated Refresh Failed',
      severity: 'error',
      subject: `curated refresh ${summary.runId}: ${summary.counts.failed + summary.counts.missing} model(s) failed`,
      detail: { ...counts, failed: summary.failed, missing: summary.missing, skipped: summary.skipped },
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
