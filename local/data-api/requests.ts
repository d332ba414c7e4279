import * as z from 'zod';
import { DataApiError } from './errors.js';

/** Request bodies of the Data API operations the local endpoint implements (fields as on the wire). */

const Parameter = z.object({ name: z.string(), value: z.string() });

const Target = {
  Database: z.string().optional(),
  WorkgroupName: z.string().optional(),
  ClusterIdentifier: z.string().optional(),
  SecretArn: z.string().optional(),
  DbUser: z.string().optional(),
  StatementName: z.string().max(500).optional(),
  WithEvent: z.boolean().optional(),
  ClientToken: z.string().optional(),
  Parameters: z.array(Parameter).optional(),
  ResultFormat: z.enum(['JSON', 'CSV']).optional(),
  SessionId: z.string().optional(),
  SessionKeepAliveSeconds: z.number().optional(),
  WaitTimeSeconds: z.number().int().optional(),
};

export const ExecuteStatementRequest = z.object({ Sql: z.string(), ...Target });
export type ExecuteStatementRequest = z.infer<typeof ExecuteStatementRequest>;

export const BatchExecuteStatementRequest = z.object({
  Sqls: z.array(z.string()),
  ExecutionMode: z.enum(['TRANSACTION', 'AUTO_COMMIT']).optional(),
  ...Target,
});
export type BatchExecuteStatementRequest = z.infer<typeof BatchExecuteStatementRequest>;

export const IdRequest = z.object({
  Id: z.string(),
  WaitTimeSeconds: z.number().int().optional(),
  NextToken: z.string().optional(),
});

export const ListStatementsRequest = z.object({
  StatementName: z.string().optional(),
  Status: z.enum(['ABORTED', 'ALL', 'FAILED', 'FINISHED', 'PICKED', 'STARTED', 'SUBMITTED']).optional(),
  MaxResults: z.number().int().min(0).max(100).optional(),
  NextToken: z.string().optional(),
  RoleLevel: z.boolean().optional(),
  Database: z.string().optional(),
  WorkgroupName: z.string().optional(),
  ClusterIdentifier: z.string().optional(),
});

export function parseRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataApiError(
      'ValidationException',
      `1 validation error detected: Value at '${issue?.path.join('.') ?? ''}' failed to satisfy constraint: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
