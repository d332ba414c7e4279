import type pg from 'pg';
import { qualifiedNames } from '../../../local/warehouse/statement-targets.js';

/**
 * Redshift refuses to read a relation that is not in the transaction's snapshot — one created, or
 * swapped in by a rename, by a transaction that committed after the snapshot was taken: "ERROR: 1018
 * DETAIL: Relation does not exist" (developer guide "Serializable isolation", "How to fix serializable
 * isolation errors"). PostgreSQL at REPEATABLE READ resolves names in the latest catalog instead and
 * reads such a relation as empty: a downstream build overlapping its upstream's swap would commit an
 * empty table where Redshift stops it. Run before each statement of a batch after its first, this
 * raises Redshift's error in its place, so that the real-PostgreSQL tests are as strict as Redshift.
 */
export const RELATION_OUTSIDE_SNAPSHOT = '1018';

export async function refuseRelationsOutsideSnapshot(client: pg.Client, sql: string): Promise<void> {
  const seen = new Set<string>();
  // Comments out first: an apostrophe in one ("the customer's region") would read as a string.
  const names = qualifiedNames(sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '')).filter((n) => {
    const key = `${n.schema}.${n.table}`;
    if (seen.has(key) || n.schema.startsWith('pg_') || n.schema === 'information_schema') return false;
    seen.add(key);
    return true;
  });
  if (names.length === 0) return;
  // First the lock the statement takes anyway (ACCESS SHARE): from then on no swap of these relations
  // can commit before the statement has run, so what is checked below is what the statement reads.
  const existing = await client.query<{ rel: string }>(
    `SELECT quote_ident(x.s) || '.' || quote_ident(x.t) AS rel FROM unnest($1::text[], $2::text[]) AS x(s, t)
     WHERE (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(quote_ident(x.s) || '.' || quote_ident(x.t))) IN ('r', 'p', 'v')`,
    [names.map((n) => n.schema), names.map((n) => n.table)],
  );
  // (Materialized views cannot be locked; their refresh renames nothing.)
  if (existing.rows.length > 0)
    await client.query(`LOCK TABLE ${existing.rows.map((r) => r.rel).join(', ')} IN ACCESS SHARE MODE`);
  // to_regclass looks the name up in the latest catalog; the pg_class query reads this transaction's snapshot.
  const outside = await client.query<{ name: string }>(
    `SELECT x.s || '.' || x.t AS name FROM unnest($1::text[], $2::text[]) AS x(s, t)
     WHERE to_regclass(quote_ident(x.s) || '.' || quote_ident(x.t)) IS NOT NULL
       AND to_regclass(quote_ident(x.s) || '.' || quote_ident(x.t))::oid IS DISTINCT FROM
           (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = x.s AND c.relname = x.t)`,
    [names.map((n) => n.schema), names.map((n) => n.table)],
  );
  if (outside.rows.length > 0) {
    throw new Error(
      `${RELATION_OUTSIDE_SNAPSHOT} DETAIL: Relation does not exist. (${outside.rows.map((r) => r.name).join(', ')} is not in the transaction's snapshot)`,
    );
  }
}

/** Whether a batch was stopped by its isolation (40001, or the 1018 above): retryable, as on Redshift. */
export function isIsolationFailure(error: unknown): boolean {
  if ((error as { code?: string } | undefined)?.code === '40001') return true;
  return error instanceof Error && error.message.startsWith(`${RELATION_OUTSIDE_SNAPSHOT} DETAIL:`);
}
