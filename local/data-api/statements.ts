import type { StatementResult } from '../warehouse/result.js';
import type { SqlParameter } from './parameters.js';

/** What the local Data API remembers about each statement it accepted. */

export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

export const isTerminal = (status: StatementStatus): boolean =>
  status === 'FINISHED' || status === 'FAILED' || status === 'ABORTED';

export interface StatementTarget {
  database: string;
  workgroupName?: string;
  clusterIdentifier?: string;
  secretArn?: string;
  dbUser?: string;
}

export interface SubStatement {
  /** 1-based position in the batch. */
  index: number;
  sql: string;
  status: StatementStatus;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
  durationNs: number;
  result?: StatementResult;
  queryId: number;
}

/** Who submitted a statement: only the same caller may act on it (see local/iam/identities.ts). */
export interface StatementOwner {
  userId: string;
  arn: string;
  roleName?: string;
  /** The database user the statement ran as. */
  databaseUser: string;
}

export interface StatementRecord {
  id: string;
  isBatch: boolean;
  owner: StatementOwner;
  target: StatementTarget;
  statementName?: string;
  withEvent: boolean;
  parameters?: SqlParameter[];
  executionMode?: 'TRANSACTION' | 'AUTO_COMMIT';
  subs: SubStatement[];
  status: StatementStatus;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
  durationNs: number;
  pid: number;
  abortRequested: boolean;
  /** Looks still to answer STARTED whatever the real status (a StatementDelay fault, see faults.ts). */
  startedLooks: number;
  /** Resolves when the statement reaches a terminal status. */
  done: Promise<void>;
  markDone: () => void;
}

/** Resolves when the statement ends or after `seconds` (WaitTimeSeconds), whichever comes first. */
export async function waitForTerminal(record: StatementRecord, seconds: number): Promise<void> {
  if (isTerminal(record.status)) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    record.done,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, seconds * 1000);
    }),
  ]);
  clearTimeout(timer);
}

/** The reply fields of DescribeStatement (epoch-second dates, as on the wire). */
export type DescribeReply = Record<string, unknown>;

const epoch = (date: Date) => date.getTime() / 1000;

const resultRows = (sub: SubStatement) => (sub.status === 'FINISHED' ? (sub.result?.rowCount ?? 0) : -1);

function targetFields(record: StatementRecord): DescribeReply {
  const t = record.target;
  return {
    Database: t.database,
    ...(t.workgroupName === undefined ? {} : { WorkgroupName: t.workgroupName }),
    ...(t.clusterIdentifier === undefined ? {} : { ClusterIdentifier: t.clusterIdentifier }),
    ...(t.secretArn === undefined ? {} : { SecretArn: t.secretArn }),
    DbUser: t.dbUser ?? (t.workgroupName === undefined ? 'awsuser' : 'IAM:local'),
  };
}

function subFields(record: StatementRecord, sub: SubStatement): DescribeReply {
  return {
    Id: `${record.id}:${sub.index}`,
    Status: sub.status,
    Duration: sub.durationNs,
    ...(sub.error === undefined ? {} : { Error: sub.error }),
    CreatedAt: epoch(sub.createdAt),
    UpdatedAt: epoch(sub.updatedAt),
    QueryString: sub.sql,
    ResultRows: resultRows(sub),
    ResultSize: sub.result ? JSON.stringify(sub.result.rows).length : 0,
    RedshiftQueryId: sub.queryId,
    HasResultSet: sub.result?.hasResultSet ?? false,
  };
}

export function describe(record: StatementRecord, subIndex?: number): DescribeReply {
  const common = {
    ...targetFields(record),
    RedshiftPid: record.pid,
    ResultFormat: 'JSON',
    ...(record.parameters && record.parameters.length > 0 ? { QueryParameters: record.parameters } : {}),
  };
  if (subIndex !== undefined) {
    const sub = record.subs[subIndex - 1];
    return sub ? { ...common, ...subFields(record, sub) } : {};
  }
  const first = record.subs[0];
  if (!record.isBatch && first) {
    return {
      ...common,
      Id: record.id,
      Status: record.status,
      Duration: record.durationNs,
      ...(record.error === undefined ? {} : { Error: record.error }),
      CreatedAt: epoch(record.createdAt),
      UpdatedAt: epoch(record.updatedAt),
      QueryString: first.sql,
      ResultRows: resultRows(first),
      ResultSize: first.result ? JSON.stringify(first.result.rows).length : 0,
      RedshiftQueryId: first.queryId,
      HasResultSet: first.result?.hasResultSet ?? false,
    };
  }
  const finished = record.subs.filter((s) => s.status === 'FINISHED');
  return {
    ...common,
    Id: record.id,
    Status: record.status,
    Duration: record.durationNs,
    ...(record.error === undefined ? {} : { Error: record.error }),
    CreatedAt: epoch(record.createdAt),
    UpdatedAt: epoch(record.updatedAt),
    ResultRows:
      record.status === 'FINISHED' ? finished.reduce((n, s) => n + (s.result?.rowCount ?? 0), 0) : -1,
    ResultSize: 0,
    RedshiftQueryId: 0,
    HasResultSet: record.subs.some((s) => s.result?.hasResultSet === true),
    ...(record.executionMode === undefined ? {} : { ExecutionMode: record.executionMode }),
    SubStatements: record.subs.map((s) => subFields(record, s)),
  };
}

/** One entry of ListStatements. */
export function listEntry(record: StatementRecord): DescribeReply {
  return {
    Id: record.id,
    Status: record.status,
    ...(record.statementName === undefined ? {} : { StatementName: record.statementName }),
    CreatedAt: epoch(record.createdAt),
    UpdatedAt: epoch(record.updatedAt),
    IsBatchStatement: record.isBatch,
    ...(record.isBatch
      ? { QueryStrings: record.subs.map((s) => s.sql) }
      : { QueryString: record.subs[0]?.sql }),
    ...(record.target.secretArn === undefined ? {} : { SecretArn: record.target.secretArn }),
    ...(record.parameters && record.parameters.length > 0 ? { QueryParameters: record.parameters } : {}),
    ResultFormat: 'JSON',
  };
}

/**
 * `reply` (a DescribeStatement or ListStatements entry) as it reads while the statement is still
 * STARTED: no end, no error, no result rows yet, and sub-statements that have not ended either.
 */
export function asStarted(reply: DescribeReply): DescribeReply {
  const { Error: _error, ...rest } = reply;
  const started: DescribeReply = { ...rest, Status: 'STARTED' };
  if ('ResultRows' in reply) started.ResultRows = -1;
  if ('HasResultSet' in reply) started.HasResultSet = false;
  const subs = reply.SubStatements;
  if (Array.isArray(subs)) {
    started.SubStatements = subs.map((sub: DescribeReply) =>
      sub.Status === 'FINISHED' || sub.Status === 'FAILED' || sub.Status === 'ABORTED' ? asStarted(sub) : sub,
    );
  }
  return started;
}
