import type { ValidationIssue } from '../errors.js';
import { fieldPath } from './field-path.js';
import type { AuditCheck, ModelAudit } from './manifest.js';
import { type ColumnTest, type ModelFile, type ModelTest, RELATION_REFERENCE } from './schema.js';
import type { YamlFile } from './yaml-file.js';

/**
 * A model's tests (`columns[].tests` and `tests` of its .yml) as the manifest carries them, and the
 * checks `zeo validate` makes on them beyond their shape: the columns they name exist, an expression is
 * one boolean expression, the models and sources a relationship points to exist.
 */

/** A test as written, with the .yml path of its entry (for file, line and field in errors). */
interface WrittenTest {
  path: (string | number)[];
  column?: string;
  kind: string;
  args: Record<string, unknown>;
}

/** `{ accepted_values: {…} }` → its kind and arguments (a string or list shorthand as the arguments). */
function unpack(test: ColumnTest | ModelTest): { kind: string; args: Record<string, unknown> } {
  const [kind = '', value] = Object.entries(test).find(([, v]) => v !== undefined) ?? [];
  if (kind === 'expression_is_true' && typeof value === 'string')
    return { kind, args: { expression: value } };
  if (kind === 'unique' && Array.isArray(value)) return { kind, args: { columns: value } };
  return { kind, args: (value ?? {}) as Record<string, unknown> };
}

function writtenTests(spec: ModelFile): WrittenTest[] {
  const onColumns = spec.columns.flatMap((c, i) =>
    (c.tests ?? []).map((t, j) => ({ path: ['columns', i, 'tests', j], column: c.name, ...unpack(t) })),
  );
  const onModel = (spec.tests ?? []).map((t, j) => ({ path: ['tests', j], ...unpack(t) }));
  return [...onColumns, ...onModel];
}

/** What a relationship points to: a curated model or a landing table. */
export type RelationTarget = { model: string } | { source: string };

export function relationTarget(to: string): RelationTarget | undefined {
  const match = RELATION_REFERENCE.exec(to);
  if (!match) return undefined;
  return match[1] ? { model: match[1] } : { source: `${match[2]}.${match[3]}` };
}

/** The curated models a model's relationships tests read: they build before it, like its refs. */
export function auditRefs(spec: ModelFile): string[] {
  return writtenTests(spec).flatMap((t) => {
    const target = t.kind === 'relationships' ? relationTarget(String(t.args.to ?? '')) : undefined;
    return target && 'model' in target ? [target.model] : [];
  });
}

/**
 * Why `expression` is not one boolean expression a `WHERE NOT (…)` can hold, or undefined. The text
 * goes into the build's SQL as it is, so anything that could end or comment out the statement, or
 * unbalance it, is refused here.
 */
