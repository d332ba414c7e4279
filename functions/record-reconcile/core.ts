import * as z from 'zod';
import { insertReconcileLogSql, writeCheckpointStatements } from '../../shared/sql/reconcile.js';
import { normalizeTimestamp } from '../../shared/sql/state-changes.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

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
    await deps.warehouse.runTransaction(writeCheckpointStatements(checkpoint), {
      statementName: 'zeo:reconcile:checkpoint',
    });
  }
  const child = event.childName ? event.childName : undefined;
  await deps.warehouse.runStatement(insertReconcileLogSql(event.trigger, event.route, child !== undefined), {
    statementName: 'zeo:reconcile:log',
    parameters: { ...(child ? { child } : {}), note: `${event.note} [${outcome}]`.slice(0, 4000) },
  });
  return { route: event.route, childName: event.childName, outcome };
}
