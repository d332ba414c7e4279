import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ControlInfo } from '../local/control.js';
import type { SkippedStatement, SourceStatement } from '../local/zero-etl/source-sql.js';
import { InvalidInputError } from '../shared/errors.js';
import { style } from './output.js';

/**
 * Options of the commands that use the local stack. `--source FILE.sql`: the user's Aurora PostgreSQL
 * schema and data for the embedded source, read and split before anything starts, so a missing or
 * unreadable file changes nothing. `-p` / `--source` against a running `zeo local start` stack.
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

/** `-p` / `--source` naming something else than the running stack runs would silently be ignored. */
export function assertSameStack(running: ControlInfo, options: { project: string; source?: string }): void {
  if (resolve(options.project) !== running.project)
    throw new InvalidInputError([
      {
        file: options.project,
        field: '-p',
        message: `a local stack is running on ${running.project} (pid ${running.pid}); run with that project, or stop it with \`zeo local stop\` first`,
      },
    ]);
  if (options.source !== undefined && resolve(options.source) !== running.source)
    throw new InvalidInputError([
      {
        file: options.source,
        field: '--source',
        message: `the running local stack loaded ${running.source ?? 'the shop example'}; stop it with \`zeo local stop\` to load another source`,
      },
    ]);
}

/**
 * The running `zeo local start` stack a `--local` command means, if any: without `-p` its project is
 * used; a `-p` or `--source` naming something else is refused. One lookup per command.
 */
export async function runningStackFor(
  options: { project: string; source?: string },
  command: Command,
): Promise<ControlInfo | undefined> {
  const { findRunningStack } = await import('../local/control.js');
  const running = await findRunningStack();
  if (!running) return undefined;
  if (command.getOptionValueSource('project') === 'default') options.project = running.project;
  assertSameStack(running, options);
  return running;
}
