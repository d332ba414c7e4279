/** Number formatting for the generated report. */

export function n(value: number | undefined | null, digits = 0): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(value: number | undefined | null, digits = 2): string {
  return value === undefined || value === null || !Number.isFinite(value) ? 'n/a' : `${n(value, digits)}×`;
}

export function pct(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${n(value * 100, digits)} %` : 'n/a';
}

export function duration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return 'n/a';
  if (seconds < 120) return `${n(seconds, seconds < 10 ? 1 : 0)} s`;
  const minutes = seconds / 60;
  if (minutes < 120) return `${n(minutes, 1)} min`;
  return `${n(minutes / 60, 2)} h`;
}

export function usd(value: number, digits = 4): string {
  return Number.isFinite(value) ? `$${value.toFixed(digits)}` : 'n/a';
}

export const mark = (met: boolean | null): string => (met === null ? '—' : met ? '✅ met' : '❌ not met');

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `1 call`, `2 calls`. */
export function count(value: number, singular: string, plural = `${singular}s`): string {
  return `${n(value)} ${value === 1 ? singular : plural}`;
}
