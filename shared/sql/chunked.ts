import { SPLIT_STATEMENT_BYTES } from './limits.js';

/** `INSERT … VALUES` split into as many statements as needed to keep each under the size limit. */
export function chunkedInsert(prefix: string, rows: readonly string[]): string[] {
  return chunkedStatements(prefix, rows, ',\n', '');
}

/** Statements of the form `prefix rows… suffix`, as many as needed to keep each under the size limit. */
export function chunkedStatements(
  prefix: string,
  rows: readonly string[],
  separator: string,
  suffix: string,
): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  const base = Buffer.byteLength(prefix) + Buffer.byteLength(suffix) + 1;
  let size = base;
  for (const row of rows) {
    const bytes = Buffer.byteLength(row) + Buffer.byteLength(separator);
    if (current.length > 0 && size + bytes > SPLIT_STATEMENT_BYTES) {
      statements.push(`${prefix}\n${current.join(separator)}${suffix}`);
      current = [];
      size = base;
    }
    current.push(row);
    size += bytes;
  }
  if (current.length > 0) statements.push(`${prefix}\n${current.join(separator)}${suffix}`);
  return statements;
}

/** Free text reduced to what can travel as a literal: no backslashes or control characters. */
export function printable(text: string, max = SPLIT_STATEMENT_BYTES): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f\\]/g, '?').slice(0, max);
}
