import { qualified } from './identifiers.js';

/** The schema the orchestrator owns in the warehouse: run log, model state, helper procedures. */
export const BOOKKEEPING_SCHEMA = 'zeo';

export const bookkeeping = {
  schema: `"${BOOKKEEPING_SCHEMA}"`,
  schemaVersion: qualified(BOOKKEEPING_SCHEMA, 'schema_version'),
  runLog: qualified(BOOKKEEPING_SCHEMA, 'run_log'),
  modelState: qualified(BOOKKEEPING_SCHEMA, 'model_state'),
  checkpoint: qualified(BOOKKEEPING_SCHEMA, 'checkpoint'),
  reconcileLog: qualified(BOOKKEEPING_SCHEMA, 'reconcile_log'),
  runPlan: qualified(BOOKKEEPING_SCHEMA, 'run_plan'),
  modelLease: qualified(BOOKKEEPING_SCHEMA, 'model_lease'),
  assertUnique: qualified(BOOKKEEPING_SCHEMA, 'assert_unique'),
  assertLease: qualified(BOOKKEEPING_SCHEMA, 'assert_lease'),
  claimLease: qualified(BOOKKEEPING_SCHEMA, 'claim_lease'),
  testResult: qualified(BOOKKEEPING_SCHEMA, 'test_result'),
  assertTest: qualified(BOOKKEEPING_SCHEMA, 'assert_test'),
} as const;

/**
 * One step of the bookkeeping schema's history. The schema is set up once per version, not on every
 * step (a watchdog tick on a set-up warehouse runs no DDL): `zeo.schema_version` holds one row per
 * version applied, and shared/warehouse/bookkeeping.ts applies the versions a warehouse lacks, each
 * in one transaction with its version row.
 *
 * Rules for a new version (append one; never edit a released one — warehouses that applied it would
 * never see the edit):
 * - it changes what exists: `ALTER TABLE … ADD COLUMN` (one column per statement, nullable or with a
 *   DEFAULT — Redshift's ALTER TABLE reference), `CREATE TABLE IF NOT EXISTS`, `CREATE OR REPLACE
 *   PROCEDURE`;
 * - each statement either is a no-op or fails when already applied (ADD COLUMN of an existing column
 *   fails), because two steps may migrate at once: the loser's batch rolls back and it re-reads the
 *   version (the batch LOCKs `zeo.schema_version` first, so the loser waits for the winner);
 * - at most 38 statements, so that it fits one Data API batch with its LOCK and version row.
 */
export interface BookkeepingMigration {
  version: number;
  description: string;
  statements: readonly string[];
}

/** Statements of one migration, so that it plus its LOCK and version row fit one Data API batch (40). */
export const MAX_MIGRATION_STATEMENTS = 38;

// AWS-ASSUMPTION: snapshot-delete-conflict
/**
 * Version 1 is the schema as first released. Its statements are idempotent (IF NOT EXISTS / OR
 * REPLACE), so a warehouse set up before schema versions existed is adopted as it is.
 *
 * `assert_unique` exists because Redshift does not enforce uniqueness: it RAISEs inside the build
 * transaction, which makes the Data API roll the whole batch back and leaves the old table in place.
 * Its arguments are identifiers the orchestrator validated and quoted itself.
 *
 * `claim_lease` is the fence that keeps the run log true: a build commits only if its run still holds
 * the model's lease, which it deletes — nor another run, nor the fence a recorded failure leaves behind
 * (see shared/sql/lease.ts), nor nobody. It is a write, not a read, because Redshift reads the
 * snapshot taken at the transaction's first statement, long before a build's bookkeeping: a lease row
 * that another transaction deleted after that snapshot is still visible to a read, but deleting it
 * again stops the build with a serialization error (SNAPSHOT isolation "provides protection against
 * update and delete conflicts", SQL reference "CREATE DATABASE"), and a row already gone before it
 * deletes nothing, which claim_lease refuses. `assert_lease` is the same check as a read, for a batch
 * that asks before doing something that commits on its own (REFRESH MATERIALIZED VIEW).
 */
