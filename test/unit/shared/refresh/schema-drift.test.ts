import { describe, expect, it } from 'vitest';
import { driftInError, schemaDriftError, schemaDriftOf } from '../../../../shared/refresh/schema-drift.js';

const fct = { sources: ['public.orders'], refs: ['dim_customers'] };
const columnsOf = (model: string) => (model === 'dim_customers' ? ['customer_id', 'region'] : []);

describe('schema drift, named from the database error', () => {
  it('a missing landing table of the model, however the database qualifies it', () => {
    for (const error of [
      'ERROR: relation "aurora_zeroetl.public.orders" does not exist',
      'ERROR: relation "public.orders" does not exist',
      'ERROR: relation "orders" does not exist',
    ])
      expect(schemaDriftOf(fct, error, columnsOf), error).toEqual({
        relation: 'public.orders',
        missing: 'orders',
        kind: 'table',
      });
  });

  it('a missing column no curated upstream declares is a landing column; one an upstream declares is not drift', () => {
    expect(schemaDriftOf(fct, 'ERROR: column "created_at" does not exist', columnsOf)).toEqual({
      relation: 'public.orders',
      missing: 'created_at',
      kind: 'column',
    });
    expect(schemaDriftOf(fct, 'ERROR: column o.created_at does not exist', columnsOf)?.missing).toBe(
      'created_at',
    );
    // region comes from dim_customers: its contract is checked at compile time, not drift in the landing zone.
    expect(schemaDriftOf(fct, 'ERROR: column "region" does not exist', columnsOf)).toBeUndefined();
  });

  it('anything else is left as the database said it: other relations, other errors, models without landing tables', () => {
    expect(
      schemaDriftOf(fct, 'ERROR: relation "reporting.dim_customers" does not exist', columnsOf),
    ).toBeUndefined();
    expect(schemaDriftOf(fct, 'ERROR: division by zero', columnsOf)).toBeUndefined();
    expect(
      schemaDriftOf({ sources: [], refs: ['x'] }, 'ERROR: column "created_at" does not exist', columnsOf),
    ).toBeUndefined();
  });

  it('the run log text says it and the event reads it back', () => {
    const table = schemaDriftError(
      'fct_orders',
      { relation: 'public.orders', missing: 'orders', kind: 'table' },
      'FAILED: ERROR: x',
    );
    expect(table).toMatch(
      /^SourceSchemaDriftError: model fct_orders reads public\.orders, but landing table public\.orders no longer exists/,
    );
    expect(driftInError(table)).toEqual({ relation: 'public.orders', missing: 'orders' });
    const column = schemaDriftError(
      'fct_orders',
      { relation: 'public.orders', missing: 'created_at', kind: 'column' },
      'FAILED: ERROR: y',
    );
    expect(driftInError(column)).toEqual({ relation: 'public.orders', missing: 'created_at' });
    expect(driftInError('FAILED: ERROR: column "x" does not exist')).toBeUndefined();
  });
});
