import type { ManifestModel, ModelAudit } from '../project/manifest.js';
import { bookkeeping } from './bookkeeping.js';
import { literal, quoteIdent } from './identifiers.js';

/**
 * The model's tests (write-audit-publish): each is one `CALL zeo.assert_test(…)` placed in the build
 * batch after the new rows are in their relation and BEFORE the swap, so a failing `severity: error`
 * test RAISEs inside the build transaction — the Data API rolls the whole batch back, the old table
 * stays live and the model is recorded failed with the test's message — while a `severity: warn` test
 * records its result (committed with the build) and lets the build publish.
 *
 * Each test is two queries the procedure EXECUTEs: one counting the offending rows (NULL = skipped:
 * nothing to compare with), one listing a bounded sample of offending values (at most SAMPLE_ROWS
 * values of at most SAMPLE_VALUE_CHARS characters each; the procedure keeps at most ~900 characters).
 * The queries run as they are, not through any dialect translation, so they use only SQL that
 * Redshift and PostgreSQL read alike.
 */

/** Offending values listed per failing test. */
export const SAMPLE_ROWS = 5;
/** Characters kept of each sampled value. */
export const SAMPLE_VALUE_CHARS = 100;

/** Where the tests look: the relation the build wrote, and what the swap will replace. */
export interface AuditTarget {
  /** The relation holding the new rows (the fresh table, or the merged table). */
  relation: string;
  /** The rows a merge brought in (incremental models, `scope: window`). */
  window?: string;
  /** The live table the swap replaces (`row_count_change` compares with it); absent for a merge. */
  previous?: string;
}

const sampleValue = (expression: string) =>
  `SUBSTRING(COALESCE(CAST(${expression} AS VARCHAR(${SAMPLE_VALUE_CHARS * 4})), 'NULL'), 1, ${SAMPLE_VALUE_CHARS})`;

/** A list of SQL literals for `accepted_values`. */
function valueList(values: readonly (string | number | boolean)[]): string {
  return values
    .map((v) =>
      typeof v === 'string' ? literal(v) : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : String(v),
    )
    .join(', ');
}

interface AuditQueries {
  count: string;
  sample: string;
}

function queriesOf(model: ManifestModel, audit: ModelAudit, target: AuditTarget): AuditQueries | undefined {
  const rel = audit.scope === 'window' && target.window ? target.window : target.relation;
  const check = audit.check;
  switch (check.kind) {
    case 'accepted_values': {
      const column = quoteIdent(check.column);
      const offending = `FROM ${rel} WHERE ${column} IS NOT NULL AND ${column} NOT IN (${valueList(check.values)})`;
      return {
        count: `SELECT count(*) ${offending}`,
        sample: `SELECT DISTINCT ${sampleValue(column)} AS "v" ${offending} ORDER BY 1 LIMIT ${SAMPLE_ROWS}`,
      };
    }
    case 'relationships': {
      const column = `"zeo_child".${quoteIdent(check.column)}`;
      const parent = check.model === model.name ? target.relation : check.relation;
      const offending = `FROM ${rel} AS "zeo_child" WHERE ${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${parent} AS "zeo_parent" WHERE "zeo_parent".${quoteIdent(check.field)} = ${column})`;
      return {
        count: `SELECT count(*) ${offending}`,
        sample: `SELECT DISTINCT ${sampleValue(column)} AS "v" ${offending} ORDER BY 1 LIMIT ${SAMPLE_ROWS}`,
      };
    }
    case 'expression_is_true': {
      const offending = `FROM ${rel} WHERE NOT (${check.expression})`;
      // The offending rows are named by their unique key when the model has one.
      const key =
        model.uniqueKey.length > 0
          ? model.uniqueKey.map((c) => sampleValue(quoteIdent(c))).join(` || ', ' || `)
          : `'row'`;
      return {
        count: `SELECT count(*) ${offending}`,
        sample: `SELECT ${key} AS "v" ${offending} ORDER BY 1 LIMIT ${SAMPLE_ROWS}`,
      };
    }
    case 'unique': {
      const columns = check.columns.map(quoteIdent).join(', ');
      const keyText = check.columns.map((c) => sampleValue(quoteIdent(c))).join(` || ', ' || `);
      return {
        count: `SELECT count(*) FROM (SELECT 1 FROM ${rel} GROUP BY ${columns} HAVING count(*) > 1) AS "zeo_dups"`,
        sample: `SELECT ${keyText} || ' (' || CAST(count(*) AS VARCHAR(20)) || ' times)' AS "v" FROM ${rel} GROUP BY ${columns} HAVING count(*) > 1 ORDER BY count(*) DESC, 1 LIMIT ${SAMPLE_ROWS}`,
      };
    }
    case 'row_count': {
      const bounds = [
        ...(check.min === undefined ? [] : [`count(*) < ${check.min}`]),
        ...(check.max === undefined ? [] : [`count(*) > ${check.max}`]),
      ].join(' OR ');
      const wanted = [
        ...(check.min === undefined ? [] : [`min ${check.min}`]),
        ...(check.max === undefined ? [] : [`max ${check.max}`]),
      ].join(', ');
      return {
        count: `SELECT CASE WHEN ${bounds} THEN 1 ELSE 0 END FROM ${rel}`,
        sample: `SELECT CAST(count(*) AS VARCHAR(20)) || ' rows (${wanted})' AS "v" FROM ${rel}`,
      };
    }
    case 'row_count_change': {
      // A merge never removes rows, so the drop it guards against cannot come from one.
      if (!target.previous) return undefined;
      // No previous build: nothing to compare with, and the placeholder the swap uses is empty.
      const built = `(SELECT count(*) FROM ${bookkeeping.modelState} WHERE "model" = ${literal(model.name)})`;
      const counts = `FROM (SELECT count(*) AS "n" FROM ${target.relation}) AS "zeo_new" CROSS JOIN (SELECT count(*) AS "n" FROM ${target.previous}) AS "zeo_old"`;
      return {
        count: `SELECT CASE WHEN ${built} = 0 THEN NULL WHEN ("zeo_old"."n" - "zeo_new"."n") * 100 > ${check.maxDropPercent} * "zeo_old"."n" THEN 1 ELSE 0 END ${counts}`,
        sample: `SELECT 'from ' || CAST("zeo_old"."n" AS VARCHAR(20)) || ' to ' || CAST("zeo_new"."n" AS VARCHAR(20)) || ' rows (max drop ${check.maxDropPercent} %)' AS "v" ${counts}`,
      };
    }
  }
}

/** The `CALL`s that run the model's tests on `target`, in the order the project lists them. */
export function auditStatements(model: ManifestModel, target: AuditTarget, runId: string): string[] {
  return model.audits.flatMap((audit) => {
    const queries = queriesOf(model, audit, target);
    if (!queries) return [];
    return [
      `CALL ${bookkeeping.assertTest}(${[model.name, audit.name, audit.severity, runId, queries.count, queries.sample].map(literal).join(', ')})`,
    ];
  });
}

/** The tests that warned or were skipped in one run (the failing ones rolled their build back). */
export function runTestResultsSql(runId: string): string {
  return `SELECT "model", "test", "status", "offending", "sample" FROM ${bookkeeping.testResult} WHERE "run_id" = ${literal(runId)} ORDER BY "model", "test"`;
}
