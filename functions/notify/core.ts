import * as z from 'zod';
import { DETAIL_TYPES, type Notifier } from '../../shared/notify/notifier.js';
import { reportInCause } from '../../shared/refresh/failure-report.js';

export const NotifyEvent = z.strictObject({
  detailType: z.enum(DETAIL_TYPES),
  severity: z.enum(['info', 'warning', 'error']),
  // Not bounded here: subjects are built by the state machines from run data (every table still not
  // Synced…), and a step that rejects its own input loses the notification. The notifier cuts it.
  subject: z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
  /** The error a Catch caught (`{Error, Cause}`), when the notification is about a failed task. */
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

/**
 * Announces a state machine outcome (recovery blocked, resync timed out, integration recreated…).
 * For a failed task it also says why: when the failure is a refresh's (a recovery's rebuild), the
 * refresh's report — every failed, skipped and deferred model — goes into the detail as `report`, and
 * is returned as `cause`, which the machine's Fail state shows in the console; any other failure is
 * passed on as its class and cause.
 */
export async function notify(
  event: z.infer<typeof NotifyEvent>,
  deps: { notifier: Pick<Notifier, 'notify'> },
): Promise<{ notified: string; cause: string }> {
  const { failure, ...announcement } = event;
  const report = reportInCause(failure?.Cause);
  const detail = report
    ? { ...announcement.detail, report }
    : failure
      ? { ...announcement.detail, error: failure }
      : announcement.detail;
  await deps.notifier.notify([{ ...announcement, detail }]);
  const cause = report
    ? JSON.stringify(report)
    : failure
      ? `${failure.Error ?? 'Error'}: ${failure.Cause ?? ''}`
      : announcement.subject;
  return { notified: event.detailType, cause };
}
