import { readFileSync } from 'node:fs';
import type { PGliteInterface } from '@electric-sql/pglite';
import { freshPGlite } from '../pglite.js';

/**
 * The "Aurora PostgreSQL" source: a second PGlite instance. Tests and the scenario change its data
 * directly (`source.exec(...)`); the replication simulator reads table definitions and rows from it.
 */

export interface SourceColumn {
  name: string;
  /** `format_type` of the column, e.g. `numeric(12,2)`. */
  type: string;
  notNull: boolean;
}

export interface SourceTable {
  schema: string;
  table: string;
  columns: SourceColumn[];
  primaryKey: string[];
  /** Changes whenever columns or the primary key change: a changed signature means a resync. */
  signature: string;
}

export interface AuroraSourceOptions {
  /** The database name zero-ETL sees (`CREATE DATABASE … DATABASE <this>`). */
  database?: string;
  clusterIdentifier?: string;
  region?: string;
  account?: string;
  /** SQL to load: the shop example (default), nothing, or statements of your own. */
  seed?: 'shop' | 'empty' | readonly string[];
  /** An empty PGlite instance to use instead of a fresh one. */
  db?: PGliteInterface;
}

const SHOP_SOURCE = new URL('../../examples/shop/source/', import.meta.url);

/** The shop example's source schema and deterministic seed data. */
export function shopSourceSql(): string[] {
  return ['schema.sql', 'seed.sql'].map((file) => readFileSync(new URL(file, SHOP_SOURCE), 'utf8'));
}

const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema', 'pg_toast')`;

export class AuroraSource {
  readonly db: PGliteInterface;
  readonly database: string;
  readonly clusterIdentifier: string;
  readonly clusterArn: string;

  private constructor(db: PGliteInterface, options: AuroraSourceOptions) {
    this.db = db;
    this.database = options.database ?? 'shop';
    this.clusterIdentifier = options.clusterIdentifier ?? 'shop-aurora';
    this.clusterArn = `arn:aws:rds:${options.region ?? 'us-east-1'}:${options.account ?? '123456789012'}:cluster:${this.clusterIdentifier}`;
  }

  static async create(options: AuroraSourceOptions = {}): Promise<AuroraSource> {
    const db = options.db ?? (await freshPGlite());
    const seed = options.seed ?? 'shop';
    const statements = seed === 'shop' ? shopSourceSql() : seed === 'empty' ? [] : seed;
    for (const sql of statements) await db.exec(sql);
    return new AuroraSource(db, options);
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(sql, [...params])).rows;
  }

  /** Every ordinary table outside the system schemas, with columns and primary key. */
  async tables(): Promise<SourceTable[]> {
    const rows = await this.query<{ schema: string; table: string; columns: string; pk: string }>(
      `SELECT n.nspname AS schema, c.relname AS table,
         (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull) ORDER BY a.attnum)::text
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
         COALESCE((SELECT json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))::text
          FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = c.oid AND i.indisprimary), '[]') AS pk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_temp%'
       ORDER BY 1, 2`,
    );
    return rows.map((r) => {
      const columns = JSON.parse(r.columns ?? '[]') as SourceColumn[];
      const primaryKey = JSON.parse(r.pk) as string[];
      return {
        schema: r.schema,
        table: r.table,
        columns,
        primaryKey,
        signature: JSON.stringify({ columns, primaryKey }),
      };
    });
  }

  /** All rows of a table as a JSON array (text), the way the simulator ships them. */
  async rowsJson(table: Pick<SourceTable, 'schema' | 'table'>): Promise<string> {
    const relation = `"${table.schema.replaceAll('"', '""')}"."${table.table.replaceAll('"', '""')}"`;
    const [row] = await this.query<{ rows: string }>(
      `SELECT COALESCE(json_agg(t), '[]')::text AS rows FROM ${relation} t`,
    );
    return row?.rows ?? '[]';
  }

  /** A position in the source's transaction stream: every transaction below it has finished. */
  async position(): Promise<number> {
    const [row] = await this.query<{ xmax: string }>(
      'SELECT txid_snapshot_xmax(txid_current_snapshot())::text AS xmax',
    );
    return Number(row?.xmax ?? 0);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
