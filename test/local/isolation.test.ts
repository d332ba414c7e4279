import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPgError } from '../../local/warehouse/errors.js';
import { explainFailure } from '../../local/warehouse/failure-messages.js';
import type { Db } from '../../local/warehouse/landing.js';
import { LocalRedshift } from '../../local/warehouse/local-redshift.js';
import { isSerializationConflict } from '../../shared/warehouse/serialization.js';

/**
 * Conformance: transactions of the local warehouse behave like Redshift's.
 *
 * - Redshift runs every transaction on one snapshot of the database, taken at its first SELECT, DML or
 *   CREATE TABLE (developer guide "Serializable isolation"); a database is SERIALIZABLE (provisioned
 *   default) or SNAPSHOT (Serverless default) — SQL reference "CREATE DATABASE", ISOLATION LEVEL. The
 *   local warehouse runs each Data API request at PostgreSQL's REPEATABLE READ, its snapshot isolation,
 *   the weaker of the two: SNAPSHOT "doesn't prevent write skew", so code that is correct there is
 *   correct under SERIALIZABLE too.
 * - A transaction Redshift cannot serialise is stopped with "ERROR: 1023 DETAIL: Serializable isolation
 *   violation on table …" (developer guide "Serializable isolation", "How to fix serializable isolation
 *   errors"); PostgreSQL's equivalent, SQLSTATE 40001, is reported in that shape.
 */

let warehouse: LocalRedshift;

beforeAll(async () => {
  warehouse = await LocalRedshift.create();
});
afterAll(async () => {
  await warehouse?.close();
});

const isolationOf = async (mode: 'TRANSACTION' | 'AUTO_COMMIT', statements: string[]) => {
  const outcome = await warehouse.execute({
    database: 'dev',
    statements: statements.map((sql) => ({ sql })),
    mode,
  });
  return outcome.statements.map((s) => (s.status === 'FINISHED' ? s.result?.rows[0]?.[0] : s.error));
};

describe('Data API requests run with snapshot semantics (dev guide "Serializable isolation")', () => {
  it('a batch runs as one transaction at REPEATABLE READ, from its first statement to its last', async () => {
    expect(
      await isolationOf('TRANSACTION', [
        "SELECT current_setting('transaction_isolation')",
        'CREATE TEMP TABLE zeo_iso_probe (n INT)',
        "SELECT current_setting('transaction_isolation')",
      ]),
    ).toEqual(['repeatable read', undefined, 'repeatable read']);
  });

  it('a single statement (ExecuteStatement) runs at REPEATABLE READ too', async () => {
    expect(await isolationOf('AUTO_COMMIT', ["SELECT current_setting('transaction_isolation')"])).toEqual([
      'repeatable read',
    ]);
  });
});

describe('a serialization failure reads like Redshift\'s ERROR 1023 (dev guide "Serializable isolation")', () => {
  const noCatalog: Db = {
    query: () => Promise.reject(new Error('a serialization failure needs no catalog lookup')),
    exec: () => Promise.reject(new Error('a serialization failure needs no catalog lookup')),
  };
  const pgFailure = (message: string) => Object.assign(new Error(message), { code: '40001' });

  it.each([
    'could not serialize access due to concurrent update',
    'could not serialize access due to concurrent delete',
    'could not serialize access due to read/write dependencies among transactions',
  ])('SQLSTATE 40001 "%s"', async (message) => {
    const failure = pgFailure(message);
    expect(isPgError(failure)).toBe(true);
    const text = await explainFailure(failure, 'DELETE FROM "zeo"."model_lease"', noCatalog, []);
    expect(text).toMatch(/^ERROR: 1023 DETAIL: Serializable isolation violation on table /);
    expect(text).toContain(message);
    // …so the orchestrator classifies it as it would Redshift's (retryable, not a model failure).
    expect(isSerializationConflict(text)).toBe(true);
  });
});
