import type { Clock } from '../clock.js';
import {
  applyAccess,
  type Db,
  type LandingDatabase,
  setTableState,
  type TableState,
} from '../warehouse/landing.js';
import type { LocalRedshift } from '../warehouse/local-redshift.js';
import { loadRows, prepareLandingTable, removeLandingTable } from './replication.js';
import type { AuroraSource, SourceTable } from './source.js';

/** Full loads of landing tables and table state changes, shared by the initial load, resyncs and CDC. */

export const NO_PRIMARY_KEY = 'Table does not have a primary key';
export const GONE_FROM_SOURCE = 'Table no longer exists in the source or is excluded by the data filter';

export interface StateChange {
  schema: string;
  table: string;
  state: TableState;
  reason?: string;
}

export const tableKey = (t: { schema: string; table: string }): string => `${t.schema}.${t.table}`;

export class LandingLoader {
  constructor(
    private readonly warehouse: LocalRedshift,
    private readonly source: AuroraSource,
    private readonly clock: Clock,
  ) {}

  /** Source rows (JSON text) of every table that has a primary key, keyed `schema.table`. */
  async snapshot(tables: readonly SourceTable[]): Promise<Map<string, string>> {
    const rows = new Map<string, string>();
    for (const table of tables) {
      if (table.primaryKey.length > 0) rows.set(tableKey(table), await this.source.rowsJson(table));
    }
    return rows;
  }

  /** Loads one table from scratch: Synced with its rows, or Failed without a primary key. */
  async load(
    db: Db,
    database: LandingDatabase,
    table: SourceTable,
    rows: string | undefined,
    checkpoint: string,
  ): Promise<TableState> {
    const relation = await prepareLandingTable(db, database.name, table);
    const base = {
      database: database.name,
      schema: table.schema,
      table: table.table,
      integrationId: database.integrationId,
      sourceSignature: table.signature,
      now: this.clock.now(),
    };
    if (table.primaryKey.length === 0 || rows === undefined) {
      await setTableState(db, { ...base, state: 'Failed', reason: NO_PRIMARY_KEY, rows: 0 });
      return 'Failed';
    }
    const loaded = await loadRows(db, relation, rows);
    await setTableState(db, { ...base, state: 'Synced', reason: null, checkpoint, rows: loaded });
    return 'Synced';
  }

  /** The source table is gone: the landing table goes too and the state becomes Deleted. */
  async remove(db: Db, database: LandingDatabase, table: { schema: string; table: string }): Promise<void> {
    await removeLandingTable(db, database.name, table);
    await setTableState(db, {
      database: database.name,
      schema: table.schema,
      table: table.table,
      integrationId: database.integrationId,
      state: 'Deleted',
      reason: GONE_FROM_SOURCE,
      rows: 0,
      now: this.clock.now(),
    });
  }

  /** Sets table states in one transaction and brings the read permissions in line. */
  async setStates(database: LandingDatabase, changes: readonly StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    const now = this.clock.now();
    await this.warehouse.privileged(async (db) => {
      for (const change of changes) {
        await setTableState(db, {
          ...change,
          database: database.name,
          integrationId: database.integrationId,
          now,
        });
      }
      await applyAccess(db, database.name, this.warehouse.sessionRole);
    });
  }
}
