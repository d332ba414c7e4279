import type { ManifestModel } from '../project/manifest.js';
import { bookkeeping } from './bookkeeping.js';
import { chunkedInsert, chunkedStatements, printable } from './chunked.js';
import { literal, qualified } from './identifiers.js';

/**
 * SQL for the outcomes a build batch cannot record itself (its transaction rolled back, or it never
 * ran). Values here are validated run ids, triggers and model names; free text goes in parameters.
 */

/**
 * success: built. failed: its batch failed. deferred: a landing table it reads is not Synced (nor its
 * descendants). skipped: an upstream did not build in this run. unchanged / within_tolerance: nothing
 * it is built from changed, or it changed but the model's lag_tolerance allows waiting.
 */
export type OutcomeStatus = 'success' | 'failed' | 'deferred' | 'skipped' | 'unchanged' | 'within_tolerance';

export interface RecordedOutcome {
  model: string;
  status: OutcomeStatus;
  reason: string;
}

const NOW = 'GETDATE()';

/** INSERTs for many outcomes (decided at planning time). Reasons are built by us, not taken from input. */
export function insertOutcomesSql(
  runId: string,
  trigger: string,
  outcomes: readonly RecordedOutcome[],
): string[] {
  const rows = outcomes.map(
    (o) =>
      `(${literal(runId)}, ${literal(o.model)}, ${literal(trigger)}, ${literal(o.status)}, ${NOW}, ${NOW}, ${literal(printable(o.reason, 1000))})`,
  );
  return chunkedInsert(
    `INSERT INTO ${bookkeeping.runLog} ("run_id", "model", "trigger", "status", "started_at", "finished_at", "error") VALUES`,
    rows,
  );
}

/**
 * Outcomes recorded while a refresh runs (skips, unchanged), each at most once per run and model: a
 * dispatcher tick that is retried after a crash records them again, and the run log must not say twice.
 */
export function insertOutcomesOnceSql(
  runId: string,
  trigger: string,
  outcomes: readonly RecordedOutcome[],
): string[] {
  const rows = outcomes.map(
    (o) =>
      `SELECT ${literal(o.model)} AS "model", ${literal(o.status)} AS "status", ${literal(printable(o.reason, 1000))} AS "reason"`,
  );
  const r = literal(runId);
  return chunkedStatements(
    `INSERT INTO ${bookkeeping.runLog} ("run_id", "model", "trigger", "status", "started_at", "finished_at", "error")
SELECT ${r}, "v"."model", ${literal(trigger)}, "v"."status", ${NOW}, ${NOW}, "v"."reason" FROM (`,
    rows,
    ' UNION ALL ',
    `) AS "v" LEFT JOIN ${bookkeeping.runLog} AS l ON l."run_id" = ${r} AND l."model" = "v"."model" AND l."status" = "v"."status"
WHERE l."model" IS NULL`,
  );
}

/**
 * The failure of one build; the error text travels as the :error parameter. Once per statement: a
 * retried dispatcher tick that sees the same failed statement again records nothing new.
 */
export function insertFailureSql(runId: string, trigger: string, model: string, startedAt: string): string {
  const started = `CAST(${literal(startedAt.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`;
  const r = literal(runId);
  const m = literal(model);
  // One type for both uses of the parameter (PostgreSQL cannot deduce one for an untyped `$n` used as
  // a select-list value and in a comparison: "inconsistent types deduced for parameter").
  const id = 'CAST(:statement_id AS VARCHAR(128))';
  return `INSERT INTO ${bookkeeping.runLog} ("run_id", "model", "trigger", "status", "started_at", "finished_at", "statement_id", "error")
SELECT ${r}, ${m}, ${literal(trigger)}, 'failed', ${started}, ${NOW}, ${id}, :error
WHERE NOT EXISTS (SELECT 1 FROM ${bookkeeping.runLog} WHERE "run_id" = ${r} AND "model" = ${m} AND "status" = 'failed' AND "statement_id" = ${id})`;
}

/**
 * The success of a refresh_view build whose REFRESH committed on its own while the rest of its batch
 * (the success records) did not. Only the run log is written: model_state keeps the previous build, so
 * the next refresh refreshes the view again rather than trust inputs nobody recorded. The note travels
 * as the :note parameter, the statement id as :statement_id.
 */
export function insertCommittedRefreshSql(
  runId: string,
  trigger: string,
  model: ManifestModel,
  startedAt: string,
): string {
  const started = `CAST(${literal(startedAt.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`;
  return `INSERT INTO ${bookkeeping.runLog} ("run_id", "model", "trigger", "status", "started_at", "finished_at", "rows_affected", "definition_hash", "statement_id", "error")
SELECT ${literal(runId)}, ${literal(model.name)}, ${literal(trigger)}, 'success', ${started}, ${NOW}, COUNT(*), ${literal(model.definitionHash)}, :statement_id, :note FROM ${qualified(model.schema, model.name)}`;
}

export function runOutcomesSql(runId: string, statuses?: readonly OutcomeStatus[]): string {
  const filter = statuses ? ` AND "status" IN (${statuses.map(literal).join(', ')})` : '';
  return `SELECT "model", "status", "rows_affected", "error" FROM ${bookkeeping.runLog} WHERE "run_id" = ${literal(runId)}${filter} ORDER BY "model"`;
}

/** Each model's outcome of one run with its window, for the run's timeline (`zeo run --timeline`). */
export function runTimelineSql(runId: string): string {
  return `SELECT "model", "status", "started_at", "finished_at" FROM ${bookkeeping.runLog} WHERE "run_id" = ${literal(runId)}`;
}

/** The query a person runs to read one run's log, as reports and notifications print it. */
export function runLogQuery(runId: string): string {
  return `SELECT * FROM zeo.run_log WHERE run_id = ${literal(runId)} ORDER BY started_at`;
}
