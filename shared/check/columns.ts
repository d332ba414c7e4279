import type { ManifestModel } from '../project/manifest.js';

/**
 * `zeo check`: what the SELECT of a model really produces, compared with the columns its .yml declares
 * and the keys that name them. Pure: the caller describes the SELECT's columns (on the local stack).
 */

export interface ProducedColumn {
  name: string;
  /** `format_type` text, e.g. `numeric(12,2)`, `character varying(16)`, `bigint`. */
  type: string;
}

export interface ColumnProblem {
  /** A problem breaks a deploy (exit 1); a note is worth knowing but builds fine. */
  severity: 'problem' | 'note';
  column?: string;
  message: string;
}

type Family =
  | 'boolean'
  | 'integer'
  | 'exact'
  | 'float'
  | 'text'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'time'
  | 'other';

interface ParsedType {
  family: Family;
  /** Integer width in bytes, varchar length, numeric precision. */
  size?: number;
  scale?: number;
}

const INTEGER_BYTES: Record<string, number> = {
  smallint: 2,
  int2: 2,
  integer: 4,
  int: 4,
  int4: 4,
  bigint: 8,
  int8: 8,
};

export function parseType(type: string): ParsedType {
  const t = type.trim().toLowerCase();
  const args = /\(([^)]*)\)/
    .exec(t)?.[1]
    ?.split(',')
    .map((a) => Number(a.trim()));
  const base = t.replace(/\(.*\)/, '').trim();
  if (base in INTEGER_BYTES) return { family: 'integer', size: INTEGER_BYTES[base] };
  if (base === 'boolean' || base === 'bool') return { family: 'boolean' };
  if (base === 'numeric' || base === 'decimal')
    return { family: 'exact', ...(args?.[0] ? { size: args[0], scale: args[1] ?? 0 } : {}) };
  if (['real', 'float4', 'double precision', 'float8', 'float'].includes(base)) return { family: 'float' };
  if (
    ['character varying', 'varchar', 'character', 'char', 'bpchar', 'text', 'nvarchar', 'nchar'].includes(
      base,
    )
  )
    return { family: 'text', ...(args?.[0] ? { size: args[0] } : {}) };
  if (base === 'date') return { family: 'date' };
  if (base === 'timestamp' || base === 'timestamp without time zone') return { family: 'timestamp' };
  if (base === 'timestamptz' || base === 'timestamp with time zone') return { family: 'timestamptz' };
  if (base.startsWith('time')) return { family: 'time' };
  return { family: 'other' };
}

/**
 * Why a value of the produced type may not fit the declared one, or undefined when it always fits.
 * `problem`: it cannot fit (another kind of value, a fraction or a time of day lost). `note`: a narrower
 * type of the same kind, which holds the values only while they stay small enough — and numeric
 * without precision, which PostgreSQL gives SUM(bigint) where Redshift gives bigint.
 */
