import type { PGliteInterface } from '@electric-sql/pglite';
import { utcTimestamp } from '../clock.js';
import { localSchemaForDatabase } from '../redshift-dialect.js';
import { INTERNAL_SCHEMA } from './catalog-sql.js';
import type { IntegrationSettings, RefreshScope, TableName } from './integration-commands.js';

/**
 * The Redshift side of zero-ETL, kept in the warehouse's own tables: which integrations reach this
 * warehouse, which databases were created from them, and the state of every replicated table. Both
 * the Data API commands (CREATE DATABASE … FROM INTEGRATION, ALTER DATABASE … INTEGRATION) and the
 * replication simulator change it through these functions, always inside a superuser transaction, so
 * every state change is recorded in SYS_INTEGRATION_TABLE_STATE_CHANGE and the read permissions of the
 * landing tables follow the states.
 */

export type Db = Pick<PGliteInterface, 'query' | 'exec'>;

export type TableState =
  | 'Synced'
  | 'Failed'
  | 'Deleted'
  | 'ResyncRequired'
  | 'ResyncInitiated'
  | 'DroppedSource';

export interface LandingDatabase {
  name: string;
  integrationId: string;
  sourceDatabase: string;
  state: string;
  loadPending: boolean;
  createdAt: Date;
  queryAllStates: boolean;
  refreshInterval: number;
  /** False once the integration was deleted: the data stays, nothing replicates into it any more. */
  attached: boolean;
}

export interface LandingTable {
  database: string;
  schema: string;
  table: string;
  integrationId: string;
  state: TableState;
  reason: string | null;
  checkpoint: string | null;
  stateSince: Date;
  rows: number;
  sourceSignature: string | null;
}

const T = INTERNAL_SCHEMA;

/** `"L__public"."orders"`: where landing table `L.public.orders` lives locally. */
export function landingRelation(database: string, schema: string, table: string): string {
  return `${quoteIdent(localSchemaForDatabase(database, schema))}.${quoteIdent(table)}`;
}

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Timestamps are selected as text: PGlite would read `timestamp` in the process's local time zone. */
const utcDate = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);

export async function upsertIntegration(db: Db, integrationId: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO ${T}.integration (integration_id, created_at) VALUES ($1, $2) ON CONFLICT (integration_id) DO NOTHING`,
    [integrationId, utcTimestamp(now)],
  );
}

export async function integrationExists(db: Db, integrationId: string): Promise<boolean> {
  const found = await db.query(`SELECT 1 FROM ${T}.integration WHERE integration_id = $1`, [integrationId]);
  return found.rows.length > 0;
}

/** The integration is gone: its databases stay readable (facts §3.3) but nothing replicates into them. */
export async function removeIntegration(db: Db, integrationId: string, sessionRole: string): Promise<void> {
  await db.query(`DELETE FROM ${T}.integration WHERE integration_id = $1`, [integrationId]);
  for (const database of await landingDatabases(db)) {
    if (database.integrationId === integrationId) await applyAccess(db, database.name, sessionRole);
  }
}

export async function setIntegrationError(db: Db, integrationId: string, error: boolean): Promise<void> {
  await db.query(`UPDATE ${T}.integration SET error_state = $2 WHERE integration_id = $1`, [
    integrationId,
    error,
  ]);
}

export async function landingDatabases(db: Db): Promise<LandingDatabase[]> {
  const result = await db.query<{
    name: string;
    integration_id: string;
    source_database: string;
    state: string;
    load_pending: boolean;
    created_at: string;
    query_all_states: boolean;
    refresh_interval: number;
    attached: boolean;
  }>(
    `SELECT d.name, d.integration_id, d.source_database, d.state, d.load_pending, d.created_at::text, d.query_all_states,
       d.refresh_interval, i.integration_id IS NOT NULL AS attached
     FROM ${T}.landing_database d LEFT JOIN ${T}.integration i ON i.integration_id = d.integration_id
     ORDER BY d.name`,
  );
  return result.rows.map((r) => ({
    name: r.name,
    integrationId: r.integration_id,
    sourceDatabase: r.source_database,
    state: r.state,
    loadPending: r.load_pending,
    createdAt: utcDate(r.created_at),
    queryAllStates: r.query_all_states,
    refreshInterval: r.refresh_interval,
    attached: r.attached,
  }));
}

export async function landingTables(db: Db, database?: string): Promise<LandingTable[]> {
  const result = await db.query<{
    database_name: string;
    schema_name: string;
    table_name: string;
    integration_id: string;
    table_state: TableState;
    reason: string | null;
    table_last_replicated_checkpoint: string | null;
    state_since: string;
    table_rows: number;
    source_signature: string | null;
  }>(
    `SELECT database_name, schema_name, table_name, integration_id, table_state, reason,
       table_last_replicated_checkpoint, state_since::text, table_rows, source_signature
     FROM ${T}.landing_table WHERE $1::text IS NULL OR database_name = $1 ORDER BY database_name, schema_name, table_name`,
    [database ?? null],
  );
  return result.rows.map((r) => ({
    database: r.database_name,
    schema: r.schema_name,
    table: r.table_name,
    integrationId: r.integration_id,
    state: r.table_state,
    reason: r.reason,
    checkpoint: r.table_last_replicated_checkpoint,
    stateSince: utcDate(r.state_since),
    rows: Number(r.table_rows),
    sourceSignature: r.source_signature,
  }));
}

const SETTING_COLUMNS: Record<keyof IntegrationSettings, string> = {
  queryAllStates: 'query_all_states',
  acceptInvChars: 'accept_inv_chars',
  refreshInterval: 'refresh_interval',
  truncateColumns: 'truncate_columns',
  historyMode: 'history_mode',
  autoRemediation: 'auto_remediation',
};

export async function createLandingDatabase(
  db: Db,
  spec: {
    name: string;
    integrationId: string;
    sourceDatabase: string;
    settings: IntegrationSettings;
    now: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO ${T}.landing_database (name, integration_id, source_database, created_at) VALUES ($1, $2, $3, $4)`,
    [spec.name, spec.integrationId, spec.sourceDatabase, utcTimestamp(spec.now)],
  );
  await updateSettings(db, spec.name, spec.settings);
}

