import { describe, expect, it } from 'vitest';
import { compareColumns, narrowing } from '../../../../shared/check/columns.js';
import type { ManifestModel } from '../../../../shared/project/manifest.js';

const model = (
  overrides: Partial<ManifestModel> = {},
): Pick<ManifestModel, 'columns' | 'uniqueKey' | 'dist' | 'sort'> => ({
  columns: [
    { name: 'order_id', type: 'bigint', notNull: true },
    { name: 'status', type: 'varchar(16)', notNull: true },
    { name: 'amount', type: 'numeric(12,2)', notNull: false },
  ],
  uniqueKey: ['order_id'],
  dist: { style: 'key', column: 'order_id' },
  sort: { style: 'compound', columns: ['order_id'] },
  ...overrides,
});

describe('zeo check: produced columns against the contract', () => {
  it('accepts a SELECT that produces exactly the declared columns in types that hold them', () => {
    expect(
      compareColumns(model(), [
        { name: 'order_id', type: 'integer' },
        { name: 'status', type: 'character varying(10)' },
        { name: 'amount', type: 'numeric(10,2)' },
      ]),
    ).toEqual([]);
  });

  it('names missing, extra and reordered columns and keys on columns the SELECT does not produce', () => {
    const problems = compareColumns(model(), [
      { name: 'status', type: 'text' },
      { name: 'amount', type: 'numeric(12,2)' },
      { name: 'note', type: 'text' },
    ]);
    expect(problems.map((p) => [p.severity, p.column ?? '', p.message.split(':')[0]])).toEqual([
      ['problem', 'order_id', 'declared but the SELECT does not produce it'],
      ['note', 'status', 'declared varchar(16), the SELECT produces text'],
      ['problem', 'note', 'produced by the SELECT (text) but not declared'],
      ['problem', 'order_id', 'unique_key names a column the SELECT does not produce'],
      ['problem', 'order_id', 'dist key names a column the SELECT does not produce'],
      ['problem', 'order_id', 'sort key names a column the SELECT does not produce'],
    ]);
    const reordered = compareColumns(model(), [
      { name: 'status', type: 'varchar(16)' },
      { name: 'order_id', type: 'bigint' },
      { name: 'amount', type: 'numeric(12,2)' },
    ]);
    expect(reordered).toEqual([
      expect.objectContaining({
        severity: 'note',
        message: expect.stringMatching(/another order.*matches them by name/),
      }),
    ]);
  });

  it('tells types that cannot hold the values (problem) from narrower ones that hold small values (note)', () => {
    expect(narrowing('character varying(20)', 'numeric(18,2)')?.severity).toBe('problem');
    expect(narrowing('numeric(12,4)', 'numeric(12,2)')?.severity).toBe('problem');
    expect(narrowing('double precision', 'bigint')?.severity).toBe('problem');
    expect(narrowing('timestamp without time zone', 'date')?.severity).toBe('problem');
    expect(narrowing('boolean', 'integer')?.severity).toBe('problem');
    expect(narrowing('bigint', 'integer')?.severity).toBe('note');
    expect(narrowing('text', 'varchar(16)')?.severity).toBe('note');
    expect(narrowing('numeric', 'bigint')?.severity).toBe('note');
    expect(narrowing('integer', 'bigint')).toBeUndefined();
    expect(narrowing('date', 'timestamp')).toBeUndefined();
    expect(narrowing('numeric(10,2)', 'numeric(18,2)')).toBeUndefined();
    expect(narrowing('bigint', 'varchar(32)')).toBeUndefined();
  });
});
