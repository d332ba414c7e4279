import {
  ActiveStatementsExceededException,
  ActiveWaitingRequestsExceededException,
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataApiThrottledError,
  SerializationConflictError,
  WarehouseStatementError,
} from '../../../../shared/errors.js';
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
      .runStatement('SELECT 1', { statementName: 'zeo:test' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataApiThrottledError);
    expect((failure as Error).message).toContain(name);
  });

  it('a ValidationException is not retried: it passes through as itself', async () => {
    data.on(ExecuteStatementCommand).rejects(new ValidationException({ message: 'bad', $metadata: {} }));
    const failure = await warehouse()
      .runStatement('SELECT 1', { statementName: 'zeo:test' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ValidationException);
  });

  // Developer guide "Serializable isolation": a transaction Redshift cannot serialise is stopped with
  // ERROR 1023, and the remedy is to retry it. A short statement failing so is retried by the ASL.
  it.each([
    [
      'Redshift ERROR 1023',
      'ERROR: 1023 DETAIL: Serializable isolation violation on table - 119371, transactions forming the cycle are: 1745830, 1745762 (pid:15021)',
    ],
    [
      'Redshift ERROR 1018 (a relation swapped in after the snapshot)',
      'ERROR: 1018 DETAIL: Relation does not exist.',
    ],
    [
      'the local stack (PostgreSQL 40001)',
      'ERROR: 1023 DETAIL: Serializable isolation violation on table - (local stack: PostgreSQL could not serialize access due to concurrent delete)',
    ],
  ])(
    'a short statement stopped by a serialization conflict (%s) is retryable: SerializationConflictError',
    async (_from, error) => {
      data.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
      data.on(DescribeStatementCommand).resolves({ Id: 'b1', Status: 'FAILED', Error: error });
      const failure = await warehouse()
        .runTransaction(['LOCK "zeo"."model_lease"', 'DELETE FROM "zeo"."model_lease"'], {
          statementName: 'zeo:test:lease',
        })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SerializationConflictError);
      expect((failure as Error).message).toContain(error);
    },
  );

  it.each(['ERROR: division by zero', 'ERROR: relation "reporting.nope" does not exist'])(
    'any other failed statement stays a WarehouseStatementError: %s',
    async (text) => {
      data.on(ExecuteStatementCommand).resolves({ Id: 'e1', Status: 'FAILED' });
      data.on(DescribeStatementCommand).resolves({ Id: 'e1', Status: 'FAILED', Error: text });
      const failure = await warehouse()
        .runStatement('SELECT 1 / 0', { statementName: 'zeo:test' })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(WarehouseStatementError);
      expect(failure).not.toBeInstanceOf(SerializationConflictError);
    },
  );
});
