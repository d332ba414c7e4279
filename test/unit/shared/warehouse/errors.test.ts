import {
  ActiveStatementsExceededException,
  ActiveWaitingRequestsExceededException,
  ExecuteStatementCommand,
  RedshiftDataClient,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DataApiThrottledError } from '../../../../shared/errors.js';
import { Warehouse } from '../../../../shared/warehouse/warehouse.js';

/** Which Data API errors mean "later" (DataApiThrottledError, retried by the ASL) and which pass through. */

const data = mockClient(RedshiftDataClient);
afterEach(() => data.reset());
const warehouse = () =>
  new Warehouse(new RedshiftDataClient({ region: 'us-east-1' }), {
    database: 'dev',
    workgroupName: 'analytics',
  });

describe('Data API errors', () => {
  it.each([
    [
      'ActiveStatementsExceededException',
      new ActiveStatementsExceededException({ message: 'too many', $metadata: {} }),
    ],
    // Data API reference, ExecuteStatement errors: too many requests waiting (facts §10).
    [
      'ActiveWaitingRequestsExceededException',
      new ActiveWaitingRequestsExceededException({ message: 'waiting', $metadata: {} }),
    ],
  ])('%s is retryable: DataApiThrottledError', async (name, error) => {
    data.on(ExecuteStatementCommand).rejects(error);
    const failure = await warehouse()
      .execute('SELECT 1', { statementName: 'zeo:test' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataApiThrottledError);
    expect((failure as Error).message).toContain(name);
  });

  it('a ValidationException is not retried: it passes through as itself', async () => {
    data.on(ExecuteStatementCommand).rejects(new ValidationException({ message: 'bad', $metadata: {} }));
    const failure = await warehouse()
      .execute('SELECT 1', { statementName: 'zeo:test' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ValidationException);
  });
});