const VERSION_1: BookkeepingMigration = {
  version: 1,
  description:
    'run log, model state, run plan, model lease, checkpoint, reconcile log, assert_unique, assert_lease, claim_lease',
  statements: [
    `CREATE SCHEMA IF NOT EXISTS ${bookkeeping.schema}`,
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.schemaVersion} (
  "version" INTEGER NOT NULL,
  "applied_at" TIMESTAMP NOT NULL
) DISTSTYLE ALL`,
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
  v_own BIGINT;
  v_holder VARCHAR(128);
BEGIN
  SELECT count(*) INTO v_own FROM ${bookkeeping.modelLease} WHERE "model" = p_model AND "run_id" = p_run_id;
  SELECT COALESCE(MAX("run_id"), 'no run') INTO v_holder FROM ${bookkeeping.modelLease} WHERE "model" = p_model AND "run_id" <> p_run_id;
  IF v_own = 0 OR v_holder <> 'no run' THEN
    RAISE EXCEPTION 'zeo: build of model % by run % superseded: its build lease is held by %', p_model, p_run_id, v_holder;
  END IF;
END;
$$ LANGUAGE plpgsql`,
    `CREATE OR REPLACE PROCEDURE ${bookkeeping.claimLease}(p_model VARCHAR(256), p_run_id VARCHAR(128))
AS $$
DECLARE
  v_claimed INTEGER;
  v_holder VARCHAR(128);
BEGIN
  DELETE FROM ${bookkeeping.modelLease} WHERE "model" = p_model AND "run_id" = p_run_id;
  GET DIAGNOSTICS v_claimed := ROW_COUNT;
  IF v_claimed = 0 THEN
    SELECT COALESCE(MAX("run_id"), 'no run') INTO v_holder FROM ${bookkeeping.modelLease} WHERE "model" = p_model;
    RAISE EXCEPTION 'zeo: build of model % by run % superseded: its build lease is held by %', p_model, p_run_id, v_holder;
  END IF;
END;
$$ LANGUAGE plpgsql`,
  ],
};

/**
 * Version 2: model tests (shared/sql/audits.ts). `assert_test` EXECUTEs a test's count query; a
 * failing `error` test RAISEs, which rolls the build batch back like `assert_unique`, with the test,
 * the count and a sample of offending values (at most ~900 characters) in the message; a failing
 * `warn` test, and a test with nothing to compare with (count NULL), leave a `test_result` row that
 * commits with the build. Its arguments are SQL the orchestrator rendered from validated names.
 */
// AWS-ASSUMPTION: procedure-raise-rolls-back-batch
const VERSION_2: BookkeepingMigration = {
  version: 2,
  description: 'model tests: test_result, assert_test',
  statements: [
    `CREATE TABLE IF NOT EXISTS ${bookkeeping.testResult} (
  "run_id" VARCHAR(128) NOT NULL,
  "model" VARCHAR(256) NOT NULL,
  "test" VARCHAR(512) NOT NULL,
  "severity" VARCHAR(8) NOT NULL,
  "status" VARCHAR(16) NOT NULL,
  "offending" BIGINT,
  "sample" VARCHAR(1024)
) DISTSTYLE EVEN SORTKEY ("run_id")`,
    `CREATE OR REPLACE PROCEDURE ${bookkeeping.assertTest}(p_model VARCHAR(256), p_test VARCHAR(512), p_severity VARCHAR(8), p_run_id VARCHAR(128), p_count_sql VARCHAR(65535), p_sample_sql VARCHAR(65535))
AS $$
DECLARE
  v_count BIGINT;
  v_sample VARCHAR(1024) := '';
  v_row RECORD;
BEGIN
  EXECUTE p_count_sql INTO v_count;
  IF v_count IS NULL THEN
    INSERT INTO ${bookkeeping.testResult} ("run_id", "model", "test", "severity", "status", "offending", "sample")
      VALUES (p_run_id, p_model, p_test, p_severity, 'skipped', NULL, 'no previous build to compare with');
    RETURN;
  END IF;
  IF v_count = 0 THEN
    RETURN;
  END IF;
  FOR v_row IN EXECUTE p_sample_sql LOOP
    EXIT WHEN LENGTH(v_sample) + LENGTH(v_row.v) > 900;
    v_sample := v_sample || CASE WHEN v_sample = '' THEN '' ELSE '; ' END || v_row.v;
  END LOOP;
  IF p_severity = 'error' THEN
    RAISE EXCEPTION 'zeo: test % failed in model %: % offending, e.g. %', p_test, p_model, v_count, v_sample;
  END IF;
  INSERT INTO ${bookkeeping.testResult} ("run_id", "model", "test", "severity", "status", "offending", "sample")
    VALUES (p_run_id, p_model, p_test, p_severity, 'warned', v_count, v_sample);
END;
$$ LANGUAGE plpgsql`,
  ],
};