export async function updateSettings(db: Db, database: string, settings: IntegrationSettings): Promise<void> {
  for (const [key, value] of Object.entries(settings)) {
    const column = SETTING_COLUMNS[key as keyof IntegrationSettings];
    if (value === undefined) continue;
    await db.query(`UPDATE ${T}.landing_database SET ${column} = $2 WHERE name = $1`, [database, value]);
  }
}

async function landingSchemas(db: Db, database: string): Promise<string[]> {
  const prefix = localSchemaForDatabase(database, '');
  const result = await db.query<{ nspname: string }>(
    'SELECT nspname FROM pg_namespace WHERE left(nspname, length($1)) = $1',
    [prefix],
  );
  return result.rows.map((r) => r.nspname);
}

/**
 * Drops the database's schemas and state; the state-change history stays, as on Redshift. Curated
 * views and materialized views that read the database are dropped with it (CASCADE): PostgreSQL
 * tracks those dependencies, Redshift's cross-database references do not.
 */
export async function dropLandingDatabase(db: Db, database: string): Promise<void> {
  for (const schema of await landingSchemas(db, database)) {
    await db.exec(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
  }
  await db.query(`DELETE FROM ${T}.landing_database WHERE name = $1`, [database]);
}

export async function renameLandingDatabase(db: Db, from: string, to: string): Promise<void> {
  const prefix = localSchemaForDatabase(from, '');
  for (const schema of await landingSchemas(db, from)) {
    const renamed = localSchemaForDatabase(to, schema.slice(prefix.length));
    await db.exec(`ALTER SCHEMA ${quoteIdent(schema)} RENAME TO ${quoteIdent(renamed)}`);
  }
  await db.query(`UPDATE ${T}.landing_database SET name = $2 WHERE name = $1`, [from, to]);
}

export async function applyAccess(db: Db, database: string, sessionRole: string): Promise<void> {
  for (const schema of await landingSchemas(db, database)) {
    await db.exec(`GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(sessionRole)}`);
  }
  await db.query(`SELECT ${T}.apply_landing_access($1, $2)`, [database, sessionRole]);
}

export interface TableStateChange extends TableName {
  database: string;
  integrationId: string;
  state: TableState;
  reason?: string | null;
  checkpoint?: string | null;
  rows?: number;
  sourceSignature?: string | null;
  now: Date;
}

/**
 * Sets a landing table's state (creating the row on first sight) and records the transition in
 * SYS_INTEGRATION_TABLE_STATE_CHANGE when the state actually changed.
 */
export async function setTableState(db: Db, change: TableStateChange): Promise<void> {
  const now = utcTimestamp(change.now);
  const previous = await db.query<{ table_state: string; table_last_replicated_checkpoint: string | null }>(
    `SELECT table_state, table_last_replicated_checkpoint FROM ${T}.landing_table
     WHERE database_name = $1 AND schema_name = $2 AND table_name = $3`,
    [change.database, change.schema, change.table],
  );
  const before = previous.rows[0];
  const checkpoint =
    change.checkpoint === undefined ? (before?.table_last_replicated_checkpoint ?? null) : change.checkpoint;
  await db.query(
    `INSERT INTO ${T}.landing_table AS t (database_name, schema_name, table_name, integration_id, table_state, reason,
       table_last_replicated_checkpoint, last_updated_timestamp, state_since, table_rows, source_signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, COALESCE($9, 0), $10)
     ON CONFLICT (database_name, schema_name, table_name) DO UPDATE SET
       integration_id = EXCLUDED.integration_id,
       table_state = EXCLUDED.table_state,
       reason = EXCLUDED.reason,
       table_last_replicated_checkpoint = EXCLUDED.table_last_replicated_checkpoint,
       last_updated_timestamp = EXCLUDED.last_updated_timestamp,
       state_since = CASE WHEN t.table_state = EXCLUDED.table_state THEN t.state_since ELSE EXCLUDED.state_since END,
       table_rows = COALESCE($9, t.table_rows),
       source_signature = COALESCE($10, t.source_signature)`,
    [
      change.database,
      change.schema,
      change.table,
      change.integrationId,
      change.state,
      change.reason ?? null,
      checkpoint,
      now,
      change.rows ?? null,
      change.sourceSignature ?? null,
    ],
  );
  if (before?.table_state !== change.state) {
    await db.query(
      `INSERT INTO ${T}.table_state_change (integration_id, database_name, schema_name, table_name, new_state,
         table_last_replicated_checkpoint, state_change_reason, record_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        change.integrationId,
        change.database,
        change.schema,
        change.table,
        change.state,
        checkpoint,
        change.reason ?? null,
        now,
      ],
    );
  }
}

/** Tables that ALTER DATABASE … INTEGRATION REFRESH selects, or the names it could not find. */
export async function tablesToRefresh(
  db: Db,
  database: string,
  scope: RefreshScope,
): Promise<{ tables: LandingTable[]; missing: TableName[] }> {
  const all = await landingTables(db, database);
  if (scope.kind === 'tables') {
    const tables: LandingTable[] = [];
    const missing: TableName[] = [];
    for (const wanted of scope.tables) {
      const found = all.find((t) => t.schema === wanted.schema && t.table === wanted.table);
      if (found) tables.push(found);
      else missing.push(wanted);
    }
    return { tables, missing };
  }
  const inSchema = (t: LandingTable) => scope.schemas.length === 0 || scope.schemas.includes(t.schema);
  // ALL refreshes "all synced and failed tables"; INERROR the failed ones (facts §3.2). REMEDIABLE
  // targets duplicate-row damage, which this simulator never produces, so it selects nothing.
  const states: TableState[] =
    scope.kind === 'all' ? ['Synced', 'Failed'] : scope.kind === 'inerror' ? ['Failed'] : [];
  return { tables: all.filter((t) => inSchema(t) && states.includes(t.state)), missing: [] };
}

export async function updateDatabaseProgress(
  db: Db,
  database: string,
  progress: {
    state?: string;
    loadPending?: boolean;
    currentLag?: number;
    checkpoint?: string;
    detectedAt?: Date;
    appliedAt?: Date;
  },
): Promise<void> {
  await db.query(
    `UPDATE ${T}.landing_database SET
       state = COALESCE($2, state),
       load_pending = COALESCE($3, load_pending),
       current_lag = COALESCE($4, current_lag),
       last_replicated_checkpoint = COALESCE($5, last_replicated_checkpoint),
       latest_detected_change_time = COALESCE($6, latest_detected_change_time),
       latest_applied_change_time = COALESCE($7, latest_applied_change_time),
       latest_shipped_source_commit_time = COALESCE($7, latest_shipped_source_commit_time)
     WHERE name = $1`,
    [
      database,
      progress.state ?? null,
      progress.loadPending ?? null,
      progress.currentLag ?? null,
      progress.checkpoint ?? null,
      progress.detectedAt ? utcTimestamp(progress.detectedAt) : null,
      progress.appliedAt ? utcTimestamp(progress.appliedAt) : null,
    ],
  );
}
