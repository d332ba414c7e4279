import { StatementTooLargeError } from '../errors.js';
import type { ManifestModel } from '../project/manifest.js';
import {
  columnDefinitions,
  columnList,
  grantStatements,
  projectedSelect,
  qualifiedModel,
  type RunContext,
  successRecords,
  tableAttributes,
  uniqueCheck,
} from './ddl.js';
import { quoteIdent, WORK_TABLE_SUFFIXES } from './identifiers.js';

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

/** The Data API's per-statement limit. */
export const MAX_STATEMENT_BYTES = 100_000;

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

export function statementName(runId: string, model: string): string {
  return `zeo:${runId}:${model}`.slice(0, 500);
}

function fullRebuild(model: ManifestModel, run: RunContext): string[] {
  const target = qualifiedModel(model);
  const fresh = qualifiedModel(model, WORK_TABLE_SUFFIXES.new);
  const old = qualifiedModel(model, WORK_TABLE_SUFFIXES.old);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(model.schema)}`,
    // Leftovers of a build that crashed between statements in an earlier session (cannot happen inside
    // one transaction, but a manual run or an older version might have left them).
    `DROP TABLE IF EXISTS ${fresh}`,
    `DROP TABLE IF EXISTS ${old}`,
    `CREATE TABLE ${fresh} (\n${columnDefinitions(model)}\n) ${tableAttributes(model)}`,
    `INSERT INTO ${fresh} (${columnList(model)})\n${projectedSelect(model)}`,
    ...uniqueCheck(model, fresh),
    ...grantStatements(model, fresh),
    // A placeholder when the table does not exist yet, so the swap below is the same statement list
    // every time; it is never visible because it lives and dies inside this transaction.
    `CREATE TABLE IF NOT EXISTS ${target} (LIKE ${fresh})`,
    `ALTER TABLE ${target} RENAME TO ${quoteIdent(model.name + WORK_TABLE_SUFFIXES.old)}`,
    `ALTER TABLE ${fresh} RENAME TO ${quoteIdent(model.name)}`,
    `DROP TABLE ${old}`,
    ...successRecords(model, run, target),
  ];
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
    `CREATE MATERIALIZED VIEW ${target} ${tableAttributes(model)} AS\nSELECT ${casted}\nFROM (\n${model.sql}\n) AS "zeo_model"`,
    ...grantStatements(model, target),
    ...successRecords(model, run, target),
  ];
}

function refreshView(model: ManifestModel, run: RunContext): string[] {
  const target = qualifiedModel(model);
  return [`REFRESH MATERIALIZED VIEW ${target}`, ...successRecords(model, run, target)];
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
