/** Statements stay well under the Data API's 100 KB per statement. */
const MAX_STATEMENT_BYTES = 60_000;

/** `INSERT … VALUES` split into as many statements as needed to keep each under the size limit. */
export function chunkedInsert(prefix: string, rows: readonly string[]): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let size = Buffer.byteLength(prefix);
  for (const row of rows) {
    const bytes = Buffer.byteLength(row) + 2;
    if (current.length > 0 && size + bytes > MAX_STATEMENT_BYTES) {
      statements.push(`${prefix}\n${current.join(',\n')}`);
      current = [];
      size = Buffer.byteLength(prefix);
    }
    current.push(row);
    size += bytes;
  }
  if (current.length > 0) statements.push(`${prefix}\n${current.join(',\n')}`);
  return statements;
}

/** Free text reduced to what can travel as a literal: no backslashes or control characters. */
export function printable(text: string, max = 60_000): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f\\]/g, '?').slice(0, max);
}
