import type { Row } from '../warehouse/warehouse.js';
import { bookkeeping } from './bookkeeping.js';
import { literal } from './identifiers.js';

// AWS-ASSUMPTION: lock-does-not-take-snapshot
/**
 * Model-level queueing: a model is built by one execution at a time. The lease is a row in the
 * bookkeeping schema, taken in a transaction that first LOCKs the lease table, so two executions that
 * ask at once are serialised by Redshift itself; an expired lease (its holder crashed) is taken over.
 * The build batch deletes the lease (zeo.claim_lease) in the same transaction that records the build.
 *
 * Every transaction here LOCKs before its first read: Redshift takes the snapshot at the first SELECT
 * or DML, not at BEGIN, so what follows the LOCK reads the state left by whoever held it (developer
 * guide "LOCK", "Serializable isolation").
 */

/** A derived table of model names: `(SELECT 'a' AS "model" UNION ALL SELECT 'b') AS "v"`. */
function modelsTable(models: readonly string[]): string {
  return `(${models.map((m) => `SELECT ${literal(m)} AS "model"`).join(' UNION ALL ')}) AS "v"`;
}

/**
 * The leases of several models in one transaction (one Data API call per dispatcher tick instead of
 * one per model). The run's own row is kept, not renewed: a retried tick asks again while the batch its
 * first attempt submitted may be running, and that batch's claim_lease must find the very row it saw.
 */
export function acquireLeasesStatements(
  models: readonly string[],
  runId: string,
  timeoutMinutes: number,
): string[] {
  const r = literal(runId);
  const names = models.map(literal).join(', ');
  return [
    `LOCK ${bookkeeping.modelLease}`,
    `DELETE FROM ${bookkeeping.modelLease} WHERE "model" IN (${names}) AND "run_id" <> ${r} AND "expires_at" < GETDATE()`,
    `INSERT INTO ${bookkeeping.modelLease} ("model", "run_id", "acquired_at", "expires_at")
SELECT "v"."model", ${r}, GETDATE(), GETDATE() + INTERVAL '${Math.trunc(timeoutMinutes)} minutes'
FROM ${modelsTable(models)} LEFT JOIN ${bookkeeping.modelLease} AS l ON l."model" = "v"."model"
WHERE l."model" IS NULL`,
  ];
}

/**
 * For each model: who holds the lease, what the current table was built from (by which run, and whether
 * since this run planned), what this run wants to build, and the definition the current table has.
 */
export function leaseStatusesSql(models: readonly string[], runId: string): string {
  return `SELECT "v"."model" AS "model", l."run_id" AS "holder", TRIM(s."inputs_hash") AS "built", s."last_run_id" AS "built_by", CASE WHEN s."last_success_at" >= p."planned_at" THEN 1 ELSE 0 END AS "built_since_plan", TRIM(p."inputs_hash") AS "wanted", TRIM(s."definition_hash") AS "definition_hash"
FROM ${modelsTable(models)}
LEFT JOIN ${bookkeeping.modelLease} AS l ON l."model" = "v"."model"
LEFT JOIN ${bookkeeping.modelState} AS s ON s."model" = "v"."model"
LEFT JOIN ${bookkeeping.runPlan} AS p ON p."run_id" = ${literal(runId)} AND p."model" = "v"."model"`;
}

/** Releases several of this run's leases at once. */
export function releaseLeasesSql(models: readonly string[], runId: string): string {
  return `DELETE FROM ${bookkeeping.modelLease} WHERE "model" IN (${models.map(literal).join(', ')}) AND "run_id" = ${literal(runId)}`;
}

export function releaseLeaseSql(model: string, runId: string): string {
  return `DELETE FROM ${bookkeeping.modelLease} WHERE "model" = ${literal(model)} AND "run_id" = ${literal(runId)}`;
}

/**
 * Holder of a fence: not a valid run id (those have no '~'), so no build's claim_lease accepts it.
 * A fence is born expired, so the next run that asks for the lease takes it over at once.
 */
const FENCE_HOLDER = '~fenced';

/**
 * Before a build is recorded as failed: its run gives the lease up and, unless another run holds it
 * or the build already committed, leaves a fence. Afterwards the build either has committed (its
 * success row exists) or never will: the LOCK waits for a build that has claimed the lease to commit,
 * and a build that claims it later finds its row deleted — a serialization error if its snapshot still
 * had the row, nothing to claim if not. Without it a batch still running when its submit or poll
 * Lambda died could commit after `failed` was recorded.
 */
export function fenceBuildStatements(model: string, runId: string): string[] {
  const m = literal(model);
  return [
    `LOCK ${bookkeeping.modelLease}`,
    releaseLeaseSql(model, runId),
    `INSERT INTO ${bookkeeping.modelLease} ("model", "run_id", "acquired_at", "expires_at")
SELECT ${m}, ${literal(FENCE_HOLDER)}, GETDATE(), GETDATE() - INTERVAL '1 second'
WHERE NOT EXISTS (SELECT 1 FROM ${bookkeeping.modelLease} WHERE "model" = ${m})
AND NOT EXISTS (SELECT 1 ${committedBuildOf(model, runId)})`,
  ];
}

/** The success row this run's build of the model writes in its own transaction (FROM … WHERE …). */
function committedBuildOf(model: string, runId: string): string {
  return `FROM ${bookkeeping.runLog} WHERE "run_id" = ${literal(runId)} AND "model" = ${literal(model)} AND "status" = 'success'`;
}

/** Whether this run's build of the model committed. */
export function buildCommittedSql(model: string, runId: string): string {
  return `SELECT COUNT(*) AS "committed" ${committedBuildOf(model, runId)}`;
}

export type LeaseOutcome =
  | { kind: 'acquired' }
  | { kind: 'held'; holder: string }
  /**
   * Acquired, but another run built exactly the inputs this run planned — since it planned, when it
   * asked for a full refresh (which rebuilds a table whatever it was built from): nothing to do.
   */
  | { kind: 'already_built' }
  /** Acquired again by a retried submission whose first batch of this very run has committed. */
  | { kind: 'built_by_this_run' };

export function leaseOutcome(rows: readonly Row[], runId: string, fullRefresh = false): LeaseOutcome {
  const row = rows[0] ?? {};
  const holder = row.holder === null || row.holder === undefined ? null : String(row.holder);
  if (holder !== runId) return { kind: 'held', holder: holder ?? 'unknown' };
  const wanted = row.wanted ? String(row.wanted) : '';
  const meanwhile = !fullRefresh || Number(row.built_since_plan ?? 0) === 1;
  if (wanted && row.built && String(row.built) === wanted && meanwhile) {
    return row.built_by === runId ? { kind: 'built_by_this_run' } : { kind: 'already_built' };
  }
  return { kind: 'acquired' };
}

/** The models whose build lease a run holds (waiting for or running their builds). */
export function leasesHeldBySql(runId: string): string {
  return `SELECT "model" FROM ${bookkeeping.modelLease} WHERE "run_id" = ${literal(runId)} ORDER BY "model"`;
}
