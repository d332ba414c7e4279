import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  ListStatementsCommand,
  type RedshiftDataClient,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import {
  DataApiThrottledError,
  SerializationConflictError,
  StatementStillRunningError,
  WarehouseStatementError,
} from '../errors.js';
import type { WarehouseConfig } from '../project/schema.js';
import { MAX_BATCH_STATEMENTS } from '../sql/limits.js';
import { isSerializationConflict } from './serialization.js';

/**
 * The orchestrator's only door to Redshift: the Data API. Model builds are submitted and then polled
 * by the state machine (Wait states); short bookkeeping statements use the Data API's own
 * WaitTimeSeconds, so a Lambda never sleeps and never loops on DescribeStatement.
 */

export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

export interface StatementDescription {
  id: string;
  status: StatementStatus;
  error?: string;
  /** Rows affected/returned by the statement (for a batch: summed over sub-statements). */
  resultRows?: number;
  durationMs?: number;
  /** A batch's statements in order: what each one reached (a REFRESH that finished has committed). */
  // AWS-ASSUMPTION: batch-substatement-status-after-failure
  subStatements?: { status: StatementStatus; queryString?: string }[];
}

export type Row = Record<string, string | number | boolean | null>;

export interface StatementOptions {
  statementName: string;
  /** Idempotency token: a retried submission with the same token does not run twice. */
  clientToken?: string;
  /** Values bound to `:name` placeholders; free text (errors, event payloads) only ever goes here. */
  parameters?: Record<string, string>;
}

/** Seconds the Data API may hold a request open waiting for a short statement (max 30). */
const SYNC_WAIT_SECONDS = 20;

const TERMINAL = new Set<StatementStatus>(['FINISHED', 'FAILED', 'ABORTED']);

export function isTerminal(status: StatementStatus): boolean {
  return TERMINAL.has(status);
}

function mapError(error: unknown): never {
  const name = error instanceof Error ? error.name : '';
  // AWS-ASSUMPTION: data-api-quotas-unknown
  if (
    name === 'ThrottlingException' ||
    name === 'ActiveStatementsExceededException' ||
    // Too many requests waiting on WaitTimeSeconds: the same "later" as throttling (facts §10).
    name === 'ActiveWaitingRequestsExceededException' ||
    name === 'ActiveSessionsExceededException'
  ) {
    throw new DataApiThrottledError(
      `Data API is throttling: ${name}: ${error instanceof Error ? error.message : ''}`,
    );
  }
  throw error;
}

/**
 * A short statement that ended FAILED or ABORTED. A serialization conflict rolled the transaction back
 * for reasons of timing alone: retryable (SerializationConflictError), where any other failure is not.
 */
function statementFailed(what: string, status: string, error: string | undefined): Error {
  const message = `${what} ${status.toLowerCase()}: ${error ?? 'no error message'}`;
  return isSerializationConflict(error)
    ? new SerializationConflictError(message)
    : new WarehouseStatementError(message);
}

function fieldValue(field: Field): string | number | boolean | null {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  return null;
}

export class Warehouse {
  constructor(
    private readonly client: Pick<RedshiftDataClient, 'send'>,
    private readonly config: WarehouseConfig,
  ) {}

  private target() {
    const { database, workgroupName, clusterIdentifier, dbUser, secretArn } = this.config;
    return {
      Database: database,
      ...(workgroupName ? { WorkgroupName: workgroupName } : {}),
      ...(clusterIdentifier ? { ClusterIdentifier: clusterIdentifier } : {}),
      ...(dbUser && !secretArn ? { DbUser: dbUser } : {}),
      ...(secretArn ? { SecretArn: secretArn } : {}),
    };
  }

  private static parameters(values: Record<string, string> | undefined): SqlParameter[] | undefined {
    if (!values) return undefined;
    return Object.entries(values).map(([name, value]) => ({ name, value }));
  }

  /** Submits statements as one transaction; returns the statement id without waiting. */
  async submitTransaction(sqls: readonly string[], options: StatementOptions): Promise<string> {
    const response = await this.client
      .send(
        new BatchExecuteStatementCommand({
          ...this.target(),
          Sqls: [...sqls],
          StatementName: options.statementName,
          ...(options.clientToken ? { ClientToken: options.clientToken } : {}),
        }),
      )
      .catch(mapError);
    if (!response.Id) throw new WarehouseStatementError('BatchExecuteStatement returned no statement id');
    return response.Id;
  }

  async describe(id: string): Promise<StatementDescription> {
    const d = await this.client.send(new DescribeStatementCommand({ Id: id })).catch(mapError);
    const rows =
      d.SubStatements && d.SubStatements.length > 0
        ? d.SubStatements.reduce((sum, s) => sum + Math.max(0, s.ResultRows ?? 0), 0)
        : d.ResultRows;
    const failed = d.SubStatements?.find((s) => s.Status === 'FAILED' || s.Error);
    const error = d.Error ?? failed?.Error;
    return {
      id,
      status: (d.Status ?? 'SUBMITTED') as StatementStatus,
      ...(error ? { error } : {}),
      ...(rows !== undefined && rows >= 0 ? { resultRows: rows } : {}),
      ...(d.Duration !== undefined && d.Duration >= 0 ? { durationMs: Math.round(d.Duration / 1e6) } : {}),
      ...(d.SubStatements && d.SubStatements.length > 0
        ? {
            subStatements: d.SubStatements.map((s) => ({
              status: (s.Status ?? 'SUBMITTED') as StatementStatus,
              ...(s.QueryString === undefined ? {} : { queryString: s.QueryString }),
            })),
          }
        : {}),
    };
  }

