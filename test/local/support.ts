import { RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeStatementCommand,
  type DescribeStatementResponse,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';

/** Real SDK clients pointed at a local endpoint, with dummy credentials (never the default chain). */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export const dataClient = (endpoint: string) =>
  new RedshiftDataClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

export const rdsClient = (endpoint: string) =>
  new RDSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

const TERMINAL = new Set(['FINISHED', 'FAILED', 'ABORTED']);

/** Polls DescribeStatement until the statement is FINISHED, FAILED or ABORTED. */
export async function waitForStatement(
  client: RedshiftDataClient,
  id: string,
): Promise<DescribeStatementResponse> {
  for (let i = 0; i < 500; i++) {
    const described = await client.send(new DescribeStatementCommand({ Id: id }));
    if (TERMINAL.has(described.Status ?? '')) return described;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`statement ${id} did not finish`);
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the promise to reject');
}
