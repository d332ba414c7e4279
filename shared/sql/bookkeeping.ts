import { qualified } from './identifiers.js';

/** The schema the orchestrator owns in the warehouse: run log, model state, helper procedures. */
export const BOOKKEEPING_SCHEMA = 'zeo';

export const bookkeeping = {
  schema: `"${BOOKKEEPING_SCHEMA}"`,
  runLog: qualified(BOOKKEEPING_SCHEMA, 'run_log'),
  modelState: qualified(BOOKKEEPING_SCHEMA, 'model_state'),
  checkpoint: qualified(BOOKKEEPING_SCHEMA, 'checkpoint'),
  reconcileLog: qualified(BOOKKEEPING_SCHEMA, 'reconcile_log'),
  runPlan: qualified(BOOKKEEPING_SCHEMA, 'run_plan'),
  modelLease: qualified(BOOKKEEPING_SCHEMA, 'model_lease'),
  assertUnique: qualified(BOOKKEEPING_SCHEMA, 'assert_unique'),
  assertLease: qualified(BOOKKEEPING_SCHEMA, 'assert_lease'),
} as const;

/**
 * Idempotent setup of the bookkeeping schema. Runs before every refresh plan (cheap: IF NOT EXISTS /
 * OR REPLACE), so a new warehouse or a dropped schema heals itself.
 *
 * `assert_unique` exists because Redshift does not enforce uniqueness: it RAISEs inside the build
 * transaction, which makes the Data API roll the whole batch back and leaves the old table in place.
 * Its arguments are identifiers the orchestrator validated and quoted itself.
 *
 * `assert_lease` is the fence that keeps the run log true: a build commits only while no other run
 * (nor the fence RecordBuildFailure leaves behind, see shared/refresh/lease.ts) holds the model's lease.
 */
export function bookkeepingSetupStatements(): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${bookkeeping.schema}`,
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.runLog} (
  "run_id" VARCHAR(128) NOT NULL,
  "model" VARCHAR(256) NOT NULL,
  "trigger" VARCHAR(64) NOT NULL,
  "status" VARCHAR(32) NOT NULL,
  "started_at" TIMESTAMP NOT NULL,
  "finished_at" TIMESTAMP,
  "rows_affected" BIGINT,
  "definition_hash" CHAR(64),
  "statement_id" VARCHAR(128),
  "error" VARCHAR(4096)
) DISTSTYLE EVEN SORTKEY ("started_at")`,
    // What each model was last built from: a build is identified by build_id; inputs_hash covers its
    // definition, the replication positions of its sources and the build ids of its upstream models.
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.modelState} (
  "model" VARCHAR(256) NOT NULL,
  "definition_hash" CHAR(64) NOT NULL,
  "last_run_id" VARCHAR(128) NOT NULL,
  "last_success_at" TIMESTAMP NOT NULL,
  "rows" BIGINT,
  "build_id" VARCHAR(400),
  "inputs_hash" CHAR(64),
  "inputs" VARCHAR(65535)
) DISTSTYLE ALL`,
    // What a refresh decided to build, and from which inputs; the build batch copies its row into model_state.
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.runPlan} (
  "run_id" VARCHAR(128) NOT NULL,
  "model" VARCHAR(256) NOT NULL,
  "build_id" VARCHAR(400) NOT NULL,
  "inputs_hash" CHAR(64) NOT NULL,
  "inputs" VARCHAR(65535) NOT NULL,
  "planned_at" TIMESTAMP NOT NULL
) DISTSTYLE EVEN SORTKEY ("planned_at")`,
    // Who is building a model right now; taken under LOCK so two executions never build it at once.
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.modelLease} (
  "model" VARCHAR(256) NOT NULL,
  "run_id" VARCHAR(128) NOT NULL,
  "acquired_at" TIMESTAMP NOT NULL,
  "expires_at" TIMESTAMP NOT NULL
) DISTSTYLE ALL`,
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.checkpoint} (
  "name" VARCHAR(128) NOT NULL,
  "value" VARCHAR(4096) NOT NULL,
  "updated_at" TIMESTAMP NOT NULL
) DISTSTYLE ALL`,
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.reconcileLog} (
  "decided_at" TIMESTAMP NOT NULL,
  "trigger" VARCHAR(64) NOT NULL,
  "route" VARCHAR(32) NOT NULL,
  "child_execution" VARCHAR(80),
  "note" VARCHAR(4096)
) DISTSTYLE EVEN SORTKEY ("decided_at")`,
    `CREATE OR REPLACE PROCEDURE ${bookkeeping.assertUnique}(p_model VARCHAR(256), p_relation VARCHAR(512), p_key VARCHAR(4096), p_key_text VARCHAR(8192))
AS $$
DECLARE
  v_groups BIGINT;
  v_sample VARCHAR(8192);
  v_count BIGINT;
BEGIN
  EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM ' || p_relation || ' GROUP BY ' || p_key || ' HAVING count(*) > 1) AS zeo_dups' INTO v_groups;
  IF v_groups > 0 THEN
    EXECUTE 'SELECT ' || p_key_text || ', count(*) FROM ' || p_relation || ' GROUP BY ' || p_key || ' HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 1' INTO v_sample, v_count;
    RAISE EXCEPTION 'zeo: unique_key (%) violated in model %: % duplicated key(s), e.g. (%) appears % times', p_key, p_model, v_groups, v_sample, v_count;
  END IF;
END;
$$ LANGUAGE plpgsql`,
    `CREATE OR REPLACE PROCEDURE ${bookkeeping.assertLease}(p_model VARCHAR(256), p_run_id VARCHAR(128))
AS $$
DECLARE
  v_holder VARCHAR(128);
BEGIN
  SELECT "run_id" INTO v_holder FROM ${bookkeeping.modelLease} WHERE "model" = p_model AND "run_id" <> p_run_id LIMIT 1;
  IF v_holder IS NOT NULL THEN
    RAISE EXCEPTION 'zeo: build of model % by run % superseded: its build lease is held by %', p_model, p_run_id, v_holder;
  END IF;
END;
$$ LANGUAGE plpgsql`,
  ];
}
