import { z } from 'zod';
import { DETAIL_TYPES, type Notifier } from '../../shared/notify/notifier.js';

export const NotifyEvent = z.strictObject({
  detailType: z.enum(DETAIL_TYPES),
  severity: z.enum(['info', 'warning', 'error']),
  // Not bounded here: subjects are built by the state machines from run data (every table still not
  // Synced…), and a step that rejects its own input loses the notification. The notifier cuts it.
  subject: z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
});

/** Announces a state machine outcome (recovery blocked, resync timed out, integration recreated…). */
export async function notify(
  event: z.infer<typeof NotifyEvent>,
  deps: { notifier: Pick<Notifier, 'notify'> },
) {
  await deps.notifier.notify([event]);
  return { notified: event.detailType };
}
