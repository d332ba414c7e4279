import { readFileSync } from 'node:fs';
import type { SkippedStatement, SourceStatement } from '../local/zero-etl/source-sql.js';
import { InvalidInputError } from '../shared/errors.js';
import { style } from './output.js';

/**
 * `--source FILE.sql`: the user's Aurora PostgreSQL schema and data for the embedded source, read and
 * split before anything starts, so a missing or unreadable file changes nothing.
 */
export async function readSourceOption(path: string | undefined): Promise<SourceStatement[] | undefined> {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidInputError([
      { file: path, field: '--source', message: `cannot read ${path}: ${reason}` },
    ]);
  }
  const { splitSourceSql } = await import('../local/zero-etl/source-sql.js');
  const statements = splitSourceSql(text);
  if (!statements.some((s) => !s.meta))
    throw new InvalidInputError([
      { file: path, field: '--source', message: `${path} holds no SQL statement` },
    ]);
  return statements;
}

/** A statement of the source file that failed becomes bad input naming the file and line (exit 2). */
export function sourceErrorAsInput(error: unknown, path: string | undefined): unknown {
  if (path === undefined || !(error instanceof Error) || error.name !== 'SourceSqlError') return error;
  const failed = error as Error & { line: number; statement: string; reason: string };
  return new InvalidInputError([
    {
      file: path,
      line: failed.line,
      field: '--source',
      message: `${path}:${failed.line}: ${failed.statement} failed: ${failed.reason}`,
    },
  ]);
}

/** One warning line naming every statement the embedded engine could not run (pg_dump extras). */
export function printSourceWarnings(path: string | undefined, skipped: readonly SkippedStatement[]): void {
  if (!path || skipped.length === 0) return;
  const named = skipped.map((s) => `line ${s.line} ${s.statement} (${s.reason})`).join('; ');
  process.stderr.write(
    `${style.red('warning:')} ${path}: skipped ${skipped.length} statement(s) the embedded engine cannot run: ${named}\n`,
  );
}
