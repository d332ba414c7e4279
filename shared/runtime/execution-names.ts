import { createHash } from 'node:crypto';

/** StartExecution's limit on a name (API reference, StartExecution `name`: 1–80 characters). */
export const MAX_EXECUTION_NAME = 80;

/**
 * The name of a child execution a state machine starts (a recovery's rebuild): `<parent>-<suffix>`,
 * readable and the same on every retry of the start (so a retried StartExecution finds the running
 * child rather than starting a second). A parent name too long for that, or with characters the
 * curated refresh does not accept as a run id (anything but letters, digits, - and _), is shortened
 * and cleaned, with a hash of the whole parent name so two long names with a common start differ.
 */
export function childExecutionName(parent: string, suffix: string): string {
  const plain = `${parent}-${suffix}`;
  if (plain.length <= MAX_EXECUTION_NAME && /^[A-Za-z0-9_-]+$/.test(plain)) return plain;
  const hash = createHash('sha256').update(parent).digest('hex').slice(0, 8);
  const room = MAX_EXECUTION_NAME - suffix.length - hash.length - 2;
  const head = parent.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, Math.max(1, room));
  return `${head}-${hash}-${suffix}`;
}
