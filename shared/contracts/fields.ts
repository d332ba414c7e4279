import * as z from 'zod';

/**
 * Schemas of the values that travel between steps. Anything that may later be written into SQL as a
 * literal (run ids, triggers) is restricted here to a strict pattern.
 */

/** Execution names are ≤ 80 chars of [A-Za-z0-9-_]; run ids are derived from them. */
export const RunId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'run ids are 1-80 letters, digits, - or _');
export const Trigger = z
  .string()
  .regex(
    /^[a-z][a-z0-9_:-]{0,63}$/,
    'triggers are lower-case words like schedule, manual, resync, integration-recovery',
  );
export const IsoTimestamp = z
  .string()
  .datetime({ offset: false, message: 'must be an ISO-8601 UTC timestamp' });
export const ModelNameInput = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,117}$/, 'not a model name');
export const BuildModeInput = z.enum(['full', 'merge', 'create_view', 'refresh_view']);
export const SourceTable = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, "source tables are written 'schema.table'");
