import { literal } from '../sql/identifiers.js';
import type { Row } from '../warehouse/warehouse.js';

/** A table entering a resync, from SYS_INTEGRATION_TABLE_STATE_CHANGE. */
export interface ResyncStart {
  table: string;
  recordTime: string;
}

/** Timestamps travel as `YYYY-MM-DD HH:MM:SS[.ffffff]` (Redshift's text form), validated before reuse in SQL. */
export const SQL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/** Resync starts of the landing database's tables recorded after `since` (one query). */
export function resyncStartsSql(landingDatabase: string, since: string): string {
  if (!SQL_TIMESTAMP.test(since)) throw new Error(`refusing timestamp '${since}'`);
  return `SELECT TRIM("schema_name") AS "schema_name", TRIM("table_name") AS "table_name", TRIM("new_state") AS "new_state", "record_time"
FROM "sys_integration_table_state_change"
WHERE TRIM("database_name") = ${literal(landingDatabase)} AND "record_time" > CAST(${literal(since.replace('T', ' '))} AS TIMESTAMP)
ORDER BY "record_time"`;
}

export function parseResyncStarts(rows: readonly Row[]): { starts: ResyncStart[]; latest: string | null } {
  const starts: ResyncStart[] = [];
  let latest: string | null = null;
  for (const row of rows) {
    const recordTime = normalizeTimestamp(row.record_time);
    if (!recordTime) continue;
    if (latest === null || recordTime > latest) latest = recordTime;
    const state = String(row.new_state);
    if (state === 'ResyncRequired' || state === 'ResyncInitiated') {
      starts.push({ table: `${String(row.schema_name)}.${String(row.table_name)}`, recordTime });
    }
  }
  return { starts, latest };
}

/** Accepts the Data API's text timestamps (and ISO strings); returns `YYYY-MM-DD HH:MM:SS.ffffff` or null. */
export function normalizeTimestamp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value
    .trim()
    .replace('T', ' ')
    .replace(/Z$/, '')
    .replace(/[+-]\d{2}(:?\d{2})?$/, '');
  return SQL_TIMESTAMP.test(text) ? text : null;
}
