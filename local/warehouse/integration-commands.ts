import { RedshiftSqlError } from './errors.js';
import { TokenCursor, tokenize } from './sql-tokens.js';

/**
 * The Redshift database commands that act on zero-ETL integrations (facts §3.1–3.2). PostgreSQL has
 * nothing like them, so the local warehouse parses them here and performs them on its own catalog.
 */

export interface IntegrationSettings {
  queryAllStates?: boolean;
  acceptInvChars?: boolean;
  refreshInterval?: number;
  truncateColumns?: boolean;
  historyMode?: boolean;
  autoRemediation?: boolean;
}

export interface TableName {
  schema: string;
  table: string;
}

export type RefreshScope =
  | { kind: 'tables'; tables: TableName[] }
  | { kind: 'all' | 'inerror' | 'remediable'; schemas: string[] };

export type IntegrationCommand =
  | {
      kind: 'create-database';
      database: string;
      /** Absent for a plain CREATE DATABASE (not supported locally). */
      integrationId?: string;
      sourceDatabase?: string;
      settings: IntegrationSettings;
    }
  | { kind: 'drop-database'; database: string; ifExists: boolean }
  | { kind: 'rename-database'; database: string; newName: string }
  | { kind: 'refresh'; database: string; scope: RefreshScope }
  | { kind: 'set'; database: string; settings: IntegrationSettings };

/** The keyword that names a command in error messages ("CREATE DATABASE cannot run …"). */
export function commandTag(command: IntegrationCommand): string {
  switch (command.kind) {
    case 'create-database':
      return 'CREATE DATABASE';
    case 'drop-database':
      return 'DROP DATABASE';
    default:
      return 'ALTER DATABASE';
  }
}

const syntaxError = (near: string) => new RedshiftSqlError(`syntax error at or near "${near}"`, '42601');

const REFRESH_INTERVAL_MAX = 432_000;

function readBoolean(cursor: TokenCursor): boolean {
  if (cursor.accept('true')) return true;
  if (cursor.accept('false')) return false;
  throw cursor.error();
}

/**
 * `[SET] OPTION [=] value [, …]` — Redshift accepts the options separated by spaces or commas and the
 * `=` as optional. Stops at anything that is not an integration option.
 */
function readSettings(cursor: TokenCursor): IntegrationSettings {
  const settings: IntegrationSettings = {};
  cursor.accept('set');
  for (;;) {
    cursor.accept(',');
    const next = cursor.peek();
    if (next?.kind !== 'word') break;
    const option = next.value;
    const known = [
      'query_all_states',
      'acceptinvchars',
      'refresh_interval',
      'truncatecolumns',
      'history_mode',
      'auto_remediation',
    ];
    if (!known.includes(option)) break;
    cursor.accept(option);
    cursor.accept('=');
    switch (option) {
      case 'query_all_states':
        settings.queryAllStates = readBoolean(cursor);
        break;
      case 'acceptinvchars':
        settings.acceptInvChars = readBoolean(cursor);
        break;
      case 'truncatecolumns':
        settings.truncateColumns = readBoolean(cursor);
        break;
      case 'auto_remediation':
        settings.autoRemediation = readBoolean(cursor);
        break;
      case 'history_mode':
        settings.historyMode = readBoolean(cursor);
        if (cursor.peek()?.value === 'for') {
          throw new RedshiftSqlError('local stack: HISTORY_MODE … FOR TABLE is not supported', '0A000');
        }
        break;
      case 'refresh_interval': {
        const seconds = cursor.number();
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > REFRESH_INTERVAL_MAX) {
          throw new RedshiftSqlError(
            `REFRESH_INTERVAL must be an integer between 0 and ${REFRESH_INTERVAL_MAX} seconds`,
            '22023',
          );
        }
        settings.refreshInterval = seconds;
        break;
      }
    }
  }
  return settings;
}

function createDatabase(cursor: TokenCursor): IntegrationCommand {
  const database = cursor.identifier();
  if (!cursor.accept('from')) {
    cursor.skipRest();
    return { kind: 'create-database', database, settings: {} };
  }
  cursor.expect('integration');
  const integrationId = cursor.string();
  const sourceDatabase = cursor.accept('database') ? cursor.name() : undefined;
  const settings = readSettings(cursor);
  // WITH OWNER, CONNECTION LIMIT, COLLATE, ISOLATION LEVEL: accepted and without local meaning.
  if (['with', 'owner', 'connection', 'collate', 'isolation'].includes(cursor.peek()?.value ?? '')) {
    cursor.skipRest();
  }
  cursor.end();
  return {
    kind: 'create-database',
    database,
    integrationId,
    ...(sourceDatabase === undefined ? {} : { sourceDatabase }),
    settings,
  };
}

function refreshScope(cursor: TokenCursor): RefreshScope {
  if (cursor.accept('table')) {
    const tables: TableName[] = [];
    do {
      const schema = cursor.identifier();
      cursor.expect('.');
      tables.push({ schema, table: cursor.identifier() });
    } while (cursor.accept(','));
    return { kind: 'tables', tables };
  }
  const kind = (['all', 'inerror', 'remediable'] as const).find((k) => cursor.accept(k));
  if (!kind) throw cursor.error();
  cursor.expect('tables');
  const schemas: string[] = [];
  if (cursor.accept('in')) {
    cursor.expect('schema');
    do schemas.push(cursor.identifier());
    while (cursor.accept(','));
  }
  return { kind, schemas };
}

function alterDatabase(cursor: TokenCursor): IntegrationCommand | undefined {
  const database = cursor.identifier();
  if (cursor.accept('rename')) {
    cursor.expect('to');
    const newName = cursor.identifier();
    cursor.end();
    return { kind: 'rename-database', database, newName };
  }
  if (!cursor.accept('integration')) return undefined;
  if (cursor.accept('refresh')) {
    const scope = refreshScope(cursor);
    cursor.end();
    return { kind: 'refresh', database, scope };
  }
  if (cursor.peek()?.value !== 'set') throw cursor.error();
  const settings = readSettings(cursor);
  if (Object.keys(settings).length === 0) throw cursor.error();
  cursor.end();
  return { kind: 'set', database, settings };
}

/**
 * Parses CREATE DATABASE, DROP DATABASE and ALTER DATABASE statements; `undefined` for anything else.
 * Throws a Redshift-like syntax error for a malformed database command. An ALTER DATABASE that is
 * neither RENAME nor INTEGRATION comes back as `undefined` too, and PostgreSQL then rejects it.
 */
export function parseIntegrationCommand(sql: string): IntegrationCommand | undefined {
  const tokens = tokenize(sql.trim().replace(/;\s*$/, ''));
  const first = tokens[0]?.value;
  if (tokens[1]?.value !== 'database' || !['create', 'drop', 'alter'].includes(first ?? '')) return undefined;
  const cursor = new TokenCursor(tokens.slice(2), syntaxError);
  if (first === 'create') return createDatabase(cursor);
  if (first === 'drop') {
    // Redshift's grammar is `DROP DATABASE database_name [ FORCE ]` (SQL reference "DROP DATABASE"):
    // PostgreSQL's IF EXISTS is a syntax error there.
    if (tokens[2]?.value === 'if') throw syntaxError('IF');
    const database = cursor.identifier();
    cursor.accept('force');
    cursor.end();
    return { kind: 'drop-database', database, ifExists: false };
  }
  return alterDatabase(cursor);
}
