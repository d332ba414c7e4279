import { readFileSync } from 'node:fs';
import { localSchemaForDatabase } from '../../local/redshift-dialect.js';
import {
  applyAccess,
  createLandingDatabase,
  type Db,
  quoteIdent,
  setTableState,
  updateDatabaseProgress,
  upsertIntegration,
} from '../../local/warehouse/landing.js';
import type { LocalRedshift } from '../../local/warehouse/local-redshift.js';

/**
 * The shop example's source, landed in a `LocalRedshift` the way a finished initial load of a zero-ETL
 * integration leaves it (every table Synced), without the Aurora source and the replication
 * simulator of the full local stack (local/stack.ts): for tests that drive the warehouse through the
 * Data API only. The tables come from the same files the source is made of.
 */

export const SHOP_SOURCE_DATABASE = 'shop';
export const SHOP_TABLES = [
  'customers',
  'products',
  'orders',
  'order_items',
  'payments',
  'shipments',
] as const;

const shopSource = (landingSchema: string): string =>
  ['schema.sql', 'seed.sql']
    .map((f) => readFileSync(`examples/shop/source/${f}`, 'utf8'))
    .join('\n')
    .replaceAll('public.', `${quoteIdent(landingSchema)}.`);

/** Creates `database` FROM INTEGRATION `integrationId` (registered if new) and loads the shop into it. */
export async function landShop(
  warehouse: LocalRedshift,
  spec: { database: string; integrationId: string },
): Promise<void> {
  await warehouse.privileged(async (db) => {
    const now = warehouse.clock.now();
    await upsertIntegration(db, spec.integrationId, now);
    await createLandingDatabase(db, {
      name: spec.database,
      integrationId: spec.integrationId,
      sourceDatabase: SHOP_SOURCE_DATABASE,
      settings: {},
      now,
    });
    await loadShop(db, warehouse, spec);
  });
}

/**
 * Loads the shop's tables into `database`, a landing database that exists but holds no tables yet
 * (as CREATE DATABASE … FROM INTEGRATION leaves it), and marks them Synced.
 */
export async function loadShop(
  db: Db,
  warehouse: LocalRedshift,
  spec: { database: string; integrationId: string },
): Promise<void> {
  const schema = localSchemaForDatabase(spec.database, 'public');
  await db.exec(`CREATE SCHEMA ${quoteIdent(schema)};\n${shopSource(schema)}`);
  const now = warehouse.clock.now();
  for (const table of SHOP_TABLES) {
    const counted = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
    );
    await setTableState(db, {
      database: spec.database,
      schema: 'public',
      table,
      integrationId: spec.integrationId,
      state: 'Synced',
      rows: counted.rows[0]?.n ?? 0,
      now,
    });
  }
  await updateDatabaseProgress(db, spec.database, { state: 'CdcRefreshState', loadPending: false });
  await applyAccess(db, spec.database, warehouse.sessionRole);
}
