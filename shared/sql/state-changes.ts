import type { Row } from '../warehouse/warehouse.js';
import { literal } from './identifiers.js';

/** One resync of one table: from its first ResyncRequired/ResyncInitiated after being Synced. */
export interface ResyncEpisode {
  table: string;
  /** When the episode began: identifies it across watchdog ticks and duplicate events. */
  startedAt: string;
}

/** Timestamps travel as `YYYY-MM-DD HH:MM:SS[.ffffff]` (Redshift's text form), validated before reuse in SQL. */
export const SQL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/** State changes of the landing database's tables recorded after `since`, oldest first (one query). */
export function resyncStartsSql(landingDatabase: string, since: string): string {
  if (!SQL_TIMESTAMP.test(since)) throw new Error(`refusing timestamp '${since}'`);
  return `SELECT TRIM("schema_name") AS "schema_name", TRIM("table_name") AS "table_name", TRIM("new_state") AS "new_state", "record_time"
FROM "sys_integration_table_state_change"
WHERE TRIM("database_name") = ${literal(landingDatabase)} AND "record_time" > CAST(${literal(since.replace('T', ' '))} AS TIMESTAMP)
ORDER BY "record_time"`;
}

const RESYNC_STATES = new Set(['ResyncRequired', 'ResyncInitiated']);

/**
 * Rebuilds each table's latest resync episode from its state changes (ordered by time): a new episode
 * begins at a resync state that follows anything else. Also returns the newest record time seen.
 */
export function parseResyncEpisodes(rows: readonly Row[]): {
  episodes: Map<string, ResyncEpisode>;
  latest: string | null;
} {
  const episodes = new Map<string, ResyncEpisode>();
  const previous = new Map<string, string>();
  let latest: string | null = null;
  for (const row of rows) {
    const recordTime = normalizeTimestamp(row.record_time);
    if (!recordTime) continue;
    if (latest === null || recordTime > latest) latest = recordTime;
    const table = `${String(row.schema_name)}.${String(row.table_name)}`;
    const state = String(row.new_state);
    const before = previous.get(table);
    if (RESYNC_STATES.has(state) && (before === undefined || !RESYNC_STATES.has(before))) {
      episodes.set(table, { table, startedAt: recordTime });
    }
    previous.set(table, state);
  }
  return { episodes, latest };
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
