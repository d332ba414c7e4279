import type { PGliteInterface } from '@electric-sql/pglite';
import { type Clock, systemClock, utcTimestamp } from '../clock.js';
import { freshPGlite } from '../pglite.js';
import {
  CLOCK_SETTING,
  type DialectContext,
  localSchemaForDatabase,
  translate,
  USER_SETTING,
} from '../redshift-dialect.js';
import { catalogSetupStatements, INTERNAL_SCHEMA, SEARCH_PATH, SYSTEM_ROWS_SETTING } from './catalog-sql.js';
import { runDatabaseCommand } from './database-commands.js';
import { RedshiftSqlError } from './errors.js';
import { explainFailure } from './failure-messages.js';
import { commandTag, parseIntegrationCommand } from './integration-commands.js';
import { type Db, quoteIdent } from './landing.js';
import {
  type BlockWrites,
  isRefreshMaterializedView,
  noteBlockStatement,
  refuseRefreshAfterWrite,
} from './materialized-views.js';
import { EMPTY_RESULT, RAW_PARSERS, type RawValue, type StatementResult, TypeNames } from './result.js';
import { SerialQueue } from './serial-queue.js';
import { mixesCatalogWithUserTables, writeTarget } from './statement-targets.js';

/**
 * `LocalRedshift`: one PGlite instance standing in for a Redshift data warehouse.
 *
 * - The connected database (`dev` by default) keeps its schemas as PostgreSQL schemas. A zero-ETL
 *   database `L` lives in schemas `L__<source schema>`, and three-part names are rewritten to them.
 * - Data API sessions run as a non-superuser role (`awsuser`), so the landing schemas are really
 *   read-only and unqueryable landing tables really unreadable; the replication simulator writes
 *   through `privileged()`. Errors are rewritten into Redshift's wording.
 * - Every use of the single PGlite connection goes through one queue; a request (one statement or a
 *   batch) holds it from BEGIN to COMMIT, and the session is reset afterwards (temporary tables and
 *   settings do not leak into the next Data API request, which is a new session on Redshift too).
 */

export type ExecutionMode = 'TRANSACTION' | 'AUTO_COMMIT';

export interface SqlStatement {
  sql: string;
  /** Values for `$1…$n` (the Data API binds `:name` parameters to these). */
  params?: readonly string[];
}

export interface ExecutionRequest {
  /** The database the Data API call named. */
  database: string;
  statements: readonly SqlStatement[];
  mode: ExecutionMode;
  /** The database user the Data API maps the caller to (`IAMR:<role>`, a DbUser, …). */
  user?: string;
}

export interface StatementOutcome {
  status: 'FINISHED' | 'FAILED' | 'ABORTED';
  /** Redshift-style `ERROR: …` text for a failed statement. */
  error?: string;
  result?: StatementResult;
  startedAt?: Date;
  endedAt?: Date;
  /** Wall-clock run time in nanoseconds (Data API `Duration`). */
  durationNs?: number;
}

export interface ExecutionOutcome {
  statements: StatementOutcome[];
  /** The request was cancelled between statements (its transaction rolled back). */
  aborted: boolean;
}

export interface ExecutionControl {
  /** Polled between statements and before COMMIT: true rolls the request back. */
  isAborted?(): boolean;
  onStatementStart?(index: number, at: Date): void;
  onStatementEnd?(index: number, outcome: StatementOutcome): void;
}

/** How the zero-ETL simulator takes part in the warehouse's database commands. */
export interface IntegrationHooks {
  /** A message refuses CREATE DATABASE … FROM INTEGRATION (e.g. unknown source database). */
  checkSourceDatabase?(integrationId: string, sourceDatabase: string): string | undefined;
  /** A Data API request changed zero-ETL state (new database, refresh, settings): time to act. */
  onLandingChange?(): void;
}

