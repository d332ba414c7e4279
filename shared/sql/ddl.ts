import { ProjectValidationError } from '../errors.js';
import type { ManifestModel } from '../project/manifest.js';
import { bookkeeping } from './bookkeeping.js';
import { literal, quoteIdent } from './identifiers.js';

/** Pieces of DDL/DML shared by the table, incremental and materialized-view builds. */

export function columnDefinitions(model: ManifestModel): string {
  return model.columns
    .map((c) => `  ${quoteIdent(c.name)} ${c.type.toUpperCase()}${c.notNull ? ' NOT NULL' : ''}`)
    .join(',\n');
}

/** `DISTSTYLE … [DISTKEY (…)] [COMPOUND|INTERLEAVED SORTKEY (…) | SORTKEY AUTO]`. */
export function tableAttributes(model: ManifestModel): string {
  const parts = ['BACKUP YES'];
  const { dist, sort } = model;
  if (dist.style === 'key') parts.push(`DISTSTYLE KEY DISTKEY (${quoteIdent(dist.column)})`);
  else parts.push(`DISTSTYLE ${dist.style.toUpperCase()}`);
  if (sort?.style === 'auto') parts.push('SORTKEY AUTO');
  else if (sort)
    parts.push(`${sort.style.toUpperCase()} SORTKEY (${sort.columns.map(quoteIdent).join(', ')})`);
  return parts.join(' ');
}

/**
 * What CREATE MATERIALIZED VIEW takes between the name and AS, and nothing else (SQL reference "CREATE
 * MATERIALIZED VIEW": `[BACKUP] [DISTSTYLE EVEN|ALL|KEY] [DISTKEY (col)] [SORTKEY (col, …)] [AUTO
 * REFRESH YES|NO]`). A model that leaves dist or sort out gets no clause, so Redshift's default for
 * views applies; AUTO and INTERLEAVED, which that grammar lacks, are refused by validation.
 */
// AWS-ASSUMPTION: mv-ddl-defaults-and-order
export function materializedViewAttributes(model: ManifestModel): string {
  const parts = ['BACKUP YES'];
  const { dist, sort } = model;
  if (dist.style === 'key') parts.push(`DISTSTYLE KEY DISTKEY (${quoteIdent(dist.column)})`);
  else if (dist.style !== 'auto') parts.push(`DISTSTYLE ${dist.style.toUpperCase()}`);
  if (sort?.style === 'auto' || sort?.style === 'interleaved') {
    // Only a manifest that did not come out of validation gets here.
    throw new ProjectValidationError([
      {
        file: `models/${model.name}.yml`,
        field: 'sort',
        message: `a materialized_view cannot have ${sort.style === 'auto' ? 'sort: auto' : 'an interleaved sort key'}`,
      },
    ]);
  }
  if (sort) parts.push(`SORTKEY (${sort.columns.map(quoteIdent).join(', ')})`);
  parts.push(`AUTO REFRESH ${model.autoRefresh === true ? 'YES' : 'NO'}`);
  return parts.join(' ');
}

export function columnList(model: ManifestModel, prefix = ''): string {
  return model.columns.map((c) => `${prefix}${quoteIdent(c.name)}`).join(', ');
}

/**
 * The model's SELECT wrapped so that its output is matched to the declared columns by name (a model
 * that does not produce a declared column fails loudly instead of shifting values between columns).
 */
export function projectedSelect(model: ManifestModel, where?: string): string {
  return `SELECT ${columnList(model, '"zeo_model".')}\nFROM (\n${model.sql}\n) AS "zeo_model"${where ? `\nWHERE ${where}` : ''}`;
}

export function grantStatements(model: ManifestModel, relation: string): string[] {
  return model.grants.map((g) => {
    const grantee = g.kind === 'user' ? quoteIdent(g.name) : `${g.kind.toUpperCase()} ${quoteIdent(g.name)}`;
    return `GRANT SELECT ON ${relation} TO ${grantee}`;
  });
}

/** CALL to the bookkeeping procedure that RAISEs (and so rolls back the batch) on duplicate keys. */
export function uniqueCheck(model: ManifestModel, relation: string): string[] {
  if (model.uniqueKey.length === 0) return [];
  const key = model.uniqueKey.map(quoteIdent).join(', ');
  const keyText = model.uniqueKey
    .map((c) => `COALESCE(CAST(${quoteIdent(c)} AS VARCHAR), 'NULL')`)
    .join(" || ', ' || ");
  return [
    `CALL ${bookkeeping.assertUnique}(${literal(model.name)}, ${literal(relation)}, ${literal(key)}, ${literal(keyText)})`,
  ];
}

/**
 * Who started a build; every value is validated by the caller's schema before it gets here. No clock
 * value goes into the batch: a retried submission must send the very same SQL under its ClientToken.
 */
export interface RunContext {
  runId: string;
  trigger: string;
}

/**
 * The success records, written inside the build transaction: a build is recorded if and only if it
 * committed, together with what it was built from (copied from the refresh's plan row) and the
 * release of the model's build lease. Failures are recorded by a separate step.
 *
 * No LOCK here: Redshift takes a transaction's snapshot at its first read, so a LOCK this late would not
 * make the lease check see anything newer (developer guide "Serializable isolation", "LOCK"), and a
 * LOCK at the start would hold the lease table — every other build's lease — for the whole build. The
 * fence is `claim_lease`'s DELETE of the run's own lease row instead: a concurrent fence or takeover
 * that deleted that row makes it fail with a serialization error, one that did so before the snapshot
 * leaves nothing to delete (see shared/sql/bookkeeping.ts). It comes first, so that from here to the
 * commit the lease takers and the failure record (shared/refresh/build-failure.ts), which LOCK the lease table first, wait for this build
 * rather than make it fail.
 */
export function successRecords(model: ManifestModel, run: RunContext, rowsFrom: string): string[] {
  const name = literal(model.name);
  const runId = literal(run.runId);
  return [
    `CALL ${bookkeeping.claimLease}(${name}, ${runId})`,
    // SYSDATE is the start of the build's transaction, GETDATE() the start of this last statement.
    `INSERT INTO ${bookkeeping.runLog} ("run_id", "model", "trigger", "status", "started_at", "finished_at", "rows_affected", "definition_hash")
SELECT ${runId}, ${name}, ${literal(run.trigger)}, 'success', SYSDATE, GETDATE(), COUNT(*), ${literal(model.definitionHash)} FROM ${rowsFrom}`,
    `DELETE FROM ${bookkeeping.modelState} WHERE "model" = ${name}`,
    // Without a plan row (a build outside a planned refresh) the inputs stay unknown: the next refresh rebuilds.
    `INSERT INTO ${bookkeeping.modelState} ("model", "definition_hash", "last_run_id", "last_success_at", "rows", "build_id", "inputs_hash", "inputs")
SELECT ${name}, ${literal(model.definitionHash)}, ${runId}, GETDATE(), (SELECT COUNT(*) FROM ${qualifiedModel(model)}), p."build_id", p."inputs_hash", p."inputs"
FROM (SELECT 1 AS "one") AS "zeo_one" LEFT JOIN ${bookkeeping.runPlan} AS p ON p."run_id" = ${runId} AND p."model" = ${name}`,
  ];
}

export function qualifiedModel(model: ManifestModel, suffix = ''): string {
  return `${quoteIdent(model.schema)}.${quoteIdent(model.name + suffix)}`;
}
