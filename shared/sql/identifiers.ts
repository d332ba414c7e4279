import { InvalidIdentifierError } from '../errors.js';

/**
 * The only identifiers the orchestrator will put into SQL: ASCII letters, digits and underscores,
 * not starting with a digit. Everything is double-quoted on output, so mixed case and reserved
 * words are fine; quotes, dots, spaces and anything non-ASCII are not, which makes quoting trivially
 * safe and keeps names portable between Redshift and the local PostgreSQL stand-in.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Redshift limits identifiers to 127 bytes. */
export const MAX_IDENTIFIER_LENGTH = 127;

/** Suffixes of the orchestrator's working tables; the longest one bounds model name length. */
export const WORK_TABLE_SUFFIXES = { new: '__zeo_new', old: '__zeo_old', delta: '__zeo_delta' } as const;
export const MAX_MODEL_NAME_LENGTH = MAX_IDENTIFIER_LENGTH - WORK_TABLE_SUFFIXES.delta.length;

export function identifierProblem(value: string, maxLength = MAX_IDENTIFIER_LENGTH): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxLength) return `must be at most ${maxLength} characters (got ${value.length})`;
  if (!IDENTIFIER_PATTERN.test(value)) {
    return `'${value}' is not a valid identifier (letters, digits and _ only, not starting with a digit)`;
  }
  return undefined;
}

export function isIdentifier(value: string): boolean {
  return identifierProblem(value) === undefined;
}

/** Double-quotes one identifier after validating it; throws rather than ever emitting an unsafe name. */
export function quoteIdent(value: string): string {
  const problem = identifierProblem(value);
  if (problem) throw new InvalidIdentifierError(`refusing identifier: ${problem}`);
  return `"${value}"`;
}

/** `"a"."b"` or `"a"."b"."c"` from validated parts. */
export function qualified(...parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}

/**
 * A SQL string literal for values the orchestrator controls (run ids, model names, timestamps),
 * which callers' schemas have validated already. Backslashes are refused rather than escaped because
 * Redshift treats them as escapes and PostgreSQL does not; free text (error messages) goes through
 * Data API parameters instead, never through this function.
 */
export function literal(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(value)) {
    throw new InvalidIdentifierError('refusing string literal with a backslash or control character');
  }
  return `'${value.replaceAll("'", "''")}'`;
}
