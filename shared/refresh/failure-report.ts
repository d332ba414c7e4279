import * as z from 'zod';
import { truncateText } from '../notify/bounded.js';

/**
 * Why a refresh failed, short enough for a Fail state's Cause (what the Step Functions console and
 * `zeo run` show first) and for a notification: each failed model with its error class (the ASL
 * vocabulary), the database's message (first line) and the statement that failed; each skipped model
 * with the failed upstream it waited on; each deferred model with its landing table and its state.
 * The run log keeps everything; `runLog` is the query.
 */

/** Characters of a failure message in the report (first line only). */
export const REPORT_MESSAGE_CHARS = 300;
/** Characters of the failing statement shown (its beginning). */
export const REPORT_STATEMENT_CHARS = 160;
/** Entries per list; the counts are exact. */
export const REPORT_LIST_ITEMS = 20;
/**
 * The report's JSON stays within this: a Fail state's Cause is at most 32,768 characters
 * (Step Functions API reference, DescribeExecution `cause`: "Length Constraints: Minimum length of 0.
 * Maximum length of 32768"), and it travels beside other fields in notifications.
 */
export const REPORT_MAX_BYTES = 8 * 1024;

/** Marks, in a run log error, the statement of a build batch that failed (recorded by the dispatcher). */
export const STATEMENT_MARKER = '\n[statement ';

export const FailedModel = z.strictObject({
  model: z.string(),
  error: z.string(),
  message: z.string(),
  statement: z.string().optional(),
});
export const SkippedModel = z.strictObject({ model: z.string(), upstream: z.string() });
export const DeferredModel = z.strictObject({
  model: z.string(),
  reason: z.string(),
  table: z.string().optional(),
  state: z.string().optional(),
});

export const FailureReport = z.strictObject({
  message: z.string(),
  /** The refresh's counts (built, failed, skipped, deferred, …), exact. */
  counts: z.record(z.string(), z.number()),
  failed: z.array(FailedModel),
  skipped: z.array(SkippedModel),
  deferred: z.array(DeferredModel),
  /** How many entries each list left out. */
  omitted: z.strictObject({ failed: z.number(), skipped: z.number(), deferred: z.number() }),
  runLog: z.string(),
});
export type FailureReport = z.infer<typeof FailureReport>;
export type FailedModel = z.infer<typeof FailedModel>;

/** The run log's error text of a failed model, split into class, first line and failing statement. */
export function explainFailure(model: string, text: string): FailedModel {
  const [head = '', ...rest] = text.split(STATEMENT_MARKER);
  const statement = rest.length > 0 ? `[statement ${rest.join(STATEMENT_MARKER)}` : undefined;
  const classed = /^([A-Z][A-Za-z]*(?:Error|Exception)): ([\s\S]*)$/.exec(head);
  // A database failure is recorded with the Data API's status first (`FAILED: ERROR: …`).
  const error = classed?.[1] ?? 'WarehouseStatementError';
  const message = (classed?.[2] ?? head).split('\n')[0] ?? '';
  return {
    model,
    error,
    message: truncateText(message.trim(), REPORT_MESSAGE_CHARS),
    // The marker's "[statement i of n] " comes on top of the statement's own characters.
    ...(statement
      ? { statement: truncateText(statement.split('\n')[0] ?? '', REPORT_STATEMENT_CHARS + 40) }
      : {}),
  };
}

/** `upstream dim_customers failed` → dim_customers. */
export function upstreamOf(reason: string): string {
  return /^upstream (\S+) failed/.exec(reason)?.[1] ?? reason;
}

/** `source public.orders is ResyncRequired` → the table and its state (none when not replicated). */
export function deferredOf(model: string, reason: string): z.infer<typeof DeferredModel> {
  const notSynced = /^source (\S+) is (\S+)$/.exec(reason);
  if (notSynced) return { model, reason, table: notSynced[1] ?? '', state: notSynced[2] ?? '' };
  const noState = /^source (\S+) has no replication state/.exec(reason);
  if (noState) return { model, reason, table: noState[1] ?? '', state: 'no replication state' };
  return { model, reason };
}

export interface ReportInput {
  counts: { selected: number; failed: number; skipped: number; deferred: number; missing: number } & Record<
    string,
    number
  >;
  failed: readonly { model: string; reason?: string }[];
  skipped: readonly { model: string; reason?: string }[];
  deferred: readonly { model: string; reason?: string }[];
  missing: readonly string[];
  runLog: string;
}

/** The report of a refresh outcome (a summary's lists), bounded to REPORT_MAX_BYTES. */
export function failureReport(outcome: ReportInput): FailureReport {
  const failed = [
    ...outcome.failed.map((f) => explainFailure(f.model, f.reason ?? '')),
    ...outcome.missing.map((model) => ({
      model,
      error: 'MissingOutcome',
      message: 'no outcome was recorded (its build was lost, e.g. to a crash); the next refresh builds it',
    })),
  ];
  const skipped = outcome.skipped.map((s) => ({ model: s.model, upstream: upstreamOf(s.reason ?? '') }));
  const deferred = outcome.deferred.map((d) => deferredOf(d.model, d.reason ?? ''));
  const totals = {
    failed: outcome.counts.failed + outcome.counts.missing,
    skipped: outcome.counts.skipped,
    deferred: outcome.counts.deferred,
  };
  const parts = [
    totals.failed > 0 ? `${totals.failed} of ${outcome.counts.selected} model(s) failed` : undefined,
    totals.skipped > 0 ? `${totals.skipped} skipped because of them` : undefined,
    totals.deferred > 0 ? `${totals.deferred} deferred (landing tables not Synced)` : undefined,
  ].filter((p): p is string => p !== undefined);
  let limit = REPORT_LIST_ITEMS;
  for (;;) {
    const report: FailureReport = {
      message: parts.join(', ') || 'nothing failed',
      counts: outcome.counts,
      failed: failed.slice(0, limit),
      skipped: skipped.slice(0, limit),
      deferred: deferred.slice(0, limit),
      omitted: {
        failed: totals.failed - Math.min(limit, failed.length),
        skipped: totals.skipped - Math.min(limit, skipped.length),
        deferred: totals.deferred - Math.min(limit, deferred.length),
      },
      runLog: outcome.runLog,
    };
    if (Buffer.byteLength(JSON.stringify(report)) <= REPORT_MAX_BYTES || limit === 0) return report;
    limit = Math.floor(limit / 2);
  }
}

/** A Fail state's Cause read back as a report, or undefined when it is some other text. */
export function parseFailureReport(cause: string | undefined): FailureReport | undefined {
  if (!cause?.startsWith('{')) return undefined;
  try {
    const parsed = FailureReport.safeParse(JSON.parse(cause));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The refresh report carried by a failure's Cause: the refresh's own Fail cause, or — for a recovery
 * whose rebuild failed — the cause of a failed `startExecution.sync` task, which is the child's
 * DescribeExecution as JSON (`ExecutionArn`, `Status`, `Error`, `Cause`…) with the child's own Cause
 * inside. Anything else (a plain text cause, a start that never ran) has no report.
 */
// AWS-ASSUMPTION: sync-child-failure-cause
export function reportInCause(cause: string | undefined): FailureReport | undefined {
  const own = parseFailureReport(cause);
  if (own || !cause?.startsWith('{')) return own;
  try {
    const child = JSON.parse(cause) as { Cause?: unknown };
    return typeof child.Cause === 'string' ? parseFailureReport(child.Cause) : undefined;
  } catch {
    return undefined;
  }
}
