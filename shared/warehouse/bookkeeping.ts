import { WarehouseStatementError } from '../errors.js';
import {
  BOOKKEEPING_MIGRATIONS,
  type BookkeepingMigration,
  installedVersionSql,
  latestVersion,
  migrationBatch,
  versionTableExistsSql,
} from '../sql/bookkeeping.js';
import type { Row, WarehousePort } from './warehouse.js';

/**
 * The bookkeeping schema (`zeo`) set up once per schema version: a step reads `zeo.schema_version`
 * (one SELECT) and applies only the versions the warehouse lacks. On a set-up warehouse that is the
 * whole cost: no DDL, no CREATE OR REPLACE PROCEDURE (which needs ownership on Redshift).
 */

export interface BookkeepingStatus {
  /** The highest version applied; null when the schema (or its version table) is not set up. */
  installed: number | null;
  /** The version this code needs (the last of BOOKKEEPING_MIGRATIONS). */
  current: number;
  /** installed ≥ current (a newer release may have migrated further: its additions are additive). */
  upToDate: boolean;
}

export interface BookkeepingOptions {
  /** Prefix of the Data API statement names (`zeo:<run or execution>`), for tracing. */
  statementName: string;
  /** The schema's history; tests pass their own to exercise a later version. */
  migrations?: readonly BookkeepingMigration[];
}

function versionOf(value: Row[string] | undefined): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

async function readInstalled(
  warehouse: Pick<WarehousePort, 'query'>,
  statementName: string,
): Promise<number | null> {
  try {
    const rows = await warehouse.query(installedVersionSql(), {
      statementName: `${statementName}:schema-version`,
    });
    return versionOf(rows[0]?.version);
  } catch (error) {
    if (!(error instanceof WarehouseStatementError)) throw error;
    // Only now ask the catalog, so a set-up warehouse costs one statement. Deciding "missing" from
    // the catalog rather than from the error's wording: any other failure is reported as it is.
    const rows = await warehouse.query(versionTableExistsSql(), {
      statementName: `${statementName}:schema-version-table`,
    });
    if ((versionOf(rows[0]?.tables) ?? 0) > 0) throw error;
    return null;
  }
}

function statusOf(installed: number | null, current: number): BookkeepingStatus {
  return { installed, current, upToDate: installed !== null && installed >= current };
}

/** The installed and the current version, without changing anything (for `zeo doctor`). */
export async function bookkeepingStatus(
  warehouse: Pick<WarehousePort, 'query'>,
  options: BookkeepingOptions,
): Promise<BookkeepingStatus> {
  const current = latestVersion(options.migrations ?? BOOKKEEPING_MIGRATIONS);
  return statusOf(await readInstalled(warehouse, options.statementName), current);
}

/** One line for humans: "bookkeeping schema at version X, current Y". */
export function describeBookkeepingStatus(status: BookkeepingStatus): string {
  if (status.installed === null)
    return `bookkeeping schema not set up, current ${status.current} (the first refresh or reconcile sets it up)`;
  return `bookkeeping schema at version ${status.installed}, current ${status.current}`;
}

/**
 * Sets the bookkeeping schema up, or migrates it, to the current version; on a set-up warehouse it
 * only reads the version. Each missing version runs as one transaction with its version row.
 *
 * Two steps may find the schema missing or old at once (a watchdog tick and a scheduled refresh).
 * Version 1 is idempotent (IF NOT EXISTS / OR REPLACE) and later versions LOCK the version table
 * first; whichever batch fails because the other got there first (a catalog conflict, a column that
 * now exists) is answered by re-reading the version: if it has moved past that migration, the other
 * step did the work and this one goes on.
 */
export async function ensureBookkeeping(
  warehouse: Pick<WarehousePort, 'query' | 'runTransaction'>,
  options: BookkeepingOptions,
): Promise<BookkeepingStatus & { applied: number[] }> {
  const migrations = [...(options.migrations ?? BOOKKEEPING_MIGRATIONS)].sort(
    (a, b) => a.version - b.version,
  );
  const current = latestVersion(migrations);
  let installed = await readInstalled(warehouse, options.statementName);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (installed !== null && migration.version <= installed) continue;
    try {
      await warehouse.runTransaction(migrationBatch(migration), {
        statementName: `${options.statementName}:schema-v${migration.version}`,
      });
      applied.push(migration.version);
      installed = migration.version;
    } catch (error) {
      if (!(error instanceof WarehouseStatementError)) throw error;
      const now = await readInstalled(warehouse, options.statementName);
      if (now === null || now < migration.version) throw error;
      installed = now;
    }
  }
  return { ...statusOf(installed, current), applied };
}
