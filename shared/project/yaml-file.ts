import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import type { ValidationIssue } from '../errors.js';
import { fieldPath } from './field-path.js';

/** A parsed YAML file that can tell the line of any field, so that errors point at it. */
export interface YamlFile {
  file: string;
  value: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export function parseYamlFile(file: string, text: string): { yaml?: YamlFile; issues: ValidationIssue[] } {
  const lineCounter = new LineCounter();
  // prettyErrors: false keeps the messages one line, but then the library never sets `linePos`:
  // the line is computed here from the error's offset. An error at the end of the text (an unclosed
  // quote or bracket) points at the last line that has content, not at the empty one after it.
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lastContent = text.replace(/[\r\n]+$/, '').length;
    return {
      issues: doc.errors.map((e) => ({
        file,
        line: lineCounter.linePos(Math.max(0, Math.min(e.pos[0], lastContent))).line,
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    // Walk up the path until a node exists (e.g. a missing key → its parent object).
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(
        path.slice(0, depth).map((p) => (typeof p === 'symbol' ? String(p) : p)),
        true,
      );
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let value: unknown;
  try {
    // Aliases are resolved here, so an unresolved or recursive alias surfaces as an error only now.
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    return {
      issues: [{ file, message: `YAML error: ${error instanceof Error ? error.message : String(error)}` }],
    };
  }
  return { yaml: { file, value, lineOf }, issues: [] };
}

/** Validates a parsed YAML file against a schema, turning every zod issue into a located issue. */
export function validateYaml<S extends z.ZodType>(
  yaml: YamlFile,
  schema: S,
): { data?: z.infer<S>; issues: ValidationIssue[] } {
  const result = schema.safeParse(yaml.value, { reportInput: true });
  if (result.success) return { data: result.data, issues: [] };
  const issues: ValidationIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        issues.push({
          file: yaml.file,
          field: fieldPath(path),
          line: yaml.lineOf(path),
          message: 'unknown key',
        });
      }
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    issues.push({
      file: yaml.file,
      field: fieldPath(issue.path) || '(root)',
      line: yaml.lineOf(issue.path),
      message: missing ? 'is required' : issue.message,
    });
  }
  return { issues };
}
