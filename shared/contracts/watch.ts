import * as z from 'zod';
import { IsoTimestamp, SourceTable, Trigger } from './fields.js';

/**
 * What a recovery's waiting loop carries between checks: the tables it waits for, until when, and
 * the name of the curated rebuild it starts once they are back. CheckTableStates produces it (for a
 * resync) and CheckRecoveryGuardrails does (for the initial load after a recreate); both machines'
 * loops pass it back to CheckTableStates.
 */
export const Watch = z.strictObject({
  tables: z.array(SourceTable).min(1),
  requestRefresh: z.boolean(),
  trigger: Trigger,
  deadline: IsoTimestamp,
  /** The name of the curated rebuild this recovery starts once the tables are back (childExecutionName). */
  rebuildAs: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
});
export type Watch = z.infer<typeof Watch>;