export interface LocalRedshiftOptions {
  /** The database Data API calls connect to. */
  database?: string;
  clock?: Clock;
  /** Roles that grants in curated SQL refer to (they must exist, as on Redshift). */
  roles?: readonly string[];
  /** The PostgreSQL role Data API sessions run as. */
  sessionRole?: string;
  /** An empty PGlite instance to use instead of a fresh one. */
  db?: PGliteInterface;
  /**
   * The database users that are superusers (the setup SQL of docs/deploy.md makes the warehouse role's
   * user one). Only they see rows in the integration views ("visible only to superusers", SQL reference
   * SVV_INTEGRATION / SVV_INTEGRATION_TABLE_STATE) and may create or drop a database FROM INTEGRATION
   * ("you must be a superuser or have both CREATEDB and CREATEUSER privileges", and CREATEUSER makes a
   * superuser). Undefined: every user is treated as one.
   */
  superusers?: readonly string[];
}

/** What one request's statements share. */
interface StatementContext {
  inBlock: boolean;
  mode: ExecutionMode;
  landingChanged: boolean;
  /** REFRESH MATERIALIZED VIEW statements run in the block, which commit even when the block does not. */
  refreshes: string[];
  /** The block committed. */
  committed: boolean;
  /** What the block may have written so far (a REFRESH after a write is not emulated). */
  writes: BlockWrites;
}

const TRANSACTION_CONTROL = /^\s*(?:BEGIN|COMMIT|ROLLBACK|END|ABORT|START\s+TRANSACTION)\b/i;
const ROLE_SWITCH =
  /^\s*(?:SET\s+(?:SESSION\s+|LOCAL\s+)?(?:ROLE|SESSION\s+AUTHORIZATION)|RESET\s+(?:ROLE|SESSION\s+AUTHORIZATION|ALL))\b/i;
const VACUUM = /^\s*VACUUM\b/i;
const TRUNCATE = /^\s*TRUNCATE\b/i;

/**
 * A Data API request's transaction reads one snapshot, as on Redshift (developer guide "Serializable
 * isolation"; SNAPSHOT is Serverless' default isolation, SERIALIZABLE provisioned clusters' — SQL
 * reference "CREATE DATABASE"). REPEATABLE READ is PostgreSQL's snapshot isolation: the weaker of the
 * two, so bookkeeping that is correct here is correct on both. Requests never overlap on the single
 * PGlite connection (see SerialQueue), so no serialization failure can arise locally; the reliability
 * suite's concurrent builds run at this level on a real PostgreSQL server, where they can.
 */
const SESSION_BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ;';

const hrNow = () => process.hrtime.bigint();

/**
 * PGlite runs a query synchronously on this thread; between statements the request lets pending I/O
 * (a CancelStatement arriving meanwhile) run, so cancellation takes effect at the next statement.
 */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

export class LocalRedshift {
  readonly database: string;
  readonly sessionRole: string;
  readonly clock: Clock;
  readonly #db: PGliteInterface;
  readonly #queue = new SerialQueue();
  readonly #types = new TypeNames();
  #landingNames = new Set<string>();
  #hooks: IntegrationHooks = {};
  readonly #dialect: DialectContext;
  readonly #superusers: ReadonlySet<string> | undefined;
  /** The database user of the request holding the connection (requests run one at a time). */
  #requestUser: string | undefined;

