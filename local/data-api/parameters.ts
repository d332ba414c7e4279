import { DataApiError } from './errors.js';

/**
 * Data API parameters: `:name` placeholders in the SQL, values as strings that Redshift converts to the
 * needed type. They become PostgreSQL `$n` parameters — never text spliced into the statement — so
 * nothing a caller puts in a value can change the SQL. Placeholders inside string literals, quoted
 * identifiers, comments and dollar-quoted bodies are left alone, as are `::type` casts.
 */

export interface SqlParameter {
  name: string;
  value: string;
}

export interface BoundStatement {
  sql: string;
  params: string[];
  /** Parameter names the statement referenced. */
  used: Set<string>;
}

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces `:name` with `$n` in `sql`; `values` maps names to values. Throws for a missing value. */
export function bindParameters(sql: string, values: ReadonlyMap<string, string>): BoundStatement {
  const params: string[] = [];
  const numbers = new Map<string, number>();
  const used = new Set<string>();
  let out = '';
  let i = 0;
  const copyUntil = (end: number) => {
    const stop = end < 0 ? sql.length : end;
    out += sql.slice(i, stop);
    i = stop;
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      // Quotes are escaped by doubling, so the next lone quote ends the token.
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      copyUntil(j + 1);
    } else if (c === '-' && next === '-') {
      copyUntil(sql.indexOf('\n', i));
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      copyUntil(end < 0 ? -1 : end + 2);
    } else if (c === '$' && /^\$[A-Za-z_0-9]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_0-9]*\$/.exec(sql.slice(i))?.[0] ?? '$$';
      if (/^\$\d+\$/.test(tag)) {
        copyUntil(i + 1);
        continue;
      }
      const end = sql.indexOf(tag, i + tag.length);
      copyUntil(end < 0 ? -1 : end + tag.length);
    } else if (c === ':' && next === ':') {
      copyUntil(i + 2);
    } else if (c === ':' && sql[i - 1] !== ':' && /[A-Za-z_]/.test(next ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0] ?? '';
      const value = values.get(name);
      if (value === undefined) {
        throw new DataApiError(
          'ValidationException',
          `The parameter '${name}' is used in the SQL but has no value.`,
        );
      }
      let n = numbers.get(name);
      if (n === undefined) {
        params.push(value);
        n = params.length;
        numbers.set(name, n);
      }
      used.add(name);
      out += `$${n}`;
      i += 1 + name.length;
    } else {
      copyUntil(i + 1);
    }
  }
  return { sql: out, params, used };
}

/**
 * Validates the Parameters list of a request and returns it as a map. The model's own constraints (a
 * value of at least one character, names of `[0-9a-zA-Z_]`) were checked before, by `checkRequest`.
 */
export function parameterMap(parameters: readonly SqlParameter[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of parameters ?? []) {
    if (!PARAMETER_NAME.test(p.name)) {
      throw new DataApiError('ValidationException', `Invalid parameter name '${p.name}'.`);
    }
    if (map.has(p.name))
      throw new DataApiError('ValidationException', `Duplicate parameter name '${p.name}'.`);
    map.set(p.name, p.value);
  }
  return map;
}

/**
 * Binds parameters for every statement of a request. Without Parameters the SQL is left untouched
 * (a stray `:x` then fails in the database, as on Redshift); with them, each one must be referenced.
 */
export function bindAll(
  sqls: readonly string[],
  parameters: readonly SqlParameter[] | undefined,
): BoundStatement[] {
  const values = parameterMap(parameters);
  if (values.size === 0) return sqls.map((sql) => ({ sql, params: [], used: new Set() }));
  const bound = sqls.map((sql) => bindParameters(sql, values));
  for (const name of values.keys()) {
    if (!bound.some((b) => b.used.has(name))) {
      throw new DataApiError('ValidationException', `The parameter '${name}' is not used in the SQL.`);
    }
  }
  return bound;
}