/** Every version of the bookkeeping schema, oldest first; the last one is what this code needs. */
export const BOOKKEEPING_MIGRATIONS: readonly BookkeepingMigration[] = [VERSION_1, VERSION_2];

export function latestVersion(migrations: readonly BookkeepingMigration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** The version of the bookkeeping schema this code works with. */
export const BOOKKEEPING_VERSION = latestVersion(BOOKKEEPING_MIGRATIONS);

/** The installed version: the highest applied (NULL when the table is empty). */
export function installedVersionSql(): string {
  return `SELECT max("version") AS "version" FROM ${bookkeeping.schemaVersion}`;
}

/**
 * Whether the version table exists, asked only after reading it failed: a catalog query on its own
 * (information_schema lives on Redshift's leader node and is never joined with user tables here).
 */
// AWS-ASSUMPTION: bookkeeping-migration-ddl
export function versionTableExistsSql(): string {
  return `SELECT count(*) AS "tables" FROM "information_schema"."tables" WHERE "table_schema" = '${BOOKKEEPING_SCHEMA}' AND "table_name" = 'schema_version'`;
}

/**
 * One migration as one transaction: its statements and its version row commit together or not at all.
 * From version 2 on, `LOCK zeo.schema_version` comes first — before the first read, where Redshift
 * takes the transaction's snapshot (dev guide "LOCK", "Serializable isolation") — so two steps that
 * migrate at once run one after the other. The version row is inserted only if absent.
 */
// AWS-ASSUMPTION: bookkeeping-migration-ddl
export function migrationBatch(migration: BookkeepingMigration): string[] {
  if (migration.statements.length > MAX_MIGRATION_STATEMENTS) {
    throw new RangeError(
      `bookkeeping migration ${migration.version} has ${migration.statements.length} statements; at most ${MAX_MIGRATION_STATEMENTS} fit one Data API batch`,
    );
  }
  const v = String(Math.trunc(migration.version));
  return [
    ...(migration.version > 1 ? [`LOCK ${bookkeeping.schemaVersion}`] : []),
    ...migration.statements,
    `INSERT INTO ${bookkeeping.schemaVersion} ("version", "applied_at") SELECT ${v}, GETDATE() FROM (SELECT 1 AS "one") AS "zeo_one" WHERE NOT EXISTS (SELECT 1 FROM ${bookkeeping.schemaVersion} WHERE "version" = ${v})`,
  ];
}

/**
 * The whole setup of an empty warehouse as statements, every version in order (one transaction per
 * version at run time: see ensureBookkeeping). For tests, the reliability suite and the setup SQL a
 * human may run by hand.
 */
export function bookkeepingSetupStatements(
  migrations: readonly BookkeepingMigration[] = BOOKKEEPING_MIGRATIONS,
): string[] {
  return [...migrations].sort((a, b) => a.version - b.version).flatMap(migrationBatch);
}
