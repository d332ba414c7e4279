import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type * as z from 'zod';
import { ModelFile, ProjectFile } from '../../shared/project/schema.js';

/**
 * docs/curated-project.md promises "every validation rule, with its exact message". These tests read
 * the messages out of the validation code itself (TypeScript AST), so a new or reworded rule fails
 * here until the doc says it too; likewise every field of the project.yml / model .yml schemas.
 */

const DOC = readFileSync('docs/curated-project.md', 'utf8');
/** Markdown wraps lines anywhere, also inside inline code: compare with whitespace collapsed. */
const flat = (text: string) => text.replace(/\s+/g, ' ');
const FLAT_DOC = flat(DOC);

const SOURCES = [
  'shared/project/compile.ts',
  'shared/project/audits.ts',
  'shared/project/schema.ts',
  'shared/project/template.ts',
  'shared/project/schedule.ts',
  'shared/project/yaml-file.ts',
  'shared/project/load.ts',
  'shared/sql/identifiers.ts',
  'shared/graph/select.ts',
];

/** A message as written in the code; `\u0000` marks an interpolation (`${...}`). */
function templates(expr: ts.Expression | undefined): string[] {
  if (!expr) return [];
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
  if (ts.isTemplateExpression(expr)) {
    return [expr.head.text + expr.templateSpans.map((span) => `\u0000${span.literal.text}`).join('')];
  }
  if (ts.isConditionalExpression(expr)) return [...templates(expr.whenTrue), ...templates(expr.whenFalse)];
  if (ts.isParenthesizedExpression(expr)) return templates(expr.expression);
  return [];
}

/**
 * Where the validation code writes user-facing messages: `message:`/`error:` properties, the
 * message argument of zod's `.regex/.min/.max` and of the local `issue(path, message)`, what the
 * `…Problem()` helpers return, and `new SelectorError(message)`.
 */
function messagesIn(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node, fn: string | undefined): void => {
    const inFunction = ts.isFunctionDeclaration(node) && node.name ? node.name.text : fn;
    if (
      ts.isPropertyAssignment(node) &&
      ts.isIdentifier(node.name) &&
      ['message', 'error'].includes(node.name.text)
    ) {
      found.push(...templates(node.initializer));
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isIdentifier(callee) && callee.text === 'issue') found.push(...templates(node.arguments[1]));
      if (ts.isPropertyAccessExpression(callee) && ['regex', 'min', 'max'].includes(callee.name.text)) {
        found.push(...templates(node.arguments[1]));
      }
    }
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'SelectorError'
    ) {
      found.push(...templates(node.arguments?.[0]));
    }
    if (ts.isReturnStatement(node) && inFunction?.endsWith('Problem'))
      found.push(...templates(node.expression));
    ts.forEachChild(node, (child) => visit(child, inFunction));
  };
  visit(source, undefined);
  return found;
}

/** The message as the doc may write it: literal text, with any `<placeholder>`/value for each interpolation. */
function pattern(template: string): RegExp {
  const escaped = flat(template)
    .split('\u0000')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('[^`]+?'));
}

/** Every field of a zod object schema as a dotted path (`groups.<name>.schedule`, `columns[].name`). */
function fieldPaths(schema: z.ZodType, path = '', out: string[] = []): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (key: string, at = path) => fieldPaths(def[key] as z.ZodType, at, out);
  if (def.type === 'object') {
    for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) {
      const at = path ? `${path}.${key}` : key;
      out.push(at);
      fieldPaths(value, at, out);
    }
  } else if (['optional', 'default', 'nullable', 'prefault'].includes(def.type)) inner('innerType');
  else if (def.type === 'pipe') inner('in');
  else if (def.type === 'array') inner('element', `${path}[]`);
  else if (def.type === 'record') inner('valueType', `${path}.<name>`);
  else if (def.type === 'union')
    for (const option of def.options as z.ZodType[]) fieldPaths(option, path, out);
  return out;
}

/** The fenced block right after `<!-- validated: NAME -->`. */
function validatedBlock(name: string): string {
  const match = new RegExp(
    `<!-- validated: ${name.replace('.', '\\.')} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\``,
  ).exec(DOC);
  if (!match?.[1]) throw new Error(`no validated ${name} example in the doc`);
  return match[1];
}

describe('docs/curated-project.md', () => {
  it('states every validation message of the code (file, templates, schedules, identifiers, selectors)', () => {
    const missing: string[] = [];
    let count = 0;
    for (const file of SOURCES) {
      const messages = messagesIn(file);
      expect(messages.length, `messages found in ${file}`).toBeGreaterThan(0);
      for (const message of messages) {
        count++;
        if (!pattern(message).test(FLAT_DOC)) missing.push(`${file}: ${message.replaceAll('\u0000', '<…>')}`);
      }
    }
    // The extraction itself must keep working: a refactor that hides the messages from it fails here.
    expect(count).toBeGreaterThan(70);
    expect(missing).toEqual([]);
  });

  it('documents every field of project.yml and of a model .yml', () => {
    const paths = [...fieldPaths(ProjectFile), ...fieldPaths(ModelFile)];
    expect(paths).toContain('groups.<name>.schedule');
    expect(paths).toContain('columns[].not_null');
    expect(paths.filter((p) => !DOC.includes(`\`${p}\``))).toEqual([]);
  });

  it('has examples that validate against the schemas', () => {
    const project = ProjectFile.safeParse(parse(validatedBlock('project.yml')));
    expect(project.error?.issues ?? []).toEqual([]);
    const model = ModelFile.safeParse(parse(validatedBlock('model.yml')));
    expect(model.error?.issues ?? []).toEqual([]);
  });
});
