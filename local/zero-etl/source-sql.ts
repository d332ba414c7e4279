import type { PGliteInterface } from '@electric-sql/pglite';

/**
 * A user's Aurora PostgreSQL schema and data as plain SQL — hand-written or `pg_dump` output — split
 * into statements and loaded into the embedded source. `pg_dump` writes things that only make sense
 * on a real server (ownership, privileges, extensions, psql meta-commands): when one of those cannot
 * run here it is skipped and named; any other statement that fails stops the load with its line.
 */

export interface SourceStatement {
  sql: string;
  /** 1-based line of the statement's first token. */
  line: number;
  /** The data lines of `COPY … FROM stdin` (pg_dump's default data format), without the `\.` line. */
  copyData?: string;
  /** A psql meta-command (`\connect`, `\restrict`, …): not SQL, never sent. */
  meta?: boolean;
}

export interface SkippedStatement {
  line: number;
  /** The statement's first words, e.g. `CREATE EXTENSION postgis`. */
  statement: string;
  reason: string;
}

/** A statement of the source file that failed for a reason that is the file's, not the engine's. */
export class SourceSqlError extends Error {
  override name = 'SourceSqlError';
  constructor(
    readonly line: number,
    readonly statement: string,
    readonly reason: string,
  ) {
    super(`line ${line}: ${statement}: ${reason}`);
  }
}

/** Statements about the server rather than the schema: skipped when the embedded engine refuses them. */
const ENVIRONMENT_STATEMENT =
  /^(SET\b|RESET\b|SELECT\s+pg_catalog\.set_config\b|ALTER\s[^;]*?\sOWNER\s+TO\b|GRANT\b|REVOKE\b|(CREATE|ALTER|DROP)\s+(EXTENSION|ROLE|USER|GROUP|PUBLICATION|SUBSCRIPTION|TABLESPACE|EVENT\s+TRIGGER|SERVER|FOREIGN\s+DATA\s+WRAPPER|USER\s+MAPPING)\b|COMMENT\s+ON\s+(EXTENSION|DATABASE|SCHEMA\s+public)\b|ALTER\s+DEFAULT\s+PRIVILEGES\b|SECURITY\s+LABEL\b|ALTER\s+DATABASE\b|CREATE\s+DATABASE\b|SELECT\s+pg_catalog\.setval\b)/i;

const COPY_FROM_STDIN = /^COPY\s[\s\S]*\bFROM\s+stdin\b/i;

/** Splits SQL text into statements, honouring quotes, dollar quotes, comments and COPY data blocks. */
export function splitSourceSql(text: string): SourceStatement[] {
  const statements: SourceStatement[] = [];
  let i = 0;
  let line = 1;
  let start = -1;
  let startLine = 1;
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const finish = (end: number) => {
    if (start >= 0) {
      const sql = text.slice(start, end).trim();
      if (sql) statements.push({ sql, line: startLine });
    }
    start = -1;
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      advance(end < 0 ? text.length : end);
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 0;
      let k = i;
      while (k < text.length) {
        if (text[k] === '/' && text[k + 1] === '*') {
          depth++;
          k += 2;
        } else if (text[k] === '*' && text[k + 1] === '/') {
          depth--;
          k += 2;
          if (depth === 0) break;
        } else k++;
      }
      advance(k);
      continue;
    }
    if (/\s/.test(c ?? '')) {
      advance(i + 1);
      continue;
    }
    if (start < 0) {
      start = i;
      startLine = line;
      if (c === '\\') {
        // A psql meta-command runs to the end of its line.
        const end = text.indexOf('\n', i);
        const stop = end < 0 ? text.length : end;
        statements.push({ sql: text.slice(i, stop).trim(), line, meta: true });
        start = -1;
        advance(stop);
        continue;
      }
    }
    if (c === "'" || c === '"') {
      // Standard strings: a doubled quote is the quote itself. E'…' strings also escape with backslash.
      const escapes = c === "'" && /[eE]/.test(text[i - 1] ?? '') && !/\w/.test(text[i - 2] ?? '');
      let k = i + 1;
      while (k < text.length) {
        if (escapes && text[k] === '\\') k += 2;
        else if (text[k] === c && text[k + 1] === c) k += 2;
        else if (text[k] === c) break;
        else k++;
      }
      advance(Math.min(k + 1, text.length));
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag && !/\w/.test(text[i - 1] ?? '')) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        advance(close < 0 ? text.length : close + tag[0].length);
        continue;
      }
    }
    if (c === ';') {
      finish(i);
      advance(i + 1);
      const last = statements.at(-1);
      if (last && !last.meta && COPY_FROM_STDIN.test(last.sql)) {
        // The data starts on the next line and ends with a line holding only `\.`.
        const lineEnd = text.indexOf('\n', i);
        const dataStart = lineEnd < 0 ? text.length : lineEnd + 1;
        const terminator = /^\\\.\r?$/m;
        const rest = text.slice(dataStart);
        const match = terminator.exec(rest);
        const dataEnd = match ? dataStart + match.index : text.length;
        last.copyData = text.slice(dataStart, dataEnd);
        advance(match ? dataEnd + match[0].length : text.length);
      }
      continue;
    }
    advance(i + 1);
  }
  finish(text.length);
  return statements;
}

/** `CREATE TABLE public.orders (…` → `CREATE TABLE public.orders`: enough to recognise a statement. */
export function statementHead(sql: string): string {
  const head = sql
    .replace(/\s+/g, ' ')
    .replace(/[(;].*$/, '')
    .trim();
  return head.length > 60 ? `${head.slice(0, 59)}…` : head;
}

/**
 * Runs the statements on the embedded source in order. Returns what was skipped; throws
 * SourceSqlError for the first statement that fails and is not an environment statement.
 */
export async function loadSourceSql(
  db: PGliteInterface,
  statements: readonly SourceStatement[],
): Promise<SkippedStatement[]> {
  const skipped: SkippedStatement[] = [];
  for (const statement of statements) {
    const head = statementHead(statement.sql);
    if (statement.meta) {
      skipped.push({ line: statement.line, statement: head, reason: 'psql meta-command, not SQL' });
      continue;
    }
    try {
      if (statement.copyData !== undefined) {
        const sql = statement.sql.replace(/\bFROM\s+stdin\b/i, "FROM '/dev/blob'");
        await db.query(sql, [], { blob: new Blob([statement.copyData]) });
      } else {
        await db.exec(statement.sql);
      }
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      if (ENVIRONMENT_STATEMENT.test(statement.sql)) {
        skipped.push({ line: statement.line, statement: head, reason });
        continue;
      }
      throw new SourceSqlError(statement.line, head, reason);
    }
  }
  return skipped;
}
