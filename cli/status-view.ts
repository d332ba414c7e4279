import { truncateText } from '../shared/notify/bounded.js';
import type { StatusReport } from '../shared/status/report.js';
import { style } from './output.js';
import { table } from './table.js';

/** A reason is shown by its first line, cut to fit a terminal; `--json` and the run log keep it whole. */
const REASON_CHARS = 100;
const utcMinute = (iso: string | null): string | null => iso?.slice(0, 16).replace('T', ' ') ?? null;

/** `zeo status` as text: the integration, landing tables, each curated model's freshness and last outcome, running work. */
export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  const out = (line: string) => lines.push(line);
  const i = report.integration;
  out(style.bold('Integration'));
  out(
    i
      ? `  ${i.arn}\n  status: ${i.status}${i.errors.length ? ` (${i.errors.map((e) => e.code).join(', ')})` : ''}`
      : '  not found',
  );
  out(style.bold('\nLanding tables'));
  out(
    `  ${Object.entries(report.tables.counts)
      .map(([state, n]) => `${state}: ${n}`)
      .join(', ')}`,
  );
  for (const t of report.tables.notSynced) out(`  ${style.red('•')} ${t.table} ${t.state}: ${t.reason}`);
  out(style.bold('\nCurated models'));
  out(
    table(
      ['model', 'last success (UTC)', 'age (min)', 'rows', 'last outcome', 'at (UTC)', 'reason'],
      report.models.map((m) => [
        m.model,
        utcMinute(m.lastSuccess) ?? 'never',
        m.ageMinutes ?? '-',
        m.rows ?? '-',
        m.lastStatus ?? '-',
        utcMinute(m.lastOutcomeAt) ?? '-',
        m.lastError ? truncateText(m.lastError.split('\n')[0] ?? '', REASON_CHARS) : '',
      ]),
    ),
  );
  out(style.bold('\nRunning executions'));
  if (report.running.length === 0) out('  none');
  for (const r of report.running) out(`  ${r.stateMachine} ${r.name} since ${r.started}`);
  return lines.join('\n');
}
