import { localSchemaForDatabase } from '../redshift-dialect.js';
import { type Db, landingRelation, quoteIdent } from '../warehouse/landing.js';
import type { SourceTable } from './source.js';

/**
 * Moving rows from the source into a landing table, keyed on the primary key: state replication, not
 * append. Rows travel as JSON text and are rebuilt with `json_populate_recordset`, so values keep
 * their exact PostgreSQL text form (no JavaScript number or Date in between).
 */

export interface MergeCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

interface LandingDefinition {
  columns: SourceTable['columns'];
  primaryKey: string[];
  primaryKeyConstraint: string | undefined;
}

async function landingDefinition(db: Db, relation: string): Promise<LandingDefinition | undefined> {
  const result = await db.query<{ columns: string | null; pk: string | null; constraint: string | null }>(
    `SELECT
       (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull) ORDER BY a.attnum)::text
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))::text
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = c.oid AND i.indisprimary) AS pk,
       (SELECT conname FROM pg_constraint WHERE conrelid = c.oid AND contype = 'p') AS "constraint"
     FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [relation],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    columns: JSON.parse(row.columns ?? '[]') as SourceTable['columns'],
    primaryKey: JSON.parse(row.pk ?? '[]') as string[],
    primaryKeyConstraint: row.constraint ?? undefined,
  };
}

async function createLandingTable(db: Db, relation: string, table: SourceTable): Promise<void> {
  const columns = table.columns.map((c) => `${quoteIdent(c.name)} ${c.type}${c.notNull ? ' NOT NULL' : ''}`);
  if (table.primaryKey.length > 0)
    columns.push(`PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(', ')})`);
  await db.exec(`CREATE TABLE ${relation} (${columns.join(', ')})`);
}

/** ALTERs an (empty) landing table to the source definition, column by column. */
async function alterLandingTable(db: Db, relation: string, current: LandingDefinition, table: SourceTable) {
  if (current.primaryKeyConstraint) {
    await db.exec(`ALTER TABLE ${relation} DROP CONSTRAINT ${quoteIdent(current.primaryKeyConstraint)}`);
  }
  const wanted = new Map(table.columns.map((c) => [c.name, c]));
  for (const column of current.columns) {
    if (!wanted.has(column.name))
      await db.exec(`ALTER TABLE ${relation} DROP COLUMN ${quoteIdent(column.name)}`);
  }
  for (const column of table.columns) {
    const name = quoteIdent(column.name);
    const existing = current.columns.find((c) => c.name === column.name);
    if (!existing) {
      await db.exec(
        `ALTER TABLE ${relation} ADD COLUMN ${name} ${column.type}${column.notNull ? ' NOT NULL' : ''}`,
      );
      continue;
    }
    if (existing.type !== column.type) {
      await db.exec(
        `ALTER TABLE ${relation} ALTER COLUMN ${name} TYPE ${column.type} USING NULL::${column.type}`,
      );
    }
    if (existing.notNull !== column.notNull) {
      await db.exec(
        `ALTER TABLE ${relation} ALTER COLUMN ${name} ${column.notNull ? 'SET' : 'DROP'} NOT NULL`,
      );
    }
  }
  if (table.primaryKey.length > 0) {
    await db.exec(`ALTER TABLE ${relation} ADD PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(', ')})`);
  }
}

/**
 * Makes the landing table for `table` exist, empty, with the source's current definition — ready for
 * a full load. An existing table is emptied and altered in place rather than dropped, because curated
 * materialized views may read it (PostgreSQL tracks that dependency; Redshift's cross-database
 * references do not). Only when an ALTER collides with such a dependency is the table re-created,
 * taking the dependent views with it, as a column they read would break them on Redshift too.
 */
export async function prepareLandingTable(db: Db, database: string, table: SourceTable): Promise<string> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(localSchemaForDatabase(database, table.schema))}`);
  const relation = landingRelation(database, table.schema, table.table);
  const current = await landingDefinition(db, relation);
  if (!current) {
    await createLandingTable(db, relation, table);
    return relation;
  }
  await db.exec(`DELETE FROM ${relation}`);
  const same =
    JSON.stringify(current.columns) === JSON.stringify(table.columns) &&
    JSON.stringify(current.primaryKey) === JSON.stringify(table.primaryKey);
  if (same) return relation;
  await db.exec('SAVEPOINT landing_definition');
  try {
    await alterLandingTable(db, relation, current, table);
    await db.exec('RELEASE SAVEPOINT landing_definition');
  } catch {
    await db.exec('ROLLBACK TO SAVEPOINT landing_definition');
    await db.exec(`DROP TABLE ${relation} CASCADE`);
    await createLandingTable(db, relation, table);
  }
  return relation;
}

/**
 * The source table is gone (or filtered out): drop its landing table, or — when curated views read
 * it — keep it empty (its state becomes Deleted, so it cannot be queried anyway).
 */
export async function removeLandingTable(
  db: Db,
  database: string,
  table: Pick<SourceTable, 'schema' | 'table'>,
) {
  const relation = landingRelation(database, table.schema, table.table);
  await db.exec('SAVEPOINT landing_drop');
  try {
    await db.exec(`DROP TABLE IF EXISTS ${relation}`);
    await db.exec('RELEASE SAVEPOINT landing_drop');
  } catch {
    await db.exec('ROLLBACK TO SAVEPOINT landing_drop');
    await db.exec(`DELETE FROM ${relation}`);
  }
}

export async function loadRows(db: Db, relation: string, rowsJson: string): Promise<number> {
  const result = await db.query(
    `INSERT INTO ${relation} SELECT * FROM json_populate_recordset(NULL::${relation}, $1::json)`,
    [rowsJson],
  );
  return result.affectedRows ?? 0;
}

/** Makes the landing table equal to the source rows: insert new keys, update changed rows, delete gone keys. */
export async function mergeRows(
  db: Db,
  relation: string,
  table: SourceTable,
  rowsJson: string,
): Promise<MergeCounts> {
  const keys = new Set(table.primaryKey);
  const on = table.primaryKey.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  const updates = table.columns
    .filter((c) => !keys.has(c.name))
    .map((c) => `${quoteIdent(c.name)} = s.${quoteIdent(c.name)}`);
  const columns = table.columns.map((c) => quoteIdent(c.name));
  const result = await db.query<{ action: string }>(
    `MERGE INTO ${relation} AS t
     USING (SELECT * FROM json_populate_recordset(NULL::${relation}, $1::json)) AS s ON ${on}
     ${updates.length > 0 ? `WHEN MATCHED AND (t.*) IS DISTINCT FROM (s.*) THEN UPDATE SET ${updates.join(', ')}` : ''}
     WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((c) => `s.${c}`).join(', ')})
     WHEN NOT MATCHED BY SOURCE THEN DELETE
     RETURNING merge_action() AS action`,
    [rowsJson],
  );
  const count = (action: string) => result.rows.filter((r) => r.action === action).length;
  return { inserted: count('INSERT'), updated: count('UPDATE'), deleted: count('DELETE') };
}

export async function countRows(db: Db, relation: string): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${relation}`);
  return result.rows[0]?.n ?? 0;
}