export function expressionProblem(expression: string): string | undefined {
  if (expression.trim() === '') return 'is empty';
  if (expression.includes(';')) return 'has a semicolon: one expression only';
  if (/--|\/\*|\*\//.test(expression)) return 'has a comment: one expression only';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(expression))
    return 'has a backslash or a control character (line breaks too)';
  if (/\{\{|\{%/.test(expression)) return 'has a template expression: name the columns of this model';
  if (/\b(select|insert|update|delete|drop|create|alter|grant|call|commit)\b/i.test(expression))
    return 'has a statement keyword: a test expression is a condition on this model’s columns';
  let depth = 0;
  let quote: string | undefined;
  for (const ch of expression) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return 'closes a parenthesis it never opened';
  }
  if (quote) return `never closes its ${quote} quote`;
  if (depth !== 0) return 'leaves a parenthesis open';
  return undefined;
}

const NUMERIC =
  /^(smallint|int2|integer|int|int4|bigint|int8|real|float4|float8|float|double precision|decimal|numeric)/;

/** What the project knows to check a model's tests against. */
export interface AuditRules {
  materialized: string;
  /** Curated model name → its declared columns (lower case). */
  modelColumns: ReadonlyMap<string, ReadonlySet<string>>;
  /** Landing tables declared in project.yml (`schema.table`); undefined when project.yml is invalid. */
  landingTables?: ReadonlySet<string>;
}

export function checkAudits(
  spec: ModelFile,
  yaml: YamlFile,
  rules: AuditRules,
  issues: ValidationIssue[],
): void {
  const issue = (path: (string | number)[], message: string) =>
    issues.push({ file: yaml.file, field: fieldPath(path), line: yaml.lineOf(path), message });
  const columns = new Map(spec.columns.map((c) => [c.name.toLowerCase(), c]));
  for (const test of writtenTests(spec)) {
    const at = [...test.path, test.kind];
    if (rules.materialized === 'materialized_view') {
      issue(
        at,
        'tests cannot run on a materialized_view (its refresh commits on its own and cannot be rolled back)',
      );
      continue;
    }
    if (test.args.scope === 'window' && rules.materialized !== 'incremental')
      issue([...at, 'scope'], `scope: window applies to incremental models only (is ${rules.materialized})`);
    switch (test.kind) {
      case 'accepted_values': {
        const column = test.column ? columns.get(test.column.toLowerCase()) : undefined;
        const values = Array.isArray(test.args.values) ? test.args.values : [];
        const numeric = column ? NUMERIC.test(column.type) : false;
        values.forEach((v, i) => {
          if (numeric && typeof v !== 'number')
            issue(
              [...at, 'values', i],
              `'${String(v)}' is not a number, and column ${column?.name} is ${column?.type}`,
            );
          if (!numeric && column?.type.startsWith('bool') && typeof v !== 'boolean')
            issue(
              [...at, 'values', i],
              `'${String(v)}' is not true or false, and column ${column?.name} is ${column?.type}`,
            );
        });
        break;
      }
      case 'relationships': {
        const target = relationTarget(String(test.args.to ?? ''));
        const field = String(test.args.field ?? '').toLowerCase();
        if (target && 'model' in target) {
          const parent = rules.modelColumns.get(target.model);
          if (!parent) issue([...at, 'to'], `unknown model '${target.model}'`);
          else if (!parent.has(field))
            issue(
              [...at, 'field'],
              `column '${test.args.field}' is not among the declared columns of ${target.model}`,
            );
        } else if (target && rules.landingTables && !rules.landingTables.has(target.source)) {
          issue(
            [...at, 'to'],
            `unknown source '${target.source}' (declare it in project.yml landing.tables)`,
          );
        }
        break;
      }
      case 'expression_is_true': {
        const problem = expressionProblem(String(test.args.expression ?? ''));
        if (problem) issue(at, `the expression ${problem}`);
        break;
      }
      case 'unique': {
        const listed = Array.isArray(test.args.columns) ? test.args.columns.map(String) : [];
        listed.forEach((c, i) => {
          if (!columns.has(c.toLowerCase()))
            issue([...at, 'columns', i], `column '${c}' is not among the declared columns`);
        });
        break;
      }
    }
  }
}

/** How a report names a test: its kind and what it is about. */
function auditName(check: AuditCheck): string {
  switch (check.kind) {
    case 'accepted_values':
      return `accepted_values(${check.column})`;
    case 'relationships':
      return `relationships(${check.column} → ${check.model ?? check.source}.${check.field})`;
    case 'expression_is_true':
      return `expression_is_true(${check.expression.length > 120 ? `${check.expression.slice(0, 119)}…` : check.expression})`;
    case 'row_count':
      return `row_count(${[check.min === undefined ? '' : `min ${check.min}`, check.max === undefined ? '' : `max ${check.max}`].filter(Boolean).join(', ')})`;
    case 'row_count_change':
      return `row_count_change(max_drop_percent ${check.maxDropPercent})`;
    case 'unique':
      return `unique(${check.columns.join(', ')})`;
  }
}

/** The model's tests for the manifest; `relation` renders a relationship's parent as SQL. */
export function compileAudits(spec: ModelFile, relation: (target: RelationTarget) => string): ModelAudit[] {
  return writtenTests(spec).map((test) => {
    const { args } = test;
    const check = ((): AuditCheck => {
      switch (test.kind) {
        case 'accepted_values':
          return {
            kind: 'accepted_values',
            column: test.column ?? '',
            values: (args.values as (string | number | boolean)[]) ?? [],
          };
        case 'relationships': {
          const target = relationTarget(String(args.to)) ?? { model: '' };
          return {
            kind: 'relationships',
            column: test.column ?? '',
            field: String(args.field),
            relation: relation(target),
            ...target,
          };
        }
        case 'expression_is_true':
          return { kind: 'expression_is_true', expression: String(args.expression).trim() };
        case 'row_count':
          return {
            kind: 'row_count',
            ...(typeof args.min === 'number' ? { min: args.min } : {}),
            ...(typeof args.max === 'number' ? { max: args.max } : {}),
          };
        case 'row_count_change':
          return { kind: 'row_count_change', maxDropPercent: Number(args.max_drop_percent) };
        default:
          return { kind: 'unique', columns: (args.columns as string[]) ?? [] };
      }
    })();
    return {
      name: auditName(check),
      severity: args.severity === 'warn' ? 'warn' : 'error',
      scope: args.scope === 'window' ? 'window' : 'table',
      check,
    };
  });
}
