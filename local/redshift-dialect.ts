/**
 * Translates the Redshift SQL the orchestrator (and a user's models) send into PostgreSQL for the
 * embedded local stack, and records what Redshift would have kept in its catalog (distribution and
 * sort keys) so tests can check a curated table really got its physical design.
 *
 * This is deliberately a narrow, statement-level rewrite, not a SQL parser: it understands exactly
 * the Redshift-only syntax the project emits (table attributes, GRANT … TO ROLE/GROUP, three-part
 * names, GETDATE()) and leaves everything else to PostgreSQL, which then fails loudly on anything it
 * does not know — the behaviour we want from a stand-in.
 */

import { RedshiftSqlError } from './warehouse/errors.js';

export interface PhysicalDesign {
  schema: string;
  table: string;
  diststyle: 'AUTO' | 'EVEN' | 'ALL' | 'KEY';
  distkey: string | null;
  sortkeyStyle: 'COMPOUND' | 'INTERLEAVED' | 'AUTO' | null;
  sortkey: string[];
}

export interface TranslatedStatement {
  sql: string;
  /** Set for CREATE TABLE / CREATE MATERIALIZED VIEW: what Redshift would show in SVV_TABLE_INFO. */
  design?: PhysicalDesign;
  /**
   * With `design`: the created relation's name exactly as written in `sql` (resolve it with
   * `to_regclass` after running the statement; `design.schema` guesses `public` for unqualified names,
   * which is wrong for temporary tables and other search paths).
   */
  relation?: string;
  /** `CREATE TABLE … IF NOT EXISTS`: the design only applies when the table did not exist yet. */
  ifNotExists?: boolean;
  /**
   * `CREATE TABLE t (LIKE parent)` without table attributes: Redshift copies the parent's distribution
   * and sort keys, so `design` (all defaults) must be replaced by the parent's.
   */
  inheritsFrom?: string;
}

/** The local schema that holds `schema` of another (zero-ETL) database: `"L"."public"` → `L__public`. */
export const localSchemaForDatabase = (database: string, schema: string): string => `${database}__${schema}`;

export interface DialectContext {
  /** The database the Data API session is connected to (three-part names into it become two-part). */
  currentDatabase: string;
  /** Maps `database.schema` of another database to the local schema that holds it. */
  schemaForDatabase(database: string, schema: string): string | undefined;
}

const IDENT = '(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)';
const COLUMN_LIST = String.raw`\(\s*${IDENT}(?:\s*,\s*${IDENT})*\s*\)`;
const ATTRIBUTE = new RegExp(
  String.raw`\s*(?:BACKUP\s+(?:YES|NO)|DISTSTYLE\s+(?:AUTO|EVEN|ALL|KEY)|DISTKEY\s*\(\s*${IDENT}\s*\)|(?:(?:COMPOUND|INTERLEAVED)\s+)?SORTKEY\s*(?:${COLUMN_LIST}|AUTO)|ENCODE\s+AUTO)`,
  'iy',
);

const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1) : name.toLowerCase());

function parseNames(list: string): string[] {
  return [...list.matchAll(new RegExp(IDENT, 'g'))].map((m) => unquote(m[0]));
}

/** Consumes Redshift table attributes starting at `from`; returns the design and where they end. */
function readAttributes(
  sql: string,
  from: number,
): { end: number; found: Omit<PhysicalDesign, 'schema' | 'table'> } {
  const found: Omit<PhysicalDesign, 'schema' | 'table'> = {
    diststyle: 'AUTO',
    distkey: null,
    sortkeyStyle: null,
    sortkey: [],
  };
  let pos = from;
  for (;;) {
    ATTRIBUTE.lastIndex = pos;
    const m = ATTRIBUTE.exec(sql);
    if (!m) break;
    const text = m[0].trim();
    const upper = text.toUpperCase();
    if (upper.startsWith('DISTSTYLE')) {
      found.diststyle = upper.split(/\s+/)[1] as PhysicalDesign['diststyle'];
    } else if (upper.startsWith('DISTKEY')) {
      found.diststyle = 'KEY';
      found.distkey = parseNames(text.slice(text.indexOf('(')))[0] ?? null;
    } else if (upper.includes('SORTKEY')) {
      if (/SORTKEY\s+AUTO$/i.test(text)) {
        found.sortkeyStyle = 'AUTO';
      } else {
        found.sortkeyStyle = upper.startsWith('INTERLEAVED') ? 'INTERLEAVED' : 'COMPOUND';
        found.sortkey = parseNames(text.slice(text.indexOf('(')));
      }
    }
    pos = ATTRIBUTE.lastIndex;
  }
  return { end: pos, found };
}

