import { randomUUID } from 'node:crypto';
import { MAX_BATCH_STATEMENTS, MAX_STATEMENT_BYTES } from '../../shared/sql/limits.js';
import { type Clock, systemClock } from '../clock.js';
import type { EventHub } from '../events.js';
import { type LocalEndpoint, serveLocal } from '../http.js';
import { accessKeyOf, LocalIdentities, type Principal } from '../iam/identities.js';
import type { LocalRedshift } from '../warehouse/local-redshift.js';
import { DataApiError } from './errors.js';
import {
  type ApiFault,
  type DataApiOperation,
  FaultBook,
  type StatementDelay,
  type StatementFailure,
  type StatementHold,
  type StatementInfo,
} from './faults.js';
import { columnMetadata, toField } from './fields.js';
import { bindAll, type SqlParameter } from './parameters.js';
import {
  BatchExecuteStatementRequest,
  ExecuteStatementRequest,
  IdRequest,
  ListStatementsRequest,
  parseRequest,
} from './requests.js';
import { StatementRunner } from './statement-runner.js';
import {
  asStarted,
  describe,
  isTerminal,
  listEntry,
  type StatementOwner,
  type StatementRecord,
  type StatementTarget,
  waitForTerminal,
} from './statements.js';
import { checkRequest, checkStatementSizes, statementTarget, type TargetRules } from './validation.js';

/**
 * The Redshift Data API on 127.0.0.1 (JSON 1.1 protocol: `POST /`, `X-Amz-Target:
 * RedshiftData.<Operation>`), backed by a `LocalRedshift`. The unchanged `@aws-sdk/client-redshift-data`
 * talks to it through `endpoint` or `AWS_ENDPOINT_URL_REDSHIFT_DATA`.
 *
 * Statements run after the reply, as on Redshift: SUBMITTED → PICKED → STARTED → FINISHED | FAILED |
 * ABORTED. A batch is one transaction unless ExecutionMode is AUTO_COMMIT. Tests can inject API error
 * bursts, hold statements in STARTED, fail statements, abort them like an operator, and read the log of
 * every statement received.
 */

export interface LocalDataApiOptions {
  warehouse: LocalRedshift;
  clock?: Clock;
  /** Where WithEvent statements announce their end (`aws.redshift-data` events). */
  events?: EventHub;
  /** Active (SUBMITTED/PICKED/STARTED) statements allowed at once; Redshift's documented limit is 200. */
  maxActiveStatements?: number;
  /** Largest statement text in bytes (100 KB on Redshift). */
  maxStatementBytes?: number;
  /** Most SQL statements in one batch. */
  maxBatchStatements?: number;
  /** Real milliseconds every statement waits before it runs, to model long SQL. */
  statementLatencyMs?: number;
  /** Rows per GetStatementResult page (Redshift pages by size; a row count keeps NextToken exercised). */
  resultPageRows?: number;
  /** Workgroup names (or ARNs) accepted; empty = any. */
  workgroupNames?: readonly string[];
  /** Cluster identifiers accepted; empty = any. */
  clusterIdentifiers?: readonly string[];
  region?: string;
  account?: string;
  /** Who the access keys of requests stand for (the local STS issues role sessions into it). */
  identities?: LocalIdentities;
}

/** The caller of an in-process `handle()` that names none, and of an HTTP request without a signature. */
export const ANONYMOUS_CALLER = 'local';

/** One SQL text the endpoint accepted, in arrival order. */
export interface ReceivedStatement {
  statementId: string;
  /** 1-based position in a batch (1 for ExecuteStatement). */
  index: number;
  operation: 'ExecuteStatement' | 'BatchExecuteStatement';
  sql: string;
  statementName?: string;
  parameters?: SqlParameter[];
  receivedAt: Date;
}

const JSON_11 = 'application/x-amz-json-1.1';

export class LocalDataApi {
  readonly warehouse: LocalRedshift;
  readonly clock: Clock;
  /** Every SQL text accepted (idempotent replays of a ClientToken are not repeated here). */
  readonly log: ReceivedStatement[] = [];
  /** Real milliseconds each statement waits before running; may be changed at any time. */
  latencyMs: number;
  maxActiveStatements: number;
  readonly #options: LocalDataApiOptions;
  readonly #records = new Map<string, StatementRecord>();
  readonly #tokens = new Map<string, { fingerprint: string; id: string }>();
  readonly #runner: StatementRunner;
  readonly #rules: TargetRules;
  readonly #faults = new FaultBook();
  readonly #identities: LocalIdentities;
  #pids = 1073741824;
  #queryIds = 1000;
  #endpoint: LocalEndpoint | undefined;

