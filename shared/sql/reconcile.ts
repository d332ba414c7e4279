import { bookkeeping } from './bookkeeping.js';
import { literal } from './identifiers.js';

/**
 * The reconcile machine's bookkeeping: the state-change checkpoint (the newest table state change
 * already acted on; AssessState reads it, RecordReconcile advances it once the child has started) and
 * the log of every decision.
 */

export const CHECKPOINT_NAME = 'reconcile:state-change';

export const readCheckpointSql = (): string =>
  `SELECT "value" FROM ${bookkeeping.checkpoint} WHERE "name" = ${literal(CHECKPOINT_NAME)}`;

/** Replaces the checkpoint (one transaction: run them with `warehouse.run`). */
export const writeCheckpointStatements = (value: string): string[] => [
  `DELETE FROM ${bookkeeping.checkpoint} WHERE "name" = ${literal(CHECKPOINT_NAME)}`,
  `INSERT INTO ${bookkeeping.checkpoint} ("name", "value", "updated_at") VALUES (${literal(CHECKPOINT_NAME)}, ${literal(value)}, GETDATE())`,
];

/**
 * One decision; `:note` (and `:child` when there is one) are parameters. A Data API parameter value
 * must be at least one character (SqlParameter, facts §10): no child is a SQL NULL, not an empty one.
 */
export const insertReconcileLogSql = (trigger: string, route: string, hasChild: boolean): string =>
  `INSERT INTO ${bookkeeping.reconcileLog} ("decided_at", "trigger", "route", "child_execution", "note") VALUES (GETDATE(), ${literal(trigger)}, ${literal(route)}, ${hasChild ? ':child' : 'NULL'}, :note)`;
