/**
 * Redshift stops a transaction it cannot run on its snapshot alongside concurrent ones (developer guide
 * "Serializable isolation", "How to fix serializable isolation errors"):
 * - `ERROR: 1023 DETAIL: Serializable isolation violation on table - <id>, transactions forming the
 *   cycle are: …` — the transactions cannot be serialised; the guide's first remedy: retry it;
 * - `ERROR: 1018 DETAIL: Relation does not exist.` — the transaction reads a relation that is not in its
 *   snapshot, e.g. an upstream table another build swapped in after this one's snapshot was taken; a
 *   transaction started later sees it.
 * Both are about timing, not about the SQL: retried, never recorded as a failed model. (A relation that
 * really is missing reads `relation "x" does not exist`, without the 1018 code.)
 *
 * The Data API reference does not show how DescribeStatement's `Error` spells them; drivers report the
 * code and the detail apart (`1023` / `Serializable isolation violation on table - …`). What is matched
 * is the detail text (with the code for 1018, whose detail alone is too common); docs/aws-assumptions.md.
 */
const SERIALIZATION_VIOLATION = /serializable isolation violation/i;
const RELATION_NOT_IN_SNAPSHOT = /\b1018\b[\s\S]*relation does not exist/i;

// AWS-ASSUMPTION: serialization-error-text
export function isSerializationConflict(error: string | undefined): boolean {
  return error !== undefined && (SERIALIZATION_VIOLATION.test(error) || RELATION_NOT_IN_SNAPSHOT.test(error));
}