  /**
   * Ids of this role's statements whose name starts with `prefix` and whose status is `status`, every
   * page (100 a page). Statement names are matched case-sensitively by prefix (API reference,
   * ListStatements StatementName); RoleLevel true lists the statements of every session of the role.
   */
  async listStatements(prefix: string, status: StatementStatus): Promise<string[]> {
    const { Database, WorkgroupName, ClusterIdentifier } = this.target();
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListStatementsCommand({
            StatementName: prefix,
            Status: status,
            RoleLevel: true,
            MaxResults: 100,
            Database,
            ...(WorkgroupName ? { WorkgroupName } : {}),
            ...(ClusterIdentifier ? { ClusterIdentifier } : {}),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch(mapError);
      for (const s of page.Statements ?? []) if (s.Id) ids.push(s.Id);
      nextToken = page.NextToken;
    } while (nextToken);
    return ids;
  }

  async cancel(id: string): Promise<void> {
    await this.client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
  }

  /** Waits (server-side) for a short statement; throws if it failed or is still running. */
  private async awaitShort(id: string, initialStatus: string | undefined, what: string): Promise<void> {
    let status = initialStatus;
    if (status === undefined || !TERMINAL.has(status as StatementStatus)) {
      const d = await this.client
        .send(new DescribeStatementCommand({ Id: id, WaitTimeSeconds: SYNC_WAIT_SECONDS }))
        .catch(mapError);
      status = d.Status;
      if (status === 'FAILED' || status === 'ABORTED') throw statementFailed(what, status, d.Error);
      if (status !== 'FINISHED')
        throw new StatementStillRunningError(`${what} still ${status} (statement ${id})`);
      return;
    }
    if (status !== 'FINISHED') {
      const d = await this.client.send(new DescribeStatementCommand({ Id: id })).catch(mapError);
      throw statementFailed(what, status, d.Error);
    }
  }

  /** Runs statements as one transaction and waits for them (bookkeeping, small DDL). */
  async runTransaction(sqls: readonly string[], options: StatementOptions): Promise<void> {
    const response = await this.client
      .send(
        new BatchExecuteStatementCommand({
          ...this.target(),
          Sqls: [...sqls],
          StatementName: options.statementName,
          WaitTimeSeconds: SYNC_WAIT_SECONDS,
          ...(options.clientToken ? { ClientToken: options.clientToken } : {}),
        }),
      )
      .catch(mapError);
    if (!response.Id) throw new WarehouseStatementError('BatchExecuteStatement returned no statement id');
    await this.awaitShort(response.Id, response.Status, options.statementName);
  }

  /** Runs one statement (outside any transaction block, e.g. CREATE DATABASE) and waits for it. */
  async runStatement(sql: string, options: StatementOptions): Promise<string> {
    const response = await this.client
      .send(
        new ExecuteStatementCommand({
          ...this.target(),
          Sql: sql,
          StatementName: options.statementName,
          WaitTimeSeconds: SYNC_WAIT_SECONDS,
          ...(options.parameters ? { Parameters: Warehouse.parameters(options.parameters) } : {}),
          ...(options.clientToken ? { ClientToken: options.clientToken } : {}),
        }),
      )
      .catch(mapError);
    if (!response.Id) throw new WarehouseStatementError('ExecuteStatement returned no statement id');
    await this.awaitShort(response.Id, response.Status, options.statementName);
    return response.Id;
  }

  /** Runs a query and returns its rows as objects keyed by column name. */
  async query(sql: string, options: StatementOptions): Promise<Row[]> {
    const id = await this.runStatement(sql, options);
    const rows: Row[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client
        .send(new GetStatementResultCommand({ Id: id, ...(nextToken ? { NextToken: nextToken } : {}) }))
        .catch(mapError);
      const names = (page.ColumnMetadata ?? []).map((c, i) => c.name ?? c.label ?? `column${i}`);
      for (const record of page.Records ?? []) {
        const row: Row = {};
        record.forEach((field, i) => {
          row[names[i] ?? `column${i}`] = fieldValue(field);
        });
        rows.push(row);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return rows;
  }
}

/**
 * What the step cores need from the warehouse; the Data API `Warehouse` implements it, tests may fake it.
 * Which calls are one transaction is in the name: `submitTransaction` (a build: BatchExecuteStatement,
 * returns at once) and `runTransaction` (bookkeeping: BatchExecuteStatement, waited for) are one
 * transaction each; `runStatement` is one statement outside any transaction block (CREATE DATABASE,
 * a single INSERT); `query` reads; `runInTransactions` splits a long list into transactions of ≤ 40.
 */
export type WarehousePort = Pick<
  Warehouse,
  'submitTransaction' | 'describe' | 'cancel' | 'runTransaction' | 'runStatement' | 'query' | 'listStatements'
>;

/** Data API batches hold at most 40 statements; longer lists run as several transactions in order. */
export async function runInTransactions(
  warehouse: Pick<WarehousePort, 'runTransaction'>,
  sqls: readonly string[],
  statementName: string,
): Promise<void> {
  const BATCH = MAX_BATCH_STATEMENTS;
  for (let i = 0; i < sqls.length; i += BATCH) {
    await warehouse.runTransaction(sqls.slice(i, i + BATCH), {
      statementName: `${statementName}:${i / BATCH}`,
    });
  }
}
