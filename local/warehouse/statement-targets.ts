/**
 * Reads, from a translated statement, the relation it writes to and the landing tables it mentions —
 * enough to answer writes into a zero-ETL database and reads of unsynced tables with Redshift-like
 * errors. PostgreSQL privileges enforce both anyway (Data API sessions have no write privilege on
 * landing schemas and lose SELECT on tables that are not queryable); this only chooses the message.
 */

const NAME = '(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)';
const REL = String.raw`(${NAME}(?:\s*\.\s*${NAME})?)`;

const WRITES: [verb: string, pattern: RegExp][] = [
  ['INSERT', new RegExp(String.raw`^INSERT\s+INTO\s+${REL}`, 'i')],
  ['UPDATE', new RegExp(String.raw`^UPDATE\s+(?:ONLY\s+)?${REL}`, 'i')],
  ['DELETE', new RegExp(String.raw`^DELETE\s+FROM\s+(?:ONLY\s+)?${REL}`, 'i')],
  ['MERGE', new RegExp(String.raw`^MERGE\s+INTO\s+${REL}`, 'i')],
  ['TRUNCATE', new RegExp(String.raw`^TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?${REL}`, 'i')],
  [
    'CREATE',
    new RegExp(
      String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:LOCAL\s+)?(?:TEMP|TEMPORARY)\s+)?(?:MATERIALIZED\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?${REL}`,
      'i',
    ),
  ],
  ['CREATE', new RegExp(String.raw`^CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})`, 'i')],
  [
    'DROP',
    new RegExp(String.raw`^DROP\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+EXISTS\s+)?${REL}`, 'i'),
  ],
  ['DROP', new RegExp(String.raw`^DROP\s+SCHEMA\s+(?:IF\s+EXISTS\s+)?(${NAME})`, 'i')],
  [
    'ALTER',
    new RegExp(
      String.raw`^ALTER\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${REL}`,
      'i',
    ),
  ],
  ['ALTER', new RegExp(String.raw`^ALTER\s+SCHEMA\s+(${NAME})`, 'i')],
  ['GRANT', new RegExp(String.raw`^GRANT\s+[\s\S]+?\s+ON\s+(?:TABLE\s+)?${REL}`, 'i')],
];

/** CTEs put the write after the WITH list; the first DML keyword after it is the statement's verb. */
const WITH_WRITE = new RegExp(String.raw`\b(INSERT\s+INTO|DELETE\s+FROM|MERGE\s+INTO|UPDATE)\s+${REL}`, 'i');

export const unquoteName = (name: string): string =>
  name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();

function parts(relation: string): string[] {
  return [...relation.matchAll(new RegExp(NAME, 'g'))].map((m) => unquoteName(m[0]));
}

export interface WriteTarget {
  verb: string;
  /** The schema written to (for CREATE/DROP/ALTER SCHEMA, the schema itself); undefined when unqualified. */
  schema: string | undefined;
}

export function writeTarget(sql: string): WriteTarget | undefined {
  const text = sql.replace(/^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '');
  for (const [verb, pattern] of WRITES) {
    const match = pattern.exec(text);
    if (!match) continue;
    const names = parts(match[1] ?? '');
    const schemaLevel = pattern.source.includes('SCHEMA');
    return { verb, schema: schemaLevel ? names[0] : names.length > 1 ? names[0] : undefined };
  }
  if (/^WITH\b/i.test(text)) {
    const match = WITH_WRITE.exec(text);
    if (match) {
      const names = parts(match[2] ?? '');
      return {
        verb: (match[1] ?? '').split(/\s+/)[0]?.toUpperCase() ?? 'WRITE',
        schema: names.length > 1 ? names[0] : undefined,
      };
    }
  }
  return undefined;
}

/** Every `schema.table` pair in the statement (outside string literals). */
export function qualifiedNames(sql: string): { schema: string; table: string }[] {
  const withoutLiterals = sql.replace(/'(?:[^']|'')*'/g, "''");
  const pair = new RegExp(String.raw`(${NAME})\s*\.\s*(${NAME})`, 'g');
  return [...withoutLiterals.matchAll(pair)].map((m) => ({
    schema: unquoteName(m[1] ?? ''),
    table: unquoteName(m[2] ?? ''),
  }));
}

/** Leader-node catalog relations: the information_schema views and the pg_catalog tables. */
const CATALOG_SCHEMAS = new Set(['information_schema', 'pg_catalog']);
const RELATION_AFTER_FROM = new RegExp(String.raw`\b(?:FROM|JOIN)\s+(${NAME}(?:\s*\.\s*${NAME}){0,2})`, 'gi');
const SYSTEM_VIEW = /^(svv|sys|stv|stl|svl|svcs)_/;

/**
 * Whether a statement reads leader-node catalog relations together with user tables, which Redshift
 * refuses: the catalog lives on the leader node, user tables on the compute nodes (Developer Guide
 * "Querying the catalog tables"; facts §10). System views (`svv_*`, `sys_*`, `stv_*`, …) are not counted.
 */
export function mixesCatalogWithUserTables(sql: string): boolean {
  const text = sql.replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''").replace(/'(?:[^']|'')*'/g, "''");
  const relations = [...text.matchAll(RELATION_AFTER_FROM)].map((m) => parts(m[1] ?? ''));
  const isCatalog = (p: string[]) =>
    p.length === 1 ? (p[0] ?? '').startsWith('pg_') : CATALOG_SCHEMAS.has(p.at(-2) ?? '');
  const isUserTable = (p: string[]) => p.length > 1 && !isCatalog(p) && !SYSTEM_VIEW.test(p.at(-1) ?? '');
  return relations.some(isCatalog) && relations.some(isUserTable);
}