export function narrowing(
  produced: string,
  declared: string,
): { severity: 'problem' | 'note'; reason: string } | undefined {
  const p = parseType(produced);
  const d = parseType(declared);
  const note = (reason: string) => ({ severity: 'note' as const, reason });
  const problem = (reason: string) => ({ severity: 'problem' as const, reason });
  const range = `${produced} values beyond the range of ${declared} would fail the build`;
  if (p.family === 'other' || d.family === 'other') return undefined;
  if (d.family === 'text') {
    if (p.family === 'text' && d.size !== undefined && (p.size === undefined || p.size > d.size))
      return note(`${produced} values longer than ${d.size} characters would fail the build`);
    return undefined;
  }
  if (p.family === 'integer' && d.family === 'integer')
    return (p.size ?? 8) > (d.size ?? 8) ? note(range) : undefined;
  if (p.family === 'integer' && (d.family === 'exact' || d.family === 'float')) {
    const digits = p.size === 2 ? 5 : p.size === 4 ? 10 : 19;
    return d.family === 'exact' && d.size !== undefined && d.size - (d.scale ?? 0) < digits
      ? note(range)
      : undefined;
  }
  if (p.family === 'exact' && d.family === 'exact') {
    if (p.size === undefined || d.size === undefined) return undefined;
    if ((p.scale ?? 0) > (d.scale ?? 0))
      return problem(`${produced} has more decimal places than ${declared} keeps`);
    return p.size - (p.scale ?? 0) > d.size - (d.scale ?? 0) ? note(range) : undefined;
  }
  if (p.family === 'exact' && d.family === 'integer') {
    if (p.size === undefined)
      return note(
        `${produced} without a scale may hold fractions ${declared} drops (PostgreSQL types SUM(bigint) so, Redshift gives bigint)`,
      );
    return (p.scale ?? 0) > 0 ? problem(`${produced} values lose their fraction in ${declared}`) : undefined;
  }
  if (p.family === 'float' && d.family === 'integer')
    return problem(`${produced} values lose their fraction in ${declared}`);
  if (p.family === 'float' && d.family === 'exact')
    return note(`${produced} values are rounded into ${declared}`);
  if ((p.family === 'timestamp' || p.family === 'timestamptz') && d.family === 'date')
    return problem(`${produced} values lose their time of day in ${declared}`);
  const widening: [Family, Family][] = [
    ['exact', 'float'],
    ['date', 'timestamp'],
    ['date', 'timestamptz'],
    ['timestamp', 'timestamptz'],
    ['timestamptz', 'timestamp'],
  ];
  if (p.family === d.family || widening.some(([a, b]) => a === p.family && b === d.family)) return undefined;
  return problem(`${produced} values cannot be stored as ${declared}`);
}

/** Every difference between the declared contract and what the SELECT produces. */
export function compareColumns(
  model: Pick<ManifestModel, 'columns' | 'uniqueKey' | 'dist' | 'sort'>,
  produced: readonly ProducedColumn[],
): ColumnProblem[] {
  const problems: ColumnProblem[] = [];
  const byName = new Map(produced.map((c) => [c.name.toLowerCase(), c]));
  const declared = new Map(model.columns.map((c) => [c.name.toLowerCase(), c]));
  for (const column of model.columns) {
    const out = byName.get(column.name.toLowerCase());
    if (!out) {
      problems.push({
        severity: 'problem',
        column: column.name,
        message: 'declared but the SELECT does not produce it',
      });
      continue;
    }
    const why = narrowing(out.type, column.type);
    if (why)
      problems.push({
        severity: why.severity,
        column: column.name,
        message: `declared ${column.type}, the SELECT produces ${out.type}: ${why.reason}`,
      });
  }
  for (const out of produced)
    if (!declared.has(out.name.toLowerCase()))
      problems.push({
        severity: 'problem',
        column: out.name,
        message: `produced by the SELECT (${out.type}) but not declared`,
      });
  const common = (list: readonly { name: string }[], other: Map<string, unknown>) =>
    list.map((c) => c.name.toLowerCase()).filter((n) => other.has(n));
  const declaredOrder = common(model.columns, byName);
  const producedOrder = common(produced, declared);
  if (declaredOrder.join(',') !== producedOrder.join(','))
    problems.push({
      severity: 'note',
      message: `columns are declared in another order than the SELECT produces them (${producedOrder.join(', ')}); the build matches them by name`,
    });
  for (const [role, columns] of keyColumns(model))
    for (const name of columns)
      if (!byName.has(name.toLowerCase()))
        problems.push({
          severity: 'problem',
          column: name,
          message: `${role} names a column the SELECT does not produce`,
        });
  return problems;
}

function keyColumns(model: Pick<ManifestModel, 'uniqueKey' | 'dist' | 'sort'>): [string, string[]][] {
  const keys: [string, string[]][] = [['unique_key', model.uniqueKey]];
  if (model.dist.style === 'key') keys.push(['dist key', [model.dist.column]]);
  if (model.sort && model.sort.style !== 'auto') keys.push(['sort key', model.sort.columns]);
  return keys;
}
