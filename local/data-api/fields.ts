import type { RawValue, ResultColumn } from '../warehouse/result.js';

/** Data API result encoding: one Field union per value, plus column metadata. */

export type Field =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string };

const INTEGER_TYPES = new Set([20, 21, 23, 26]);
const FLOAT_TYPES = new Set([700, 701]);
const SIGNED_TYPES = new Set([20, 21, 23, 700, 701, 1700]);
const TEXT_TYPES = new Set([25, 1042, 1043, 19]);

export function toField(value: RawValue, column: ResultColumn): Field {
  if (value === null) return { isNull: true };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { stringValue: String(value) };
    if (INTEGER_TYPES.has(column.typeOid)) return { longValue: value };
    if (FLOAT_TYPES.has(column.typeOid)) return { doubleValue: value };
    return { stringValue: String(value) };
  }
  return { stringValue: value };
}

export interface ColumnMetadata {
  name: string;
  label: string;
  typeName: string;
  nullable: number;
  isSigned: boolean;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  schemaName: string;
  tableName: string;
  precision: number;
  scale: number;
  length: number;
}

export function columnMetadata(column: ResultColumn): ColumnMetadata {
  return {
    name: column.name,
    label: column.name,
    typeName: column.typeName,
    // 1 = columnNullable: PostgreSQL does not report nullability of result columns.
    nullable: 1,
    isSigned: SIGNED_TYPES.has(column.typeOid),
    isCaseSensitive: TEXT_TYPES.has(column.typeOid),
    isCurrency: false,
    schemaName: '',
    tableName: '',
    precision: 0,
    scale: 0,
    length: 0,
  };
}

/** Approximate size of a result in bytes (Data API `ResultSize`). */
export function resultSize(rows: readonly RawValue[][]): number {
  let size = 0;
  for (const row of rows) for (const value of row) size += value === null ? 0 : String(value).length;
  return size;
}
