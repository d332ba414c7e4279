import { localSchemaForDatabase } from '../redshift-dialect.js';
import { isPgError, RedshiftSqlError } from './errors.js';
import { type Db, landingDatabases, landingTables } from './landing.js';
import { qualifiedNames } from './statement-targets.js';

/**
 * Redshift-like `ERROR: …` text for a failed statement. Runs after the rollback, so it may query the
 * catalog: a permission error on a landing table that is not queryable becomes the table-state error,
 * and local schema names (`L__public`) are shown as Redshift names (`L.public`).
 */
export async function explainFailure(
  error: unknown,
  translatedSql: string,
  db: Db,
  landingNames: Iterable<string>,
): Promise<string> {
  if (error instanceof RedshiftSqlError) return error.redshiftText;
  if (!isPgError(error)) return `ERROR: ${error instanceof Error ? error.message : String(error)}`;
  if (error.code === SERIALIZATION_FAILURE) return serializationViolation(error.message);
  if (error.code === '42501') {
    const unreadable = await unreadableTable(error.message, translatedSql, db);
    if (unreadable) return unreadable;
  }
  const crossDatabase = /cross-database references are not implemented: "?([^".\s]+)/.exec(error.message);
  if (crossDatabase) return `ERROR: database "${crossDatabase[1]}" does not exist`;
  let message = error.message;
  for (const name of landingNames) {
    message = message.replaceAll(new RegExp(`${escapeRegExp(name)}__([A-Za-z0-9_$]+)`, 'g'), `${name}.$1`);
  }
  return `ERROR: ${message}`;
}

async function unreadableTable(message: string, sql: string, db: Db): Promise<string | undefined> {
  const denied = /permission denied for (?:table|relation) "?([^"\s]+)"?/.exec(message)?.[1];
  if (!denied) return undefined;
  const referenced = qualifiedNames(sql);
  const tables = await landingTables(db);
  const databases = await landingDatabases(db);
  const match = tables.find(
    (t) =>
      t.table === denied &&
      t.state !== 'Synced' &&
      referenced.some(
        (r) => r.table === t.table && r.schema === localSchemaForDatabase(t.database, t.schema),
      ),
  );
  if (!match || databases.find((d) => d.name === match.database)?.queryAllStates) return undefined;
  return `ERROR: table "${match.schema}"."${match.table}" in zero-ETL database "${match.database}" is in state ${match.state} and cannot be queried; only Synced tables can be queried unless QUERY_ALL_STATES is TRUE`;
}

/** PostgreSQL's SQLSTATE for a transaction it could not serialise (REPEATABLE READ or SERIALIZABLE). */
const SERIALIZATION_FAILURE = '40001';

/**
 * Redshift's wording for the same failure, "ERROR: 1023 DETAIL: Serializable isolation violation on
 * table - <table id>, transactions forming the cycle are: …" (developer guide "Serializable isolation"),
 * so that the orchestrator treats a local one as it would Redshift's. PostgreSQL names no table here.
 */
function serializationViolation(message: string): string {
  return `ERROR: 1023 DETAIL: Serializable isolation violation on table - (local stack: PostgreSQL ${message})`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
