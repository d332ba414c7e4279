import { IDENTIFIER_PATTERN } from '../../../shared/sql/identifiers.js';

/**
 * Checks that values from fuzzed input ("tainted": they carry a canary such as `zqx1a2b3c`) reach SQL
 * only as a validated, double-quoted identifier or inside a string literal that cannot be escaped
 * from — never as bare SQL text. Works on the statements the Data API endpoint received.
 */

export type TokenKind = 'code' | 'literal' | 'ident' | 'comment' | 'dollar';

export interface Token {
  kind: TokenKind;
  /** The token as written (quotes included). */
  text: string;
  /** Literal or identifier content with its quotes removed and doubled quotes undone. */
  value: string;
}

export function tokenize(sql: string): { tokens: Token[]; error?: string } {
  const tokens: Token[] = [];
  let code = '';
  const flush = () => {
    if (code) tokens.push({ kind: 'code', text: code, value: code });
    code = '';
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      flush();
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= sql.length) return { tokens, error: `unterminated ${c === "'" ? 'literal' : 'identifier'}` };
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += sql[j];
        j++;
      }
      tokens.push({ kind: c === "'" ? 'literal' : 'ident', text: sql.slice(i, j + 1), value });
      i = j + 1;
    } else if (c === '-' && next === '-') {
      flush();
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      tokens.push({ kind: 'comment', text: sql.slice(i, stop), value: sql.slice(i, stop) });
      i = stop;
    } else if (c === '/' && next === '*') {
      flush();
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return { tokens, error: 'unterminated comment' };
      tokens.push({ kind: 'comment', text: sql.slice(i, end + 2), value: sql.slice(i, end + 2) });
      i = end + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
      if (!tag) {
        code += c;
        i++;
        continue;
      }
      flush();
      const end = sql.indexOf(tag, i + tag.length);
      if (end === -1) return { tokens, error: 'unterminated dollar quote' };
      tokens.push({
        kind: 'dollar',
        text: sql.slice(i, end + tag.length),
        value: sql.slice(i + tag.length, end),
      });
      i = end + tag.length;
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return { tokens };
}

export interface TaintReport {
  statements: number;
  /** Tainted text outside a safe token, with where it was found. */
  leaks: string[];
  /** Statements that do not tokenize, or that hold more than one statement. */
  structural: string[];
}

/** Procedures whose string arguments are run as SQL (EXECUTE): their literals are checked as SQL too. */
const DYNAMIC_SQL_CALL = /^\s*CALL\s+"zeo"\."assert_unique"\s*\(/i;

function checkOne(sql: string, canary: RegExp, report: TaintReport, where: string, depth: number): void {
  const { tokens, error } = tokenize(sql);
  if (error) {
    report.structural.push(`${where}: ${error}: ${sql.slice(0, 200)}`);
    return;
  }
  const code = tokens
    .filter((t) => t.kind === 'code')
    .map((t) => t.text)
    .join(' ');
  if (depth === 0 && code.replace(/;\s*$/, '').includes(';')) {
    report.structural.push(`${where}: more than one statement: ${sql.slice(0, 200)}`);
  }
  const dynamic = depth === 0 && DYNAMIC_SQL_CALL.test(sql);
  let literals = 0;
  for (const token of tokens) {
    const pattern = new RegExp(canary.source, canary.flags.includes('g') ? canary.flags : `${canary.flags}g`);
    const hits = token.text.match(pattern);
    if (dynamic && token.kind === 'literal' && literals++ > 0) {
      // assert_unique(model, relation, key, key_text): all but the first are run as SQL (EXECUTE),
      // so they must be as safe as a statement of their own.
      checkOne(token.value, canary, report, `${where} (dynamic SQL argument)`, depth + 1);
      continue;
    }
    if (!hits) continue;
    if (token.kind === 'ident' && IDENTIFIER_PATTERN.test(token.value)) continue;
    if (token.kind === 'literal' && !token.value.includes('\\')) continue;
    report.leaks.push(
      `${where}: ${hits.join(',')} in ${token.kind} ${JSON.stringify(token.text.slice(0, 120))}`,
    );
  }
}

export function checkStatements(
  statements: readonly { sql: string; statementId?: string; index?: number }[],
  canary: RegExp,
): TaintReport {
  const report: TaintReport = { statements: 0, leaks: [], structural: [] };
  for (const s of statements) {
    report.statements++;
    checkOne(s.sql, canary, report, `${s.statementId ?? 'statement'}:${s.index ?? 1}`, 0);
  }
  return report;
}

/** A marker to put into generated values; `canaryPattern` finds every one of them. */
export const CANARY_PREFIX = 'zqx';
export const canaryPattern = /zqx[0-9a-f]{6}/;
export function canary(n: number): string {
  return `${CANARY_PREFIX}${(n & 0xffffff).toString(16).padStart(6, '0')}`;
}
