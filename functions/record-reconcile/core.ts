import { z } from 'zod';
import { normalizeTimestamp } from '../../shared/refresh/state-changes.js';
import { bookkeeping } from '../../shared/sql/bookkeeping.js';
import { literal } from '../../shared/sql/identifiers.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';
import { CHECKPOINT_NAME } from '../assess-state/core.js';

/** The reconcile state after routing: the assessment plus what starting the child did. */
export const RecordReconcileEvent = z.object({
  route: z.enum(['integration-recovery', 'resync-recovery', 'none', 'ignore']),
  trigger: z.enum(['event', 'watchdog', 'manual']),
  note: z.string(),
  childName: z.string().max(80).nullable(),
  checkpoint: z.string().nullable(),
  started: z.object({ ExecutionArn: z.string().optional() }).passthrough().optional(),
  duplicate: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

/**
 * Records the decision and advances the state-change checkpoint — only now, after the child started
 * (or was found already running), so a crash in between makes the next run decide again.
 */
export async function recordReconcile(
  event: z.infer<typeof RecordReconcileEvent>,
  deps: { warehouse: WarehousePort },
) {
  const outcome = event.duplicate ? 'already started (duplicate)' : event.started ? 'started' : 'no child';
  const checkpoint = event.checkpoint === null ? null : normalizeTimestamp(event.checkpoint);
  if (checkpoint) {
    await deps.warehouse.run(
      [
        `DELETE FROM ${bookkeeping.checkpoint} WHERE "name" = ${literal(CHECKPOINT_NAME)}`,
        `INSERT INTO ${bookkeeping.checkpoint} ("name", "value", "updated_at") VALUES (${literal(CHECKPOINT_NAME)}, ${literal(checkpoint)}, GETDATE())`,
      ],
      { statementName: 'zeo:reconcile:checkpoint' },
    );
  }
  // A Data API parameter value must be at least one character (SqlParameter, facts §10): no child is
  // a SQL NULL, not an empty parameter.
  const child = event.childName ? event.childName : undefined;
  await deps.warehouse.execute(
    `INSERT INTO ${bookkeeping.reconcileLog} ("decided_at", "trigger", "route", "child_execution", "note") VALUES (GETDATE(), ${literal(event.trigger)}, ${literal(event.route)}, ${child ? ':child' : 'NULL'}, :note)`,
    {
      statementName: 'zeo:reconcile:log',
      parameters: { ...(child ? { child } : {}), note: `${event.note} [${outcome}]`.slice(0, 4000) },
    },
  );
  return { route: event.route, childName: event.childName, outcome };
}
