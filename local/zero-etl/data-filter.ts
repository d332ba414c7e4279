/**
 * Zero-ETL data filters for an Aurora PostgreSQL source (facts §4.4): comma-separated
 * `include:` / `exclude:` patterns of the form `database.schema.table`, where each part is a name, `*`,
 * or (schema and table only) a `/regular expression/`. Without a filter everything is included; once
 * any pattern exists the default is exclude, and later patterns override earlier ones.
 */

interface Rule {
  include: boolean;
  parts: [string, string, string];
}

function splitPattern(pattern: string): [string, string, string] | undefined {
  const parts: string[] = [];
  let current = '';
  let inRegex = false;
  for (const c of pattern) {
    if (c === '/') inRegex = !inRegex;
    if (c === '.' && !inRegex) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  const [database, schema, table] = parts.map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
  return parts.length === 3 && database && schema && table ? [database, schema, table] : undefined;
}

export function parseDataFilter(filter: string | undefined): Rule[] {
  if (!filter || filter.trim() === '') return [];
  return filter.split(',').map((entry) => {
    const match = /^\s*(include|exclude)\s*:\s*(.+?)\s*$/i.exec(entry);
    const parts = match?.[2] ? splitPattern(match[2]) : undefined;
    if (!match || !parts) throw new SyntaxError(`cannot parse data filter entry '${entry.trim()}'`);
    return { include: match[1]?.toLowerCase() === 'include', parts };
  });
}

function partMatches(pattern: string, value: string, allowRegex: boolean): boolean {
  if (pattern === '*') return true;
  if (allowRegex && pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/')) {
    return new RegExp(`^(?:${pattern.slice(1, -1)})$`).test(value);
  }
  return pattern === value;
}

export function tableIncluded(
  filter: string | undefined,
  database: string,
  schema: string,
  table: string,
): boolean {
  const rules = parseDataFilter(filter);
  if (rules.length === 0) return true;
  let included = false;
  for (const rule of rules) {
    const [d, s, t] = rule.parts;
    if (partMatches(d, database, false) && partMatches(s, schema, true) && partMatches(t, table, true)) {
      included = rule.include;
    }
  }
  return included;
}