/**
 * The clauses between a materialized view's name and AS, exactly as the SQL reference "CREATE
 * MATERIALIZED VIEW" documents them: `[BACKUP {YES|NO}] [DISTSTYLE {EVEN|ALL|KEY}] [DISTKEY (col)]
 * [SORTKEY (col, …)] [AUTO REFRESH {YES|NO}] AS query`. Anything else — DISTSTYLE AUTO, SORTKEY AUTO,
 * COMPOUND or INTERLEAVED, ENCODE, a clause out of that order or twice — is the syntax error Redshift's
 * parser gives for a word its grammar does not have there. Without DISTSTYLE a view is EVEN ("If you
 * omit this clause, the distribution style is EVEN").
 */
// AWS-ASSUMPTION: mv-ddl-defaults-and-order
function readViewClauses(
  sql: string,
  from: number,
): { asAt: number; found: Omit<PhysicalDesign, 'schema' | 'table'> } {
  const found: Omit<PhysicalDesign, 'schema' | 'table'> = {
    diststyle: 'EVEN',
    distkey: null,
    sortkeyStyle: null,
    sortkey: [],
  };
  const token = new RegExp(String.raw`\s*(${IDENT}|[(),]|\S)`, 'y');
  let pos = from;
  const peek = (): { text: string; word: string; end: number } | undefined => {
    token.lastIndex = pos;
    const m = token.exec(sql);
    const text = m?.[1];
    return m && text !== undefined ? { text, word: text.toUpperCase(), end: token.lastIndex } : undefined;
  };
  const fail = (): never => {
    throw new RedshiftSqlError(`syntax error at or near "${peek()?.text ?? 'end of input'}"`, '42601');
  };
  const take = (...words: string[]): string => {
    const next = peek();
    if (!next || !words.includes(next.word)) fail();
    pos = next?.end ?? pos;
    return next?.word ?? '';
  };
  const columns = (): string[] => {
    const names: string[] = [];
    take('(');
    do {
      const next = peek();
      if (!next || !new RegExp(`^${IDENT}$`).test(next.text)) fail();
      names.push(unquote(next?.text ?? ''));
      pos = next?.end ?? pos;
    } while (take(',', ')') === ',');
    return names;
  };
  // Each clause once, in the documented order (the table attributes in any order among themselves).
  const seen = new Set<string>();
  const order: Record<string, number> = { BACKUP: 0, DISTSTYLE: 1, DISTKEY: 1, SORTKEY: 1, AUTO: 2 };
  let stage = 0;
  for (;;) {
    const next = peek();
    const word = next?.word ?? '';
    if (next && word === 'AS') return { asAt: next.end - next.text.length, found };
    const at = order[word];
    if (at === undefined || at < stage || seen.has(word)) return fail();
    seen.add(word);
    stage = at;
    take(word);
    if (word === 'BACKUP') take('YES', 'NO');
    else if (word === 'DISTSTYLE') {
      found.diststyle = take('EVEN', 'ALL', 'KEY') as PhysicalDesign['diststyle'];
    } else if (word === 'DISTKEY') {
      found.diststyle = 'KEY';
      found.distkey = columns()[0] ?? null;
      if (found.distkey === null) fail();
    } else if (word === 'SORTKEY') {
      found.sortkeyStyle = 'COMPOUND';
      found.sortkey = columns();
    } else {
      take('REFRESH');
      take('YES', 'NO');
    }
  }
}

