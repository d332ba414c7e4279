/**
 * A Redshift TIMESTAMP as the Data API returns it: text such as `2026-12-03 18:20:01.123` with no zone
 * (the project's bookkeeping timestamps are GETDATE()/SYSDATE, which are UTC). Returns null for SQL NULL
 * or text that is not a timestamp, so a malformed value never becomes "Invalid Date" further on.
 */
export function parseWarehouseTimestamp(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const text = String(value).trim().replace(' ', 'T');
  if (text === '') return null;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}
