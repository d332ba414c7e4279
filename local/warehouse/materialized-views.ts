import { RedshiftSqlError } from './errors.js';
import type { Db } from './landing.js';

/**
 * REFRESH MATERIALIZED VIEW inside a batch. The SQL reference ("REFRESH MATERIALIZED VIEW", usage
 * notes) says the command "runs as a transaction of its own": it may stand in a transaction block, its
 * changes are committed whatever the block does afterwards, and an incremental refresh "uses only those
 * base table rows that are already committed" (DML earlier in the same transaction is not visible to it).
 *
 * PGlite has one connection, so the local warehouse cannot run a second transaction beside the batch's.
 * It runs the refresh in place and, when the batch then does not commit (a later statement fails, or
 * the batch is cancelled), runs it again in a transaction of its own and commits that. Equivalent as
 * long as nothing was written earlier in the batch (the refresh then reads only committed rows in both
 * places); a REFRESH after a write in the same batch is refused rather than emulated wrongly.
 */

const REFRESH_MATERIALIZED_VIEW = /^\s*REFRESH\s+MATERIALIZED\s+VIEW\b/i;
const LOCK = /^\s*LOCK\b/i;

export function isRefreshMaterializedView(sql: string): boolean {
  return REFRESH_MATERIALIZED_VIEW.test(sql);
}

/** What the statements of a block run so far may have written. */
export interface BlockWrites {
  /** A statement that writes (INSERT, CREATE, …) ran. */
  wrote: boolean;
  /** A LOCK ran: PostgreSQL gives an ACCESS EXCLUSIVE lock a transaction id, as if it had written. */
  locked: boolean;
}

/** Notes a statement of the block before it runs; `writes` = it names a relation it writes to. */
export function noteBlockStatement(block: BlockWrites, sql: string, writes: boolean): void {
  if (writes) block.wrote = true;
  if (LOCK.test(sql)) block.locked = true;
}

/**
 * Throws when the block may have written before this REFRESH: a writing statement ran, or (no LOCK
 * having run) the transaction has an id, which PostgreSQL assigns on the first write — e.g. inside a
 * procedure.
 */
export async function refuseRefreshAfterWrite(db: Db, block: BlockWrites): Promise<void> {
  let wrote = block.wrote;
  if (!wrote && !block.locked) {
    const { rows } = await db.query<{ wrote: boolean }>(
      'SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS wrote',
    );
    wrote = rows[0]?.wrote === true;
  }
  if (wrote) {
    throw new RedshiftSqlError(
      'local stack: REFRESH MATERIALIZED VIEW after a write in the same batch is not emulated (on Redshift it runs as a transaction of its own and does not see that write)',
      '0A000',
    );
  }
}
