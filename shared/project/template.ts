import { qualified } from '../sql/identifiers.js';

/**
 * The dbt-style references a model's SQL may contain: `{{ ref('model') }}` and
 * `{{ source('schema', 'table') }}`, with dbt's latitude on whitespace and quote style. Anything else
 * between `{{ }}` or `{% %}` is rejected: this is not Jinja, and silently passing template text to
 * Redshift would fail later and less clearly.
 */

export type TemplateReference =
  | { kind: 'ref'; model: string; line: number; text: string }
  | { kind: 'source'; schema: string; table: string; line: number; text: string };

export interface TemplateProblem {
  line: number;
  text: string;
  message: string;
}

export interface ParsedTemplate {
  references: TemplateReference[];
  problems: TemplateProblem[];
}

const EXPRESSION = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
const STRAY_OPENER = /\{\{|\{%|\{#/g;
const CALL = /^\s*(ref|source)\s*\(([\s\S]*)\)\s*$/;
const ARGUMENT = /^\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*$/;

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseArguments(raw: string): string[] | undefined {
  if (raw.trim() === '') return [];
  const values: string[] = [];
  for (const part of raw.split(',')) {
    const m = ARGUMENT.exec(part);
    if (!m) return undefined;
    values.push(m[1] ?? m[2] ?? '');
  }
  return values;
}

export function parseTemplate(sql: string): ParsedTemplate {
  const references: TemplateReference[] = [];
  const problems: TemplateProblem[] = [];
  for (const match of sql.matchAll(EXPRESSION)) {
    const text = match[0];
    const line = lineAt(sql, match.index);
    if (match[2] !== undefined) {
      problems.push({
        line,
        text,
        message: 'Jinja blocks ({% ... %}) are not supported; only ref() and source()',
      });
      continue;
    }
    const call = CALL.exec(match[1] ?? '');
    const args = call ? parseArguments(call[2] ?? '') : undefined;
    if (!call || !args) {
      problems.push({
        line,
        text,
        message: "expected {{ ref('model') }} or {{ source('schema', 'table') }}",
      });
      continue;
    }
    if (call[1] === 'ref') {
      if (args.length !== 1 || args[0] === undefined) {
        problems.push({
          line,
          text,
          message: 'ref() takes exactly one model name (packages are not supported)',
        });
      } else {
        references.push({ kind: 'ref', model: args[0], line, text });
      }
    } else if (args.length !== 2 || args[0] === undefined || args[1] === undefined) {
      problems.push({ line, text, message: 'source() takes exactly two arguments: schema and table' });
    } else {
      references.push({ kind: 'source', schema: args[0], table: args[1], line, text });
    }
  }
  // What is left once every complete expression is blanked out must hold no opener: an unclosed
  // `{{`/`{%` (or a Jinja comment) would otherwise reach Redshift and fail only at build time.
  const rest = sql.replace(EXPRESSION, (text) => ' '.repeat(text.length));
  for (const stray of rest.matchAll(STRAY_OPENER)) {
    const opener = stray[0];
    problems.push({
      line: lineAt(sql, stray.index),
      text: sql.slice(stray.index, stray.index + 40).split('\n')[0] ?? opener,
      message:
        opener === '{#'
          ? 'Jinja comments ({# ... #}) are not supported; use SQL comments (-- or /* */)'
          : opener === '{{'
            ? '{{ is never closed by }}'
            : '{% is never closed by %}',
    });
  }
  return { references, problems };
}

export interface RenderContext {
  landingDatabase: string;
  /** Curated model name → its schema. */
  modelSchema: (model: string) => string;
}

/** Replaces every reference by a quoted name. Call only after `parseTemplate` reported no problems. */
export function renderTemplate(sql: string, context: RenderContext): string {
  return sql.replace(EXPRESSION, (text, inner: string | undefined) => {
    const call = CALL.exec(inner ?? '');
    const args = call ? parseArguments(call[2] ?? '') : undefined;
    if (!call || !args) throw new Error(`unrendered template expression ${text}`);
    if (call[1] === 'ref') {
      const [model = ''] = args;
      return qualified(context.modelSchema(model), model);
    }
    const [schema = '', table = ''] = args;
    return qualified(context.landingDatabase, schema, table);
  });
}
