import type { Clock } from '../clock.js';
import {
  applyAccess,
  type LandingDatabase,
  landingRelation,
  landingTables,
  setTableState,
  type TableState,
  updateDatabaseProgress,
} from '../warehouse/landing.js';
import type { LocalRedshift } from '../warehouse/local-redshift.js';
import type { IntegrationAnnouncer } from './announcer.js';
import type { Integration } from './integrations.js';
import { type LandingLoader, tableKey } from './landing-loader.js';
import { countRows, mergeRows } from './replication.js';
import type { AuroraSource, SourceTable } from './source.js';

/**
 * One replication pass over one landing database (change data capture, as state replication): merge
 * changed rows of Synced tables by primary key, load tables that appeared, drop tables that
 * disappeared, and send tables whose definition changed (or that gained a primary key) to resync.
 */

export interface TableReplication {
  schema: string;
  table: string;
  inserted: number;
  updated: number;
  deleted: number;
  state: TableState;
}

export interface ReplicationReport {
  integrationId: string;
  database: string;
  /** The new checkpoint, or null when nothing changed. */
  checkpoint: string | null;
  tables: TableReplication[];
  /** Why nothing was replicated (integration failed, deleting, …). */
  skipped?: string;
}

export interface ReplicationContext {
  warehouse: LocalRedshift;
  source: AuroraSource;
  loader: LandingLoader;
  announcer: IntegrationAnnouncer;
  clock: Clock;
  /** A new checkpoint for a source position (advances the transaction sequence). */
  nextCheckpoint: (position: number) => string;
  /** When the database was last replicated (for the lag). */
  previousReplication: Date;
}

const unchanged = { inserted: 0, updated: 0, deleted: 0 };

export async function replicateDatabase(
  context: ReplicationContext,
  database: LandingDatabase,
  integration: Integration,
  source: readonly SourceTable[],
): Promise<ReplicationReport> {
  const { warehouse, loader, clock } = context;
  const now = clock.now();
  const report: ReplicationReport = {
    integrationId: integration.id,
    database: database.name,
    checkpoint: null,
    tables: [],
  };
  const landing = await warehouse.privileged((db) => landingTables(db, database.name));
  const landed = new Map(landing.map((t) => [tableKey(t), t]));
  const current = new Map(source.map((t) => [tableKey(t), t]));
  const fresh = source.filter(
    (t) => !landed.has(tableKey(t)) || landed.get(tableKey(t))?.state === 'Deleted',
  );
  const merging = source.filter((t) => {
    const l = landed.get(tableKey(t));
    return l?.state === 'Synced' && l.sourceSignature === t.signature && t.primaryKey.length > 0;
  });
  const resync = landing.filter((l) => {
    const s = current.get(tableKey(l));
    if (!s) return false;
    if (l.state === 'Synced') return l.sourceSignature !== s.signature;
    // "Add primary key(s) to the source table and the table will resynchronize automatically."
    return l.state === 'Failed' && s.primaryKey.length > 0;
  });
  const gone = landing.filter((l) => !current.has(tableKey(l)) && l.state !== 'Deleted');
  const position = await context.source.position();
  const rows = await loader.snapshot([...fresh, ...merging]);
  // A new checkpoint only when something changed, so the sequence counts applied batches.
  let checkpoint: string | undefined;
  const checkpointNow = () => {
    checkpoint ??= context.nextCheckpoint(position);
    return checkpoint;
  };
  let changed = fresh.length > 0 || gone.length > 0;
  await warehouse.privileged(async (db) => {
    for (const table of merging) {
      const relation = landingRelation(database.name, table.schema, table.table);
      const counts = await mergeRows(db, relation, table, rows.get(tableKey(table)) ?? '[]');
      if (counts.inserted + counts.updated + counts.deleted > 0) {
        changed = true;
        await setTableState(db, {
          database: database.name,
          schema: table.schema,
          table: table.table,
          integrationId: database.integrationId,
          state: 'Synced',
          checkpoint: checkpointNow(),
          rows: await countRows(db, relation),
          now,
        });
      }
      report.tables.push({ schema: table.schema, table: table.table, ...counts, state: 'Synced' });
    }
    for (const table of fresh) {
      const state = await loader.load(db, database, table, rows.get(tableKey(table)), checkpointNow());
      report.tables.push({ schema: table.schema, table: table.table, ...unchanged, state });
    }
    for (const table of resync) {
      await setTableState(db, {
        database: database.name,
        schema: table.schema,
        table: table.table,
        integrationId: database.integrationId,
        state: 'ResyncRequired',
        reason:
          table.state === 'Failed' ? 'Primary key added on the source' : 'Source table definition changed',
        now,
      });
      report.tables.push({ schema: table.schema, table: table.table, ...unchanged, state: 'ResyncRequired' });
    }
    for (const table of gone) {
      await loader.remove(db, database, table);
      report.tables.push({ schema: table.schema, table: table.table, ...unchanged, state: 'Deleted' });
    }
    await updateDatabaseProgress(db, database.name, {
      ...(changed ? { checkpoint: checkpointNow(), detectedAt: now } : {}),
      appliedAt: now,
      // Changes waited at most since the previous replication: that is the lag they saw.
      currentLag: changed ? now.getTime() - context.previousReplication.getTime() : 0,
    });
    await applyAccess(db, database.name, warehouse.sessionRole);
  });
  report.checkpoint = checkpoint ?? null;
  context.announcer.missingPrimaryKeys(integration, database.name, fresh);
  return report;
}
