import { DataApiError } from './errors.js';
import type { BatchExecuteStatementRequest, ExecuteStatementRequest } from './requests.js';
import type { StatementTarget } from './statements.js';

/** The Data API's request checks that come before anything runs. */

export const MAX_WAIT_SECONDS = 30;

export interface TargetRules {
  /** Workgroup names accepted; empty = any. */
  workgroupNames: readonly string[];
  /** Cluster identifiers accepted; empty = any. */
  clusterIdentifiers: readonly string[];
}

/** Where a statement runs: exactly one of workgroup and cluster, a database, and no session. */
export function statementTarget(
  request: ExecuteStatementRequest | BatchExecuteStatementRequest,
  rules: TargetRules,
): StatementTarget {
  if (request.SessionId !== undefined || request.SessionKeepAliveSeconds !== undefined) {
    throw new DataApiError(
      'ValidationException',
      'local stack: Data API sessions (SessionId, SessionKeepAliveSeconds) are not supported',
    );
  }
  const { WorkgroupName: workgroup, ClusterIdentifier: cluster } = request;
  if ((workgroup === undefined) === (cluster === undefined)) {
    throw new DataApiError(
      'ValidationException',
      workgroup === undefined
        ? 'Either ClusterIdentifier or WorkgroupName must be specified.'
        : 'Specify either ClusterIdentifier or WorkgroupName, not both.',
    );
  }
  // WorkgroupName accepts "the serverless workgroup name or Amazon Resource Name (ARN)".
  const workgroupName = workgroup?.replace(/^arn:aws[a-z-]*:redshift-serverless:[^:]*:\d*:workgroup\//, '');
  const unknownWorkgroup =
    workgroupName !== undefined &&
    rules.workgroupNames.length > 0 &&
    !rules.workgroupNames.includes(workgroupName);
  const unknownCluster =
    cluster !== undefined &&
    rules.clusterIdentifiers.length > 0 &&
    !rules.clusterIdentifiers.includes(cluster);
  if (unknownWorkgroup || unknownCluster) {
    throw new DataApiError('ValidationException', "Redshift endpoint doesn't exist in this region.");
  }
  if (request.DbUser !== undefined && workgroup !== undefined) {
    throw new DataApiError(
      'ValidationException',
      'DbUser is not supported for Redshift Serverless workgroups.',
    );
  }
  if (!request.Database) throw new DataApiError('ValidationException', 'Database is required.');
  if (request.ResultFormat === 'CSV') {
    throw new DataApiError('ValidationException', 'local stack: ResultFormat CSV is not supported');
  }
  checkWaitTime(request.WaitTimeSeconds);
  return {
    database: request.Database,
    ...(workgroup === undefined ? {} : { workgroupName: workgroup }),
    ...(cluster === undefined ? {} : { clusterIdentifier: cluster }),
    ...(request.SecretArn === undefined ? {} : { secretArn: request.SecretArn }),
    ...(request.DbUser === undefined ? {} : { dbUser: request.DbUser }),
  };
}

export function checkWaitTime(seconds: number | undefined): void {
  if (seconds !== undefined && (seconds < 0 || seconds > MAX_WAIT_SECONDS)) {
    throw new DataApiError(
      'ValidationException',
      `WaitTimeSeconds must be between 0 and ${MAX_WAIT_SECONDS}.`,
    );
  }
}

/** Every statement non-empty and within the per-statement size limit (100 KB on Redshift). */
export function checkStatementSizes(sqls: readonly string[], maxBytes: number): void {
  for (const sql of sqls) {
    if (sql.trim() === '') throw new DataApiError('ValidationException', 'The SQL statement is empty.');
    const bytes = Buffer.byteLength(sql);
    if (bytes > maxBytes) {
      throw new DataApiError(
        'ValidationException',
        `Statement is too large. Statement size: ${bytes} bytes. Maximum statement size: ${maxBytes} bytes.`,
      );
    }
  }
}
