import { bookkeeping } from './bookkeeping.js';

/** What `zeo status` reads from the bookkeeping schema: one statement each, both bounded by the model count. */

/** Each model's last successful build: when, and how many rows it published. */
export const lastSuccessSql = (): string =>
  `SELECT "model", "last_success_at", "rows" FROM ${bookkeeping.modelState}`;

/**
 * Each model's latest run-log outcome of any kind (success, failed, skipped, deferred, unchanged, …),
 * with the run and the time it was recorded. A model that never succeeded has no model_state row but
 * does have outcomes: they are read on their own, not through model_state.
 */
export const latestOutcomesSql = (): string =>
  `SELECT "model", "run_id", "trigger", "status", "error", "at" FROM (
  SELECT "model", "run_id", "trigger", "status", "error", COALESCE("finished_at", "started_at") AS "at",
    ROW_NUMBER() OVER (PARTITION BY "model" ORDER BY COALESCE("finished_at", "started_at") DESC, "started_at" DESC) AS "zeo_rank"
  FROM ${bookkeeping.runLog}) AS o
WHERE o."zeo_rank" = 1`;