/** Index just after the parenthesis that closes the one opening at `open`. */
function closingParen(sql: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Redshift column compression encodings, which PostgreSQL does not know. */
const COLUMN_ENCODING =
  /\s+ENCODE\s+(?:RAW|AZ64|BYTEDICT|DELTA|DELTA32K|LZO|MOSTLY8|MOSTLY16|MOSTLY32|RUNLENGTH|TEXT255|TEXT32K|ZSTD|AUTO)\b/gi;

function stripColumnEncodings(sql: string): string {
  return replaceOutsideLiterals(sql, (s) => s.replace(COLUMN_ENCODING, ''));
}

function relationName(raw: string): { schema: string; table: string } {
  const parts = parseNames(raw);
  const table = parts[parts.length - 1] ?? '';
  const schema = parts.length >= 2 ? (parts[parts.length - 2] ?? 'public') : 'public';
  return { schema, table };
}

function rewriteThreePartNames(sql: string, context: DialectContext): string {
  const threePart = new RegExp(`(${IDENT})\\.(${IDENT})\\.(${IDENT})`, 'g');
  return replaceOutsideLiterals(sql, (segment) =>
    segment.replace(threePart, (whole, db: string, schema: string, table: string) => {
      const database = unquote(db);
      if (database === context.currentDatabase) return `${schema}.${table}`;
      // Could also be schema.table.column: only rewrite when the first part names a database.
      const local = context.schemaForDatabase(database, unquote(schema));
      return local ? `"${local}".${table}` : whole;
    }),
  );
}

/**
 * Applies `rewrite` to the parts of `sql` outside comments, string literals and dollar-quoted bodies
 * (comments first: an apostrophe in `-- the customer's region` must not open a literal).
 */
function replaceOutsideLiterals(sql: string, rewrite: (segment: string) => string): string {
  const pattern = /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|\$\$[\s\S]*?\$\$/g;
  let out = '';
  let last = 0;
  for (const m of sql.matchAll(pattern)) {
    out += rewrite(sql.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + rewrite(sql.slice(last));
}

export function translate(sql: string, context: DialectContext): TranslatedStatement {
  let text = rewriteThreePartNames(sql.trim().replace(/;\s*$/, ''), context);
  text = replaceOutsideLiterals(text, (s) =>
    s
      .replace(/\bGRANT\s+(.+?)\s+TO\s+(?:ROLE|GROUP)\s+/gi, 'GRANT $1 TO ')
      // Redshift's SYSDATE is a keyword without parentheses; here it is a function.
      .replace(/(?<![\w."$])SYSDATE(?![\w"$(])/gi, 'sysdate()')
      // The session's PostgreSQL role is a stand-in; the user Redshift would report is the Data API's
      // (`IAMR:<role>`, a DbUser, …), which the warehouse sets per request.
      .replace(/(?<![\w."$])CURRENT_USER(?![\w"$(])/gi, `${USER_FUNCTION}()`)
      .replace(/(?<![\w."$])PG_USER(?![\w"$(.])/gi, USER_VIEW)
      .replace(/(?<![\w."$])PG_GET_USERBYID\s*\(/gi, `${USER_BY_ID_FUNCTION}(`),
  );

  const createTable = new RegExp(
    `^CREATE\\s+(?:(?:LOCAL\\s+)?(?:TEMP|TEMPORARY)\\s+)?TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT}(?:\\.${IDENT})?)\\s*(\\()?`,
    'i',
  ).exec(text);
  if (createTable) {
    const relation = createTable[2] ?? '';
    const ifNotExists = createTable[1] !== undefined;
    const open = createTable[0].length - 1;
    const close = createTable[3] ? closingParen(text, open) : createTable[0].trimEnd().length;
    if (close > 0) {
      const { end, found } = readAttributes(text, close);
      const design = { ...relationName(relation), ...found };
      const columns = createTable[3] ? stripColumnEncodings(text.slice(0, close)) : text.slice(0, close);
      const like = new RegExp(`^\\(\\s*LIKE\\s+(${IDENT}(?:\\.${IDENT})?)`, 'i').exec(
        text.slice(open, close),
      );
      return {
        sql: columns + text.slice(end),
        design,
        relation,
        ...(ifNotExists ? { ifNotExists } : {}),
        ...(like && end === close ? { inheritsFrom: like[1] } : {}),
      };
    }
  }
  const createView = new RegExp(`^CREATE\\s+MATERIALIZED\\s+VIEW\\s+(${IDENT}(?:\\.${IDENT})?)`, 'i').exec(
    text,
  );
  if (createView) {
    const start = createView[0].length;
    const { asAt, found } = readViewClauses(text, start);
    return {
      sql: `${text.slice(0, start)} ${text.slice(asAt)}`,
      design: { ...relationName(createView[1] ?? ''), ...found },
      relation: createView[1] ?? '',
    };
  }
  return { sql: text };
}

/** The database user of the current request (set per request by the warehouse). */
export const USER_SETTING = 'local_redshift.user';
/** Stand-ins of Redshift's `current_user` and `pg_user` (the current user's row, with `usesuper`). */
export const USER_FUNCTION = 'redshift_sys.database_user';
export const USER_VIEW = 'redshift_sys.pg_user';
/** `pg_get_userbyid`: what the session role owns belongs to the request's database user. */
export const USER_BY_ID_FUNCTION = 'redshift_sys.get_userbyid';

/**
 * The setting through which the local stack tells GETDATE()/SYSDATE its (possibly simulated) clock, as
 * a UTC `timestamp` literal, so replication times and build times share one clock. Unset = real time.
 */
export const CLOCK_SETTING = 'local_redshift.clock';

const CLOCK_NOW = `COALESCE(NULLIF(current_setting('${CLOCK_SETTING}', true), '')::timestamp, (now() AT TIME ZONE 'UTC')::timestamp)`;

/**
 * Functions Redshift has and PostgreSQL lacks, created once per local database. GETDATE() has no
 * fractional seconds on Redshift (SYSDATE has microseconds), so two builds in the same second tie.
 */
export const COMPATIBILITY_FUNCTIONS = [
  `CREATE OR REPLACE FUNCTION getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT date_trunc('second', ${CLOCK_NOW}) $$`,
  `CREATE OR REPLACE FUNCTION sysdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT ${CLOCK_NOW} $$`,
];