  private constructor(db: PGliteInterface, options: LocalRedshiftOptions) {
    this.#db = db;
    this.database = options.database ?? 'dev';
    this.sessionRole = options.sessionRole ?? 'awsuser';
    this.#superusers = options.superusers ? new Set(options.superusers) : undefined;
    this.clock = options.clock ?? systemClock;
    this.#dialect = {
      currentDatabase: this.database,
      schemaForDatabase: (database, schema) =>
        this.#landingNames.has(database) ? localSchemaForDatabase(database, schema) : undefined,
    };
  }

  static async create(options: LocalRedshiftOptions = {}): Promise<LocalRedshift> {
    const db = options.db ?? (await freshPGlite());
    const warehouse = new LocalRedshift(db, options);
    const setup = catalogSetupStatements({
      database: warehouse.database,
      sessionRole: warehouse.sessionRole,
      roles: options.roles ?? [],
    });
    await db.transaction(async (tx) => {
      for (const sql of setup) await tx.exec(sql);
    });
    await warehouse.#types.load(db);
    return warehouse;
  }

  setIntegrationHooks(hooks: IntegrationHooks): void {
    this.#hooks = hooks;
  }

  /** Names of the databases created FROM INTEGRATION (attached or not). */
  get landingDatabaseNames(): string[] {
    return [...this.#landingNames].sort();
  }

  /** Runs a Data API request (one statement, or a batch) as a Data API session would. */
  execute(request: ExecutionRequest, control: ExecutionControl = {}): Promise<ExecutionOutcome> {
    return this.#queue.run(() => this.#executeRequest(request, control));
  }

  /**
   * Runs `work` in one superuser transaction (rolled back if it throws): the simulator's path into the
   * landing zone, and the way tests inspect internals.
   */
  privileged<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      await this.#begin(false);
      try {
        const result = await work(this.#db);
        await this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        await this.#db.exec('ROLLBACK');
        throw error;
      } finally {
        await this.#landingNamesFromCatalog();
      }
    });
  }

  /** A superuser query with Redshift names translated (three-part names, GETDATE()); rows as objects. */
  query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.privileged(
      async (db) => (await db.query<T>(translate(sql, this.#dialect).sql, [...params])).rows,
    );
  }

  /** The dialect context (three-part names into the current and the zero-ETL databases). */
  translate(sql: string): string {
    try {
      return translate(sql, this.#dialect).sql;
    } catch {
      // A statement the dialect refuses (e.g. a materialized view clause Redshift lacks) as written.
      return sql;
    }
  }

  close(): Promise<void> {
    return this.#queue.run(() => this.#db.close());
  }

  async #begin(asSession: boolean): Promise<void> {
    const role = asSession
      ? `SET LOCAL ROLE ${quoteIdent(this.sessionRole)}; SELECT set_config('${SYSTEM_ROWS_SETTING}', '${this.#isSuperuser() ? 'on' : 'off'}', true), set_config('${USER_SETTING}', '${(this.#requestUser ?? this.sessionRole).replaceAll("'", "''")}', true);`
      : '';
    await this.#db.exec(
      `${asSession ? SESSION_BEGIN : 'BEGIN;'} ${role} SET LOCAL search_path = ${SEARCH_PATH}; SELECT set_config('${CLOCK_SETTING}', '${utcTimestamp(this.clock.now())}', true);`,
    );
  }

  #isSuperuser(): boolean {
    const users = this.#superusers;
    // No user: the stack itself (bootstrap, tests driving the warehouse directly), an administrator.
    return users === undefined || this.#requestUser === undefined || users.has(this.#requestUser);
  }

  async #landingNamesFromCatalog(): Promise<void> {
    const result = await this.#db.query<{ name: string }>(
      `SELECT name FROM ${INTERNAL_SCHEMA}.landing_database`,
    );
    this.#landingNames = new Set(result.rows.map((r) => r.name));
  }

  async #executeRequest(request: ExecutionRequest, control: ExecutionControl): Promise<ExecutionOutcome> {
    this.#requestUser = request.user;
    const outcomes: StatementOutcome[] = request.statements.map(() => ({ status: 'ABORTED' }));
    const context: StatementContext = {
      inBlock: request.mode === 'TRANSACTION' && request.statements.length > 1,
      mode: request.mode,
      landingChanged: false,
      refreshes: [],
      committed: false,
      writes: { wrote: false, locked: false },
    };
    let aborted = false;
    const run = async (index: number): Promise<boolean> => {
      const statement = request.statements[index];
      if (!statement) return false;
      const startedAt = this.clock.now();
      const start = hrNow();
      control.onStatementStart?.(index, startedAt);
      try {
        if (request.database !== this.database) {
          throw new RedshiftSqlError(
            this.#landingNames.has(request.database)
              ? `local stack: connect to database "${this.database}" and read zero-ETL database "${request.database}" with three-part names`
              : `database "${request.database}" does not exist`,
            '3D000',
          );
        }
        const result = await this.#statement(statement, context);
        outcomes[index] = this.#finish({ status: 'FINISHED', result, startedAt }, start);
        return true;
      } catch (error) {
        await this.#db.exec('ROLLBACK');
        const explained = await explainFailure(
          error,
          this.translate(statement.sql),
          this.#db,
          this.#landingNames,
        );
        outcomes[index] = this.#finish({ status: 'FAILED', error: explained, startedAt }, start);
        return false;
      } finally {
        const outcome = outcomes[index];
        if (outcome) control.onStatementEnd?.(index, outcome);
      }
    };
    try {
      if (request.mode === 'TRANSACTION') {
        await this.#begin(true);
        let open = true;
        for (let i = 0; i < request.statements.length && open; i++) {
          await yieldToIo();
          if (control.isAborted?.()) {
            aborted = true;
            break;
          }
          open = await run(i);
        }
        if (open) {
          if (aborted || control.isAborted?.()) {
            aborted = true;
            await this.#db.exec('ROLLBACK');
          } else {
            await this.#db.exec('COMMIT');
            context.committed = true;
          }
        }
      } else {
        for (let i = 0; i < request.statements.length; i++) {
          await yieldToIo();
          if (control.isAborted?.()) {
            aborted = true;
            break;
          }
          await this.#begin(true);
          if (await run(i)) await this.#db.exec('COMMIT');
        }
      }
    } finally {
      // A new Data API request is a new session: no temporary tables or settings carry over.
      await this.#db.exec('ROLLBACK; RESET ALL; DISCARD TEMP;').catch(() => undefined);
      if (!context.committed && context.refreshes.length > 0)
        await this.#refreshOnTheirOwn(context.refreshes);
      if (context.landingChanged) {
        await this.#landingNamesFromCatalog();
        this.#hooks.onLandingChange?.();
      }
    }
    return { statements: outcomes, aborted };
  }

  /**
   * The REFRESH MATERIALIZED VIEWs of a batch that did not commit, committed in a transaction of their
   * own as on Redshift (see materialized-views.ts).
   */
  async #refreshOnTheirOwn(refreshes: readonly string[]): Promise<void> {
    await this.#begin(true);
    try {
      for (const sql of refreshes) await this.#db.exec(sql);
      await this.#db.exec('COMMIT');
    } finally {
      await this.#db.exec('ROLLBACK; RESET ALL; DISCARD TEMP;').catch(() => undefined);
    }
  }

  #finish(outcome: StatementOutcome, start: bigint): StatementOutcome {
    return { ...outcome, endedAt: this.clock.now(), durationNs: Number(hrNow() - start) };
  }

  async #statement(statement: SqlStatement, context: StatementContext): Promise<StatementResult> {
    const command = parseIntegrationCommand(statement.sql);
    if (command) {
      if ((command.kind === 'create-database' || command.kind === 'drop-database') && context.inBlock) {
        throw new RedshiftSqlError(`${commandTag(command)} cannot run inside a transaction block`, '25001');
      }
      if (!this.#isSuperuser()) {
        throw new RedshiftSqlError(
          `permission denied: ${commandTag(command)} FROM INTEGRATION needs a superuser (or CREATEDB and CREATEUSER)`,
          '42501',
        );
      }
      // Integration commands change the warehouse's own catalog, which sessions cannot write.
      await this.#db.exec('RESET ROLE');
      await runDatabaseCommand(this.#db, command, {
        connected: this.database,
        sessionRole: this.sessionRole,
        now: this.clock.now(),
        ...(this.#hooks.checkSourceDatabase ? { checkSourceDatabase: this.#hooks.checkSourceDatabase } : {}),
      });
      await this.#db.exec(`SET LOCAL ROLE ${quoteIdent(this.sessionRole)}`);
      context.landingChanged = true;
      return EMPTY_RESULT;
    }
    if (TRANSACTION_CONTROL.test(statement.sql)) {
      throw new RedshiftSqlError(
        'local stack: BEGIN/COMMIT/ROLLBACK/END are not supported in a Data API request (a batch already runs as one transaction)',
        '0A000',
      );
    }
    if (ROLE_SWITCH.test(statement.sql)) {
      throw new RedshiftSqlError('local stack: changing the session role is not supported', '0A000');
    }
    if (VACUUM.test(statement.sql)) {
      if (context.inBlock)
        throw new RedshiftSqlError('VACUUM cannot run inside a transaction block', '25001');
      return EMPTY_RESULT; // nothing to reorganise in PostgreSQL's storage for a stand-in
    }
    if (mixesCatalogWithUserTables(statement.sql)) {
      throw new RedshiftSqlError(
        'Specified types or functions (one per INFO message) not supported on Redshift tables.',
        '0A000',
      );
    }
    const translated = translate(statement.sql, this.#dialect);
    // REFRESH MATERIALIZED VIEW "runs as a transaction of its own" (SQL reference): kept for a commit of its own.
    const ownTransaction = context.inBlock && isRefreshMaterializedView(translated.sql);
    if (ownTransaction) await refuseRefreshAfterWrite(this.#db, context.writes);
    const target = writeTarget(translated.sql);
    noteBlockStatement(context.writes, translated.sql, target !== undefined);
    const landing = target?.schema ? this.#landingDatabaseOfSchema(target.schema) : undefined;
    if (target && landing) {
      throw new RedshiftSqlError(
        `cannot execute ${target.verb} in a read-only database "${landing}"`,
        '25006',
      );
    }
    const results = await this.#db.query<RawValue[]>(translated.sql, [...(statement.params ?? [])], {
      rowMode: 'array',
      parsers: RAW_PARSERS,
    });
    if (ownTransaction) context.refreshes.push(translated.sql);
    const design = translated.design;
    if (design && translated.relation) {
      await this.#db.query(
        `SELECT ${INTERNAL_SCHEMA}.record_design($1, $2, $3, $4, ARRAY(SELECT json_array_elements_text($5::json)), $6, $7)`,
        [
          translated.relation,
          design.diststyle,
          design.distkey,
          design.sortkeyStyle,
          JSON.stringify(design.sortkey),
          translated.ifNotExists === true,
          translated.inheritsFrom ?? null,
        ],
      );
    }
    if (TRUNCATE.test(translated.sql) && context.mode === 'TRANSACTION') {
      // Redshift: "TRUNCATE commits the transaction in which it is run" (facts §7.4).
      await this.#db.exec('COMMIT');
      await this.#begin(true);
    }
    return this.#result(results);
  }

  async #result(results: {
    rows: RawValue[][];
    fields: { name: string; dataTypeID: number }[];
    affectedRows?: number;
    rowCount?: number;
  }): Promise<StatementResult> {
    if (results.fields.some((f) => !this.#types.has(f.dataTypeID))) await this.#types.load(this.#db);
    const hasResultSet = results.fields.length > 0;
    const rows = results.rows.map((row) =>
      row.map((value, i) => (results.fields[i]?.dataTypeID === 20 ? exactNumber(value) : value)),
    );
    return {
      columns: results.fields.map((f) => ({
        name: f.name,
        typeName: this.#types.name(f.dataTypeID),
        typeOid: f.dataTypeID,
      })),
      rows,
      rowCount: hasResultSet ? rows.length : (results.affectedRows ?? results.rowCount ?? 0),
      hasResultSet,
    };
  }

  #landingDatabaseOfSchema(schema: string): string | undefined {
    return [...this.#landingNames].find((name) => schema.startsWith(localSchemaForDatabase(name, '')));
  }
}

function exactNumber(value: RawValue): RawValue {
  if (typeof value !== 'string') return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}
