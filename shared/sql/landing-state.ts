import type { Row } from '../warehouse/warehouse.js';
import { literal } from './identifiers.js';

/** Replication state of one landing-zone table, from SVV_INTEGRATION_TABLE_STATE. */
export interface TableState {
  /** `schema.table` */
  table: string;
  state: string;
  reason: string;
  lastUpdated: string | null;
  /**
   * Where replication of this table stands: its last replicated checkpoint plus its last update
   * time. Equal positions mean no change reached the table; a resync always moves the update time.
   * Null when either part is unknown (then anything built from it is rebuilt).
   */
  position: string | null;
}

/** Only `Synced` tables can be read consistently (and by default at all). */
export const SYNCED = 'Synced';

/** Redshift pads CHAR columns; trim in SQL so comparisons work on either engine. */
export function tableStatesSql(landingDatabase: string): string {
  // AWS-ASSUMPTION: table-checkpoint-moves-only-with-changes
  return `SELECT TRIM("schema_name") AS "schema_name", TRIM("table_name") AS "table_name", TRIM("table_state") AS "table_state", TRIM(COALESCE("reason", '')) AS "reason", "last_updated_timestamp", TRIM("table_last_replicated_checkpoint") AS "checkpoint"
FROM "svv_integration_table_state" WHERE TRIM("target_database") = ${literal(landingDatabase)}`;
}

export function parseTableStates(rows: readonly Row[]): Map<string, TableState> {
  const states = new Map<string, TableState>();
  for (const row of rows) {
    const table = `${String(row.schema_name ?? '')}.${String(row.table_name ?? '')}`;
    states.set(table, {
      table,
      // Only a word goes further (into SQL reasons, events): anything odd becomes 'Unknown'.
      state: /^[A-Za-z]{1,40}$/.test(String(row.table_state)) ? String(row.table_state) : 'Unknown',
      reason: String(row.reason ?? ''),
      lastUpdated: row.last_updated_timestamp === null ? null : String(row.last_updated_timestamp),
      position:
        row.checkpoint === null ||
        row.checkpoint === undefined ||
        row.checkpoint === '' ||
        row.last_updated_timestamp === null
          ? null
          : `${String(row.checkpoint)}@${String(row.last_updated_timestamp)}`,
    });
  }
  return states;
}

/** Why a table blocks reading, or undefined when it is Synced. */
export function notSyncedReason(table: string, states: ReadonlyMap<string, TableState>): string | undefined {
  const state = states.get(table);
  if (!state) return `source ${table} has no replication state (not replicated yet?)`;
  if (state.state !== SYNCED) return `source ${table} is ${state.state}`;
  return undefined;
}
