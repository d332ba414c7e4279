import { StatementTooLargeError } from '../errors.js';
import type { ManifestModel } from '../project/manifest.js';
import { auditStatements } from './audits.js';
import { bookkeeping } from './bookkeeping.js';
import {
  columnDefinitions,
  columnList,
  grantStatements,
  materializedViewAttributes,
  projectedSelect,
  qualifiedModel,
  type RunContext,
  successRecords,
  tableAttributes,
  uniqueCheck,
} from './ddl.js';
import { literal, quoteIdent, WORK_TABLE_SUFFIXES } from './identifiers.js';
import { MAX_STATEMENT_BYTES } from './limits.js';

/**
 * The statements that build one curated model, sent as ONE Data API BatchExecuteStatement — one
 * transaction — so that readers see either the old complete relation or the new complete one, and a
 * failure anywhere leaves the old one untouched. Nothing here commits implicitly (no TRUNCATE, no
 * ALTER TABLE APPEND, no CREATE DATABASE).
 */

export type BuildMode =
  /** Build a fresh copy and swap it in by rename. */
  | 'full'
  /** MERGE the changed window into the existing table (incremental models whose table exists). */
  | 'merge'
  /** Drop and re-create a materialized view whose definition changed (or that does not exist). */
  | 'create_view'
  /** REFRESH an unchanged materialized view. */
  | 'refresh_view';

export interface BuildBatch {
  model: string;
  mode: BuildMode;
  /** Data API StatementName: identifies the run and the model in the console and in events. */
  statementName: string;
  sqls: string[];
}

/** What the warehouse currently holds for a model (read once per refresh for the whole DAG). */
export interface TargetState {
  exists: boolean;
  /** Definition hash of the last successful build, from the bookkeeping schema. */
  definitionHash?: string;
}

export function chooseBuildMode(model: ManifestModel, target: TargetState, fullRefresh: boolean): BuildMode {
  const unchanged = target.exists && target.definitionHash === model.definitionHash;
  switch (model.materialized) {
    case 'table':
      return 'full';
    case 'incremental':
      return unchanged && !fullRefresh ? 'merge' : 'full';
    case 'materialized_view':
      return unchanged && !fullRefresh ? 'refresh_view' : 'create_view';
  }
}

/**
 * Every build of a run is named `zeo:<run>:build:<model>`, so the dispatcher lists the run's running
 * builds with one ListStatements prefix (run ids cannot contain ':', so no run's prefix is another's).
 */
export function buildStatementPrefix(runId: string): string {
  return `zeo:${runId}:build:`;
}

export function statementName(runId: string, model: string): string {
  return `${buildStatementPrefix(runId)}${model}`.slice(0, 500);
}

function fullRebuild(model: ManifestModel, run: RunContext): string[] {
  const target = qualifiedModel(model);
  const fresh = qualifiedModel(model, WORK_TABLE_SUFFIXES.new);
  const old = qualifiedModel(model, WORK_TABLE_SUFFIXES.old);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(model.schema)}`,
    // Leftovers: the old table of the previous build when its drop after the commit never ran (the
    // step died), or work tables of an older version or a manual run.
    `DROP TABLE IF EXISTS ${fresh}`,
    `DROP TABLE IF EXISTS ${old}`,
    `CREATE TABLE ${fresh} (\n${columnDefinitions(model)}\n) ${tableAttributes(model)}`,
    `INSERT INTO ${fresh} (${columnList(model)})\n${projectedSelect(model)}`,
    ...uniqueCheck(model, fresh),
    // A placeholder when the table does not exist yet, so the swap below is the same statement list
    // every time; it is swapped out as the old table and dropped with it.
    `CREATE TABLE IF NOT EXISTS ${target} (LIKE ${fresh})`,
    // The tests, on the new rows, before anything is published (write-audit-publish).
    ...auditStatements(model, { relation: fresh, previous: target }, run.runId),
    ...grantStatements(model, fresh),
    // AWS-ASSUMPTION: rename-is-transactional
    `ALTER TABLE ${target} RENAME TO ${quoteIdent(model.name + WORK_TABLE_SUFFIXES.old)}`,
    `ALTER TABLE ${fresh} RENAME TO ${quoteIdent(model.name)}`,
    // The old table is NOT dropped here but by `dropSwappedOutSql` once this transaction committed: a
    // query waiting on the rename's lock goes on with the table it had already looked up, the old one,
    // and fails if the swap dropped it ("could not open relation with OID", dbt-core #3112, facts §10).
    ...successRecords(model, run, target),
  ];
}

/**
 * Drops the table a full rebuild swapped out, run as a statement of its own after the build committed
 * (the dispatcher submits it when it sees the build finished, without waiting for it). It waits for queries still
 * reading the old table; should it never run, the model's next build drops it first. For a model whose
 * build swaps nothing (merge, materialized view) there is no such table and it does nothing.
 */
export function dropSwappedOutSql(model: ManifestModel): string {
  return `DROP TABLE IF EXISTS ${qualifiedModel(model, WORK_TABLE_SUFFIXES.old)}`;
}

function merge(model: ManifestModel, run: RunContext): string[] {
  const { incremental } = model;
  if (!incremental) throw new Error(`model ${model.name} has no incremental settings`);
  const target = qualifiedModel(model);
  // Temporary tables cannot be schema-qualified and vanish with the session.
  const delta = quoteIdent(model.name + WORK_TABLE_SUFFIXES.delta);
  const updatedAt = quoteIdent(incremental.updatedAt);
  const highWater = `(SELECT MAX(${updatedAt}) FROM ${target})`;
  const window = `${highWater} IS NULL OR "zeo_model".${updatedAt} > ${highWater} - INTERVAL '${incremental.lookbackSeconds} seconds'`;
  const keys = new Set(model.uniqueKey);
  const on = model.uniqueKey
    .map((k) => `${target}.${quoteIdent(k)} = "zeo_src".${quoteIdent(k)}`)
    .join(' AND ');
  const updates = model.columns
    .filter((c) => !keys.has(c.name))
    .map((c) => `${quoteIdent(c.name)} = "zeo_src".${quoteIdent(c.name)}`);
  const setClause =
    updates.length > 0
      ? updates.join(', ')
      : model.uniqueKey.map((k) => `${quoteIdent(k)} = "zeo_src".${quoteIdent(k)}`).join(', ');
  return [
    `DROP TABLE IF EXISTS ${delta}`,
    `CREATE TEMP TABLE ${delta} (\n${columnDefinitions(model)}\n)`,
    `INSERT INTO ${delta} (${columnList(model)})\n${projectedSelect(model, window)}`,
    ...uniqueCheck(model, delta),
    `MERGE INTO ${target} USING ${delta} AS "zeo_src" ON ${on}
