import { parseWarehouseTimestamp } from '../../shared/warehouse/timestamp.js';

/**
 * A refresh run as a timeline (Gantt chart of model builds) from its run log rows: queued from the
 * execution start until the build was submitted, running until it committed; deferred / unchanged /
 * skipped models as zero-length markers. Rendered as a Mermaid gantt (for Markdown) or a plain SVG.
 */

export interface TimelineRow {
  model: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface Timeline {
  runId: string;
  start: Date;
  rows: TimelineRow[];
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function seconds(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

export function timelineMermaid(timeline: Timeline): string {
  const lines = [
    'gantt',
    `  title curated refresh ${timeline.runId}`,
    '  dateFormat X',
    '  axisFormat %M:%S',
  ];
  const sorted = [...timeline.rows].sort(
    (a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.model < b.model ? -1 : 1),
  );
  for (const row of sorted) {
    const start = Math.round(seconds(timeline.start, row.startedAt));
    const end = Math.max(start + 1, Math.round(seconds(timeline.start, row.finishedAt ?? row.startedAt)));
    const tag = row.status === 'failed' ? 'crit, ' : row.status === 'success' ? 'done, ' : '';
    lines.push(`  section ${row.model}`);
    if (row.status === 'success' || row.status === 'failed') {
      if (start > 0) lines.push(`    queued :${row.model}_q, 0, ${start}`);
      lines.push(
        `    ${row.status === 'success' ? 'built' : 'failed'} :${tag}${row.model}_b, ${start}, ${end}`,
      );
    } else {
      lines.push(`    ${row.status} :milestone, ${row.model}_m, ${start}, ${start}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<string, string> = {
  success: '#3b8f4a',
  failed: '#c0392b',
  deferred: '#d4a017',
  skipped: '#8e8e8e',
  unchanged: '#7aa6d8',
  within_tolerance: '#9b7ad8',
  queued: '#d9d9d9',
};

export function timelineSvg(timeline: Timeline): string {
  const rows = [...timeline.rows].sort(
    (a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.model < b.model ? -1 : 1),
  );
  const end = Math.max(1, ...rows.map((r) => seconds(timeline.start, r.finishedAt ?? r.startedAt)));
  const labelWidth = 210;
  const chartWidth = 640;
  const rowHeight = 22;
  const top = 40;
  const height = top + rows.length * rowHeight + 40;
  const x = (s: number) => labelWidth + (s / end) * chartWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 20}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>curated refresh ${escapeXml(timeline.runId)}: build timeline</title>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">curated refresh ${escapeXml(timeline.runId)} (${end.toFixed(1)} s)</text>`,
  ];
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const start = seconds(timeline.start, row.startedAt);
    const stop = seconds(timeline.start, row.finishedAt ?? row.startedAt);
    parts.push(`<text x="10" y="${y + 15}">${escapeXml(row.model)}</text>`);
    if (row.status === 'success' || row.status === 'failed') {
      parts.push(
        `<rect x="${x(0)}" y="${y + 4}" width="${Math.max(0, x(start) - x(0))}" height="14" fill="${COLORS.queued}"><title>queued</title></rect>`,
      );
      parts.push(
        `<rect x="${x(start)}" y="${y + 4}" width="${Math.max(2, x(stop) - x(start))}" height="14" fill="${COLORS[row.status]}"><title>${escapeXml(`${row.model}: ${row.status}, ${(stop - start).toFixed(1)} s`)}</title></rect>`,
      );
    } else {
      parts.push(
        `<circle cx="${x(start)}" cy="${y + 11}" r="5" fill="${COLORS[row.status] ?? '#000'}"><title>${escapeXml(`${row.model}: ${row.status}`)}</title></circle>`,
      );
    }
  });
  const legendY = top + rows.length * rowHeight + 20;
  Object.entries(COLORS).forEach(([status, color], i) => {
    parts.push(
      `<rect x="${10 + i * 125}" y="${legendY}" width="10" height="10" fill="${color}"/><text x="${24 + i * 125}" y="${legendY + 9}">${status}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Rows of `zeo.run_log` for one run (times as the Data API returns them, UTC text). */
export function timelineFromRunLog(
  runId: string,
  start: Date,
  rows: readonly Record<string, unknown>[],
): Timeline {
  return {
    runId,
    start,
    rows: rows.map((r) => ({
      model: String(r.model),
      status: String(r.status),
      startedAt: parseWarehouseTimestamp(r.started_at) ?? start,
      finishedAt: parseWarehouseTimestamp(r.finished_at),
    })),
  };
}