  constructor(options: LocalDataApiOptions) {
    this.#options = options;
    this.warehouse = options.warehouse;
    this.clock = options.clock ?? systemClock;
    this.latencyMs = options.statementLatencyMs ?? 0;
    this.maxActiveStatements = options.maxActiveStatements ?? 200;
    this.#identities = options.identities ?? new LocalIdentities(options.account);
    this.#rules = {
      workgroupNames: options.workgroupNames ?? [],
      clusterIdentifiers: options.clusterIdentifiers ?? [],
    };
    this.#runner = new StatementRunner({
      warehouse: options.warehouse,
      clock: this.clock,
      faults: this.#faults,
      latencyMs: () => this.latencyMs,
      ...(options.events ? { events: options.events } : {}),
      region: options.region ?? 'us-east-1',
      account: options.account ?? '123456789012',
    });
  }

  async start(): Promise<LocalEndpoint> {
    if (this.#endpoint) return this.#endpoint;
    const served = await serveLocal(async (request) => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('RedshiftData.') ? target.slice('RedshiftData.'.length) : '';
      try {
        if (request.method !== 'POST' || !operation) {
          throw new DataApiError('ValidationException', `unsupported request ${request.method} ${target}`);
        }
        let body: unknown;
        try {
          body = request.body ? JSON.parse(request.body) : {};
        } catch {
          throw new DataApiError('ValidationException', 'request body is not valid JSON');
        }
        const authorization = request.headers.authorization;
        const caller = accessKeyOf(typeof authorization === 'string' ? authorization : undefined);
        const reply = await this.handle(operation, body, caller ?? ANONYMOUS_CALLER);
        return { status: 200, contentType: JSON_11, body: JSON.stringify(reply) };
      } catch (error) {
        const failure =
          error instanceof DataApiError
            ? error
            : new DataApiError(
                'InternalServerException',
                error instanceof Error ? error.message : String(error),
              );
        return { status: failure.httpStatus, contentType: JSON_11, body: failure.toJson() };
      }
    });
    this.#endpoint = {
      endpoint: served.endpoint,
      close: async () => {
        this.#faults.clear();
        this.#endpoint = undefined;
        await served.close();
      },
    };
    return this.#endpoint;
  }

  /** Every call of `operation` (or `*`) fails with `errorType` the next `times` times. */
  injectFault(fault: ApiFault): void {
    this.#faults.addApiFault(fault);
  }

  /** The next matching statement(s) FAIL with `error` without running. */
  failStatements(failure: StatementFailure): void {
    this.#faults.addFailure(failure);
  }

  /** Matching statements (all by default) stay STARTED until the hold is released. */
  hold(match: (statement: StatementInfo) => boolean = () => true): StatementHold {
    return this.#faults.hold(match);
  }

  /** Matching statements submitted from now on answer STARTED for their first `looks` looks. */
  delayStatus(delay: StatementDelay): void {
    this.#faults.addDelay(delay);
  }

  /** Removes every fault and releases every hold. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Aborts an active statement like an operator would (pg_cancel_backend); false if it is not active. */
  abort(id: string): boolean {
    const record = this.#records.get(id);
    return record ? this.#runner.abort(record) : false;
  }

  get activeStatements(): number {
    return [...this.#records.values()].filter((r) => !isTerminal(r.status)).length;
  }

  /** The current DescribeStatement view of a statement (`id` or `id:n`), for tests. */
  describe(id: string): Record<string, unknown> | undefined {
    const found = this.#find(id);
    return found ? describe(found.record, found.sub) : undefined;
  }

  /** Who submitted statement `id` (for tests of ownership). */
  ownerOf(id: string): StatementOwner | undefined {
    return this.#find(id)?.record.owner;
  }

  /** Resolves when no statement is active. */
  async settle(): Promise<void> {
    for (;;) {
      const active = [...this.#records.values()].filter((r) => !isTerminal(r.status));
      if (active.length === 0) return;
      await Promise.all(active.map((r) => r.done));
    }
  }

  /**
   * One Data API call, as the HTTP endpoint serves it (usable in-process), made by the holder of access
   * key `caller`.
   */
  async handle(operation: string, body: unknown, caller: string = ANONYMOUS_CALLER): Promise<unknown> {
    const principal = this.#identities.resolve(caller);
    const known: DataApiOperation[] = [
      'ExecuteStatement',
      'BatchExecuteStatement',
      'DescribeStatement',
      'GetStatementResult',
      'CancelStatement',
      'ListStatements',
    ];
    const op = known.find((k) => k === operation);
    if (!op)
      throw new DataApiError('ValidationException', `local stack: operation ${operation} is not implemented`);
    const fault = this.#faults.takeApiFault(op);
    if (fault) throw new DataApiError(fault.errorType, fault.message ?? `injected ${fault.errorType}`);
    // Every field against the service model's constraints first, as the Data API's front door does.
    checkRequest(op, body);
    switch (op) {
      case 'ExecuteStatement':
        return this.#execute(parseRequest(ExecuteStatementRequest, body), principal);
      case 'BatchExecuteStatement':
        return this.#batch(parseRequest(BatchExecuteStatementRequest, body), principal);
      case 'DescribeStatement':
        return this.#describe(parseRequest(IdRequest, body), principal);
      case 'GetStatementResult':
        return this.#result(parseRequest(IdRequest, body), principal);
      case 'CancelStatement':
        return this.#cancel(parseRequest(IdRequest, body), principal);
      case 'ListStatements':
        return this.#list(parseRequest(ListStatementsRequest, body), principal);
    }
  }

  /** The earlier statement for a repeated ClientToken, or undefined for a new request. */
  #replay(token: string | undefined, fingerprint: string): StatementRecord | undefined {
    if (token === undefined) return undefined;
    const seen = this.#tokens.get(token);
    if (!seen) return undefined;
    if (seen.fingerprint !== fingerprint) {
      throw new DataApiError(
        'ValidationException',
        'The ClientToken was already used with a different request.',
      );
    }
    return this.#records.get(seen.id);
  }

  #admit(): void {
    if (this.activeStatements >= this.maxActiveStatements) {
      throw new DataApiError(
        'ActiveStatementsExceededException',
        `The number of active statements exceeds the limit (${this.maxActiveStatements}).`,
      );
    }
  }

  async #execute(request: ExecuteStatementRequest, principal: Principal): Promise<unknown> {
    const target = statementTarget(request, this.#rules);
    checkStatementSizes([request.Sql], this.#options.maxStatementBytes ?? MAX_STATEMENT_BYTES);
    const fingerprint = JSON.stringify([
      'ExecuteStatement',
      request.Sql,
      target,
      request.StatementName,
      request.Parameters,
      request.WithEvent,
    ]);
    const record =
      this.#replay(request.ClientToken, fingerprint) ??
      this.#submit('ExecuteStatement', [request.Sql], target, request, undefined, fingerprint, principal);
    return this.#submitReply(record, request.WaitTimeSeconds);
  }

  async #batch(request: BatchExecuteStatementRequest, principal: Principal): Promise<unknown> {
    const target = statementTarget(request, this.#rules);
    const maxStatements = this.#options.maxBatchStatements ?? MAX_BATCH_STATEMENTS;
    if (request.Sqls.length === 0 || request.Sqls.length > maxStatements) {
      throw new DataApiError(
        'ValidationException',
        `Sqls must contain between 1 and ${maxStatements} statements.`,
      );
    }
    checkStatementSizes(request.Sqls, this.#options.maxStatementBytes ?? MAX_STATEMENT_BYTES);
    const mode = request.ExecutionMode ?? 'TRANSACTION';
    const fingerprint = JSON.stringify([
      'BatchExecuteStatement',
      request.Sqls,
      mode,
      target,
      request.StatementName,
      request.Parameters,
      request.WithEvent,
    ]);
    const record =
      this.#replay(request.ClientToken, fingerprint) ??
      this.#submit('BatchExecuteStatement', request.Sqls, target, request, mode, fingerprint, principal);
    return this.#submitReply(record, request.WaitTimeSeconds);
  }

  #submit(
    operation: 'ExecuteStatement' | 'BatchExecuteStatement',
    sqls: readonly string[],
    target: StatementTarget,
    request: ExecuteStatementRequest | BatchExecuteStatementRequest,
    mode: 'TRANSACTION' | 'AUTO_COMMIT' | undefined,
    fingerprint: string,
    principal: Principal,
  ): StatementRecord {
    const bound = bindAll(sqls, request.Parameters);
    this.#admit();
    const now = this.clock.now();
    let markDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    const id = randomUUID();
    const info: StatementInfo = {
      id,
      sqls,
      ...(request.StatementName === undefined ? {} : { statementName: request.StatementName }),
    };
    const record: StatementRecord = {
      id,
      isBatch: operation === 'BatchExecuteStatement',
      owner: {
        userId: principal.userId,
        arn: principal.arn,
        ...(principal.roleName === undefined ? {} : { roleName: principal.roleName }),
        databaseUser: databaseUserOf(target, principal),
      },
      target,
      ...(request.StatementName === undefined ? {} : { statementName: request.StatementName }),
      withEvent: request.WithEvent === true,
      ...(request.Parameters === undefined ? {} : { parameters: request.Parameters }),
      ...(mode === undefined ? {} : { executionMode: mode }),
      subs: sqls.map((sql, i) => ({
        index: i + 1,
        sql,
        status: 'SUBMITTED',
        createdAt: now,
        updatedAt: now,
        durationNs: 0,
        queryId: ++this.#queryIds,
      })),
      status: 'SUBMITTED',
      createdAt: now,
      updatedAt: now,
      durationNs: 0,
      pid: this.#pids++,
      abortRequested: false,
      startedLooks: this.#faults.takeDelay(info),
      done,
      markDone,
    };
    this.#records.set(record.id, record);
    if (request.ClientToken !== undefined)
      this.#tokens.set(request.ClientToken, { fingerprint, id: record.id });
    sqls.forEach((sql, i) => {
      this.log.push({
        statementId: record.id,
        index: i + 1,
        operation,
        sql,
        ...(request.StatementName === undefined ? {} : { statementName: request.StatementName }),
        ...(request.Parameters === undefined ? {} : { parameters: request.Parameters }),
        receivedAt: now,
      });
    });
    this.#runner.start(record, bound, mode ?? 'TRANSACTION');
    return record;
  }

  async #submitReply(record: StatementRecord, waitSeconds: number | undefined): Promise<unknown> {
    if (waitSeconds !== undefined && waitSeconds > 0) await waitForTerminal(record, waitSeconds);
    const t = record.target;
    return {
      Id: record.id,
      CreatedAt: record.createdAt.getTime() / 1000,
      Database: t.database,
      ...(t.workgroupName === undefined ? {} : { WorkgroupName: t.workgroupName }),
      ...(t.clusterIdentifier === undefined ? {} : { ClusterIdentifier: t.clusterIdentifier }),
      ...(t.secretArn === undefined ? {} : { SecretArn: t.secretArn }),
      ...(t.dbUser === undefined ? {} : { DbUser: t.dbUser }),
      // With WaitTimeSeconds the reply carries the status reached by then (API 2025 additions).
      ...(waitSeconds === undefined
        ? {}
        : {
            // A delayed statement still reads STARTED here; the reply does not count as a look.
            Status: record.startedLooks > 0 ? 'STARTED' : record.status,
            RedshiftPid: record.pid,
            HasResultSet: record.subs.some((s) => s.result?.hasResultSet === true),
          }),
    };
  }

  #find(id: string): { record: StatementRecord; sub?: number } | undefined {
    const match = /^(.*?)(?::(\d+))?$/.exec(id);
    const record = this.#records.get(match?.[1] ?? id);
    if (!record) return undefined;
    const sub = match?.[2] === undefined ? undefined : Number(match[2]);
    if (sub !== undefined && (sub < 1 || sub > record.subs.length || !record.isBatch)) return undefined;
    return { record, ...(sub === undefined ? {} : { sub }) };
  }

  /**
   * The statement `id` as `principal` may see it. Another identity's statement is refused the way the
   * project's IAM policy refuses it on AWS: the owner condition (`statement-owner-iam-userid =
   * ${aws:userid}`) leaves no policy that allows the call.
   */
  #lookup(
    id: string,
    principal: Principal,
    action: 'DescribeStatement' | 'GetStatementResult' | 'CancelStatement',
  ): { record: StatementRecord; sub?: number } {
    const found = this.#find(id);
    if (!found)
      throw new DataApiError('ResourceNotFoundException', 'Query does not exist.', { ResourceId: id });
    // AWS-ASSUMPTION: foreign-statement-access-denied
    if (found.record.owner.userId !== principal.userId) {
      throw new DataApiError(
        'AccessDeniedException',
        `User: ${principal.arn} is not authorized to perform: redshift-data:${action} because no identity-based policy allows the redshift-data:${action} action`,
      );
    }
    return found;
  }

  async #describe(
    request: { Id: string; WaitTimeSeconds?: number | undefined },
    principal: Principal,
  ): Promise<unknown> {
    const found = this.#lookup(request.Id, principal, 'DescribeStatement');
    if (request.WaitTimeSeconds) await waitForTerminal(found.record, request.WaitTimeSeconds);
    const reply = describe(found.record, found.sub);
    if (found.record.startedLooks <= 0) return reply;
    found.record.startedLooks--;
    return asStarted(reply);
  }

  async #result(
    request: {
      Id: string;
      WaitTimeSeconds?: number | undefined;
      NextToken?: string | undefined;
    },
    principal: Principal,
  ) {
    const { record, sub } = this.#lookup(request.Id, principal, 'GetStatementResult');
    if (record.isBatch && sub === undefined) {
      throw new DataApiError(
        'ValidationException',
        'Id of a batch statement needs the suffix of a sub-statement, for example <id>:1.',
      );
    }
    if (request.WaitTimeSeconds) await waitForTerminal(record, request.WaitTimeSeconds);
    const statement = record.subs[(sub ?? 1) - 1];
    const result = statement?.result;
    if (statement?.status !== 'FINISHED' || !result?.hasResultSet) {
      throw new DataApiError(
        'ResourceNotFoundException',
        'Query does not have result. Please check query status with DescribeStatement.',
        { ResourceId: request.Id },
      );
    }
    const pageRows = this.#options.resultPageRows ?? 1000;
    const offset =
      request.NextToken === undefined ? 0 : Number(Buffer.from(request.NextToken, 'base64url').toString());
    if (!Number.isInteger(offset) || offset < 0 || offset > result.rows.length) {
      throw new DataApiError('ValidationException', 'Invalid NextToken.');
    }
    const page = result.rows.slice(offset, offset + pageRows);
    const next = offset + page.length;
    return {
      Records: page.map((row) =>
        row.map((value, i) => toField(value, result.columns[i] ?? { name: '', typeName: '', typeOid: 0 })),
      ),
      ColumnMetadata: result.columns.map(columnMetadata),
      TotalNumRows: result.rows.length,
      ...(next < result.rows.length ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}),
    };
  }

  #cancel(request: { Id: string }, principal: Principal): unknown {
    const { record } = this.#lookup(request.Id, principal, 'CancelStatement');
    if (isTerminal(record.status)) {
      throw new DataApiError(
        'ValidationException',
        `Could not cancel a query that is already in ${record.status} state.`,
      );
    }
    this.abort(record.id);
    return { Status: true };
  }

  #list(
    request: {
      RoleLevel?: boolean | undefined;
      StatementName?: string | undefined;
      Status?: string | undefined;
      MaxResults?: number | undefined;
      NextToken?: string | undefined;
      Database?: string | undefined;
      WorkgroupName?: string | undefined;
      ClusterIdentifier?: string | undefined;
    },
    principal: Principal,
  ): unknown {
    const status = request.Status ?? 'ALL';
    const shownStatus = (r: StatementRecord) => (r.startedLooks > 0 ? 'STARTED' : r.status);
    // RoleLevel (default true): every statement of the caller's role; false: the caller's own only.
    const visible = (r: StatementRecord) =>
      r.owner.userId === principal.userId ||
      (request.RoleLevel !== false &&
        principal.roleName !== undefined &&
        r.owner.roleName === principal.roleName);
    // Newest first; statements created at the same (simulated) instant by arrival, latest first.
    const matching = [...this.#records.values()]
      .reverse()
      .filter(
        (r) =>
          visible(r) &&
          (status === 'ALL' || shownStatus(r) === status) &&
          (request.StatementName === undefined ||
            (r.statementName ?? '').startsWith(request.StatementName)) &&
          (request.Database === undefined || r.target.database === request.Database) &&
          (request.WorkgroupName === undefined || r.target.workgroupName === request.WorkgroupName) &&
          (request.ClusterIdentifier === undefined ||
            r.target.clusterIdentifier === request.ClusterIdentifier),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const max = request.MaxResults || 100;
    const offset =
      request.NextToken === undefined ? 0 : Number(Buffer.from(request.NextToken, 'base64url').toString());
    const page = matching.slice(offset, offset + max);
    const next = offset + page.length;
    // Each delayed statement on the page has been looked at once more.
    const entries = page.map((r) => {
      if (r.startedLooks <= 0) return listEntry(r);
      r.startedLooks--;
      return asStarted(listEntry(r));
    });
    return {
      Statements: entries,
      ...(next < matching.length ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}),
    };
  }
}

/**
 * The database user a statement runs as: the named DbUser (GetClusterCredentials), the secret's user,
 * or — with temporary IAM credentials — `IAMR:<role>` / `IAM:<user>` of the caller.
 */
function databaseUserOf(target: StatementTarget, principal: Principal): string {
  if (target.dbUser !== undefined) return target.dbUser;
  if (target.secretArn !== undefined) return `secret:${target.secretArn.split(':').pop() ?? ''}`;
  return principal.databaseUser;
}