WHEN MATCHED THEN UPDATE SET ${setClause}
WHEN NOT MATCHED THEN INSERT (${columnList(model)}) VALUES (${columnList(model, '"zeo_src".')})`,
    ...uniqueCheck(model, target),
    // On the merged result (or, scope: window, the merged-in rows), before the transaction commits.
    ...auditStatements(model, { relation: target, window: delta }, run.runId),
    ...successRecords(model, run, delta),
    `DROP TABLE ${delta}`,
  ];
}

function createView(model: ManifestModel, run: RunContext): string[] {
  const target = qualifiedModel(model);
  const casted = model.columns
    .map((c) => `CAST("zeo_model".${quoteIdent(c.name)} AS ${c.type.toUpperCase()}) AS ${quoteIdent(c.name)}`)
    .join(', ');
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(model.schema)}`,
    `DROP MATERIALIZED VIEW IF EXISTS ${target}`,
    `CREATE MATERIALIZED VIEW ${target} ${materializedViewAttributes(model)} AS\nSELECT ${casted}\nFROM (\n${model.sql}\n) AS "zeo_model"`,
    ...grantStatements(model, target),
    ...successRecords(model, run, target),
  ];
}

const REFRESH_VIEW = 'REFRESH MATERIALIZED VIEW';

/**
 * REFRESH MATERIALIZED VIEW "runs as a transaction of its own" (SQL reference "REFRESH MATERIALIZED
 * VIEW"): once it has finished, the view stays refreshed whatever the rest of the batch does. So the
 * lease is checked BEFORE it (`assert_lease`, a read: a build another run or a fence superseded never
 * refreshes), and only the success records follow. Should they fail all the same (their `claim_lease`
 * finds the lease gone, a serialization error, a cancel), the dispatcher's failure record (shared/refresh/build-failure.ts) waits for the batch to end,
 * finds the REFRESH finished (`refreshCommitted`) and records the success instead of a failure. No LOCK
 * first: it would hold the lease table, and with it every other build's lease, for the whole refresh.
 * `auto_refresh: true` views are refreshed too: Redshift may delay auto refresh under load (developer
 * guide "Refreshing a materialized view"), and a view recorded as built must be as fresh as its inputs.
 */
// AWS-ASSUMPTION: refresh-mv-commits-alone
function refreshView(model: ManifestModel, run: RunContext): string[] {
  const target = qualifiedModel(model);
  return [
    `CALL ${bookkeeping.assertLease}(${literal(model.name)}, ${literal(run.runId)})`,
    `${REFRESH_VIEW} ${target}`,
    ...successRecords(model, run, target),
  ];
}

/**
 * Whether a failed or aborted `refresh_view` batch had refreshed its view anyway: its REFRESH
 * sub-statement finished, and that commits on its own (see `refreshView`).
 */
// AWS-ASSUMPTION: batch-substatement-status-after-failure
export function refreshCommitted(
  subStatements: readonly { status: string; queryString?: string }[],
): boolean {
  return subStatements.some(
    (s) => s.status === 'FINISHED' && s.queryString?.startsWith(REFRESH_VIEW) === true,
  );
}

export function buildBatch(model: ManifestModel, mode: BuildMode, run: RunContext): BuildBatch {
  const generators: Record<BuildMode, (m: ManifestModel, r: RunContext) => string[]> = {
    full: fullRebuild,
    merge,
    create_view: createView,
    refresh_view: refreshView,
  };
  const sqls = generators[mode](model, run);
  for (const sql of sqls) {
    const bytes = Buffer.byteLength(sql);
    if (bytes > MAX_STATEMENT_BYTES) {
      throw new StatementTooLargeError(
        `a statement for model ${model.name} is ${bytes} bytes; the Data API allows ${MAX_STATEMENT_BYTES}`,
      );
    }
  }
  return { model: model.name, mode, statementName: statementName(run.runId, model.name), sqls };
}
