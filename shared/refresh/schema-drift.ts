import { SourceSchemaDriftError } from '../errors.js';
import type { ManifestModel } from '../project/manifest.js';

/**
 * A build that failed because the landing zone moved under it: zero-ETL applies source DDL in place
 * (renamed tables and columns are renamed in the landing database, dropped columns disappear), so a
 * model whose SQL names the old name fails with the database's "does not exist" error — SQLSTATE
 * 42P01 (undefined_table) or 42703 (undefined_column) in PostgreSQL, whose messages Redshift keeps.
 * The Data API's DescribeStatement gives only the message text, no SQLSTATE, so the text is matched.
 *
 * Named `SourceSchemaDriftError` (the first word of the run log error, so the failure report, the
 * CLI and the events carry it as the error class) only when the missing name is the model's own
 * input: one of its landing tables, or a column that none of its curated upstreams declares (so it
 * can only come from a landing table). Anything else stays the database's error as it is.
 */
// AWS-ASSUMPTION: missing-relation-error-text
const MISSING_RELATION = /relation "([^"]+)" does not exist/i;
const MISSING_COLUMN = /column "?([A-Za-z0-9_."]+?)"? does not exist/i;

export interface SchemaDrift {
  /** The landing table that is gone, or the model's landing tables when a column is. */
  relation: string;
  /** The table or column name the database could not find. */
  missing: string;
  kind: 'table' | 'column';
}

/** What drifted, when `error` (a failed build's database error) says a model input no longer exists. */
export function schemaDriftOf(
  model: Pick<ManifestModel, 'sources' | 'refs'>,
  error: string,
  upstreamColumns: (model: string) => readonly string[],
): SchemaDrift | undefined {
  if (model.sources.length === 0) return undefined;
  const relation = MISSING_RELATION.exec(error)?.[1];
  if (relation) {
    // `"db"."schema"."table"`, `schema.table` or `table`: compared by its last one or two parts.
    const parts = relation.replaceAll('"', '').toLowerCase().split('.');
    const name = parts.slice(-2).join('.');
    const table = parts.at(-1) ?? '';
    const source = model.sources.find(
      (s) => s.toLowerCase() === name || s.toLowerCase().endsWith(`.${table}`),
    );
    return source ? { relation: source, missing: table, kind: 'table' } : undefined;
  }
  const column = MISSING_COLUMN.exec(error)?.[1]?.replaceAll('"', '').split('.').at(-1)?.toLowerCase();
  if (!column) return undefined;
  const curated = model.refs.some((r) => upstreamColumns(r).some((c) => c.toLowerCase() === column));
  return curated ? undefined : { relation: model.sources.join(', '), missing: column, kind: 'column' };
}

/** The run log error of a drifted build: the class, what is missing, then the database's own error. */
export function schemaDriftError(model: string, drift: SchemaDrift, databaseError: string): string {
  const what =
    drift.kind === 'table'
      ? `landing table ${drift.relation} no longer exists`
      : `column ${drift.missing} is in none of its landing tables (${drift.relation}) any more`;
  const error = new SourceSchemaDriftError(
    `model ${model} reads ${drift.kind === 'table' ? drift.relation : drift.missing}, but ${what} (renamed or dropped at the source?): ${databaseError}`,
  );
  return `${error.name}: ${error.message}`;
}

/** The drift named in a run log error written by `schemaDriftError`, for events and notifications. */
export function driftInError(error: string): { relation: string; missing: string } | undefined {
  const table = /^SourceSchemaDriftError: model \S+ reads (\S+), but landing table \S+ no longer exists/.exec(
    error,
  );
  if (table?.[1]) return { relation: table[1], missing: table[1].split('.').at(-1) ?? table[1] };
  const column =
    /^SourceSchemaDriftError: model \S+ reads (\S+), but column \S+ is in none of its landing tables \(([^)]*)\)/.exec(
      error,
    );
  if (column?.[1]) return { relation: column[2] ?? '', missing: column[1] };
  return undefined;
}
