import type { PGliteInterface } from '@electric-sql/pglite';

/** A value as the warehouse hands it to the Data API: exact text for everything but booleans and numbers. */
export type RawValue = string | number | boolean | null;

export interface ResultColumn {
  name: string;
  /** PostgreSQL/Redshift type name (`int8`, `varchar`, `numeric`, `timestamp`, …). */
  typeName: string;
  typeOid: number;
}

export interface StatementResult {
  columns: ResultColumn[];
  rows: RawValue[][];
  /** Rows returned (queries) or affected (DML); 0 for DDL. */
  rowCount: number;
  hasResultSet: boolean;
}

export const EMPTY_RESULT: StatementResult = { columns: [], rows: [], rowCount: 0, hasResultSet: false };

const keepText = (value: string) => value;

/**
 * PGlite's default parsers turn timestamps into JS Dates (losing microseconds and applying the local
 * time zone), bigints into numbers and JSON into objects. The Data API returns those as text, so
 * they are kept as PostgreSQL printed them.
 */
export const RAW_PARSERS: Record<number, (value: string) => RawValue> = {
  17: keepText, // bytea
  20: keepText, // int8: converted to a number only when it is exact
  114: keepText, // json
  1082: keepText, // date
  1083: keepText, // time
  1114: keepText, // timestamp
  1184: keepText, // timestamptz
  1186: keepText, // interval
  1266: keepText, // timetz
  3802: keepText, // jsonb
};

/** OID → type name, loaded once and refreshed when a statement returns a type created since. */
export class TypeNames {
  #names = new Map<number, string>();

  async load(db: Pick<PGliteInterface, 'query'>): Promise<void> {
    const result = await db.query<{ oid: number; typname: string }>(
      'SELECT oid::int AS oid, typname FROM pg_type',
    );
    this.#names = new Map(result.rows.map((r) => [r.oid, r.typname]));
  }

  has(oid: number): boolean {
    return this.#names.has(oid);
  }

  name(oid: number): string {
    return this.#names.get(oid) ?? 'unknown';
  }
}
