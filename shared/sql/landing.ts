import type { LandingConfig, LandingSettings } from '../project/schema.js';
import { literal, qualified, quoteIdent } from './identifiers.js';

/**
 * Statements on the zero-ETL landing database. None of them may run inside a transaction block
 * (CREATE/DROP DATABASE cannot), so each is sent on its own with ExecuteStatement.
 */

/** Integration ids are UUIDs; anything else is refused before it gets near SQL. */
export const INTEGRATION_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

export function recreateLandingStatements(landing: LandingConfig, integrationId: string): string[] {
  if (!INTEGRATION_ID_PATTERN.test(integrationId))
    throw new Error(`refusing integration id '${integrationId}'`);
  const db = quoteIdent(landing.database);
  const settings = settingsClause(landing.settings);
  return [
    `CREATE DATABASE ${db} FROM INTEGRATION ${literal(integrationId)} DATABASE ${quoteIdent(landing.sourceDatabase)}`,
    // The database options reset on re-creation, so the project's settings are applied again.
    // AWS-ASSUMPTION: alter-database-integration-own-statement
    ...(settings ? [`ALTER DATABASE ${db} INTEGRATION SET ${settings}`] : []),
  ];
}

/**
 * Whether the landing database exists. Redshift has no `DROP DATABASE IF EXISTS` (its grammar is
 * `DROP DATABASE name [ FORCE ]`), so recreation asks first. SVV_REDSHIFT_DATABASES shows a regular
 * user only the databases it has access to; the orchestrator's identity created the landing database.
 */
export function landingDatabaseExistsSql(): string {
  return 'SELECT database_name FROM svv_redshift_databases WHERE database_name = :database';
}

export function dropLandingDatabaseSql(landing: LandingConfig): string {
  return `DROP DATABASE ${quoteIdent(landing.database)}`;
}

export function settingsClause(settings: LandingSettings): string {
  const parts: string[] = [];
  const bool = (b: boolean) => (b ? 'TRUE' : 'FALSE');
  if (settings.queryAllStates !== undefined)
    parts.push(`QUERY_ALL_STATES = ${bool(settings.queryAllStates)}`);
  if (settings.acceptInvChars !== undefined) parts.push(`ACCEPTINVCHARS = ${bool(settings.acceptInvChars)}`);
  if (settings.refreshInterval !== undefined)
    parts.push(`REFRESH_INTERVAL ${Math.trunc(settings.refreshInterval)}`);
  if (settings.truncateColumns !== undefined)
    parts.push(`TRUNCATECOLUMNS = ${bool(settings.truncateColumns)}`);
  return parts.join(' ');
}

// AWS-ASSUMPTION: alter-database-integration-own-statement
/** `ALTER DATABASE … INTEGRATION REFRESH TABLE s.t, …` for tables in the Failed state. */
export function refreshTablesStatement(landingDatabase: string, tables: readonly string[]): string {
  const names = tables.map((t) => {
    const [schema = '', table = ''] = t.split('.');
    return qualified(schema, table);
  });
  return `ALTER DATABASE ${quoteIdent(landingDatabase)} INTEGRATION REFRESH TABLE ${names.join(', ')}`;
}
