import {
  type FailureReport,
  failureReport,
  parseFailureReport,
  type ReportInput,
  reportInCause,
} from '../shared/refresh/failure-report.js';
import { style } from './output.js';
import { table } from './table.js';

/**
 * Why a run failed or built less than asked, for the first screen after `zeo run`: read from the
 * refresh's own report (its Fail state's Cause), from a refresh summary that succeeded with models
 * deferred, or from the failed rebuild a recovery started (a failed startExecution.sync task's Cause
 * is the child's DescribeExecution, with the child's Cause inside).
 */

export interface Executed {
  output?: unknown;
  cause?: string | null | undefined;
}

function isSummary(output: unknown): output is ReportInput & { failure?: string } {
  const o = output as Partial<ReportInput> | undefined;
  return typeof o?.counts === 'object' && Array.isArray(o.failed) && Array.isArray(o.deferred);
}

function fromExecution({ output, cause: given }: Executed): FailureReport | undefined {
  const cause = given ?? undefined;
  if (isSummary(output)) {
    const own = parseFailureReport(output.failure);
    if (own) return own;
    const c = output.counts;
    return c.failed + c.missing + c.skipped + c.deferred > 0 ? failureReport(output) : undefined;
  }
  return reportInCause(cause);
}

/** The first report found in a run and (in order) the executions it started or the causes it saw. */
export function reportOfRun(executions: readonly Executed[]): FailureReport | undefined {
  for (const execution of executions) {
    const report = fromExecution(execution);
    if (report) return report;
  }
  return undefined;
}

/** The report as a table: failed (class and message, then the statement), skipped, deferred. */
export function formatReport(report: FailureReport): string {
  const rows: string[][] = [];
  for (const f of report.failed) {
    rows.push([f.model, 'failed', `${f.error}: ${f.message}`]);
    if (f.statement) rows.push(['', '', `in ${f.statement}`]);
  }
  for (const s of report.skipped) rows.push([s.model, 'skipped', `upstream ${s.upstream} failed`]);
  for (const d of report.deferred)
    rows.push([d.model, 'deferred', d.table && d.state ? `${d.table} is ${d.state}` : d.reason]);
  const omitted = Object.entries(report.omitted)
    .filter(([, n]) => n > 0)
    .map(([list, n]) => `${n} more ${list}`);
  return [
    report.message,
    table(['model', 'outcome', 'why'], rows),
    ...(omitted.length > 0 ? [style.dim(`(${omitted.join(', ')}: see the run log)`)] : []),
    style.dim(`run log: ${report.runLog}`),
  ].join('\n');
}
