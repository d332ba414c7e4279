/**
 * What a zero-ETL integration event (REDSHIFT-INTEGRATION-EVENT-nnnn, see the Redshift management
 * guide's event table) asks of the orchestrator. Classification is by event id, never by message
 * text, which AWS has reworded over time.
 */
export type EventClass =
  /** The docs say "delete and recreate the integration" and nothing on the customer side is wrong. */
  | 'recreate'
  /** A human must fix something first (source parameters, filter, permissions, a paused cluster…). */
  | 'notify'
  /** Status information: nothing to do beyond re-reading the state. */
  | 'informational';

const RECREATE = new Set(['0006', '0007', '0009', '0012', '0014']);
const NOTIFY = new Set([
  // Permissions revoked / KMS: recreating before the grant is fixed fails again.
  '0008',
  // Table-level problems (missing primary key, unsupported type): fixed in place, then resync.
  '0004',
  '0005',
  // Cluster paused / pausing / resuming: wait, do not recreate.
  '0018',
  '0019',
  '0020',
  // Restore of the namespace: restore another snapshot or delete; a human decides.
  '0025',
  // Source configuration: parameter group, case sensitivity, CDC, binlog, filter syntax.
  '1000',
  '1001',
  '1002',
  '1003',
  '1004',
  '1005',
  '1006',
]);

export const EVENT_ID_PATTERN = /REDSHIFT-INTEGRATION-EVENT-(\d{4})/;

export function classifyEventId(eventId: string | undefined): EventClass | undefined {
  const match = eventId ? EVENT_ID_PATTERN.exec(eventId) : null;
  const code = match?.[1];
  if (!code) return undefined;
  if (RECREATE.has(code)) return 'recreate';
  if (NOTIFY.has(code)) return 'notify';
  return 'informational';
}

/** What recovery does about a failed (or needs-attention) integration. */
export type FailureClass = 'recreate' | 'notify' | 'unknown';
/** `recovery.onUnknownFailure`: what to do when neither the integration nor the event tells the class. */
export type UnknownFailurePolicy = 'notify' | 'recreate';

export interface FailureAssessment {
  class: FailureClass;
  /** Where the class came from: the integration's own Errors, the event's id, or nothing. */
  from: 'errors' | 'event' | 'none';
  /** The codes it was decided on (event ids where one was found, else the raw ErrorCodes), for messages. */
  codes: string[];
  /** What to do: the class's answer; for an unknown class, the policy's. */
  action: 'recreate' | 'notify';
}

/** An IntegrationError's class: its ErrorCode, or an event id quoted in its ErrorMessage. */
// AWS-ASSUMPTION: integration-error-codes
function errorClass(error: { code: string; message: string }): { cls?: EventClass; code: string } {
  const id = EVENT_ID_PATTERN.exec(error.code)?.[0] ?? EVENT_ID_PATTERN.exec(error.message)?.[0];
  return { ...(id ? { cls: classifyEventId(id) } : {}), code: id ?? error.code };
}

/**
 * The class of an integration failure, decided on the live state first: DescribeIntegrations'
 * `Errors` at decision time, then the event id that called for the decision (an event is a hint that
 * may be late or out of order; the `aws.redshift` event `detail` is undocumented and the only captured
 * sample has no event id at all — facts §10.4), then nothing: `unknown`, answered by the policy. The
 * status alone does not tell: a configuration failure (1000–1002) fails the integration as well, and
 * recreating it before the fix fails again. Among the live errors, one that needs a human wins.
 */
// AWS-ASSUMPTION: event-detail-shape
export function classifyFailure(
  integration: { errors: readonly { code: string; message: string }[] },
  eventId: string | null | undefined,
  onUnknownFailure: UnknownFailurePolicy,
): FailureAssessment {
  const errors = integration.errors.map(errorClass);
  for (const cls of ['notify', 'recreate'] as const) {
    const codes = errors.filter((e) => e.cls === cls).map((e) => e.code);
    if (codes.length > 0) return { class: cls, from: 'errors', codes, action: cls };
  }
  const fromEvent = classifyEventId(eventId ?? undefined);
  const id = eventId ? EVENT_ID_PATTERN.exec(eventId)?.[0] : undefined;
  if (id && (fromEvent === 'notify' || fromEvent === 'recreate'))
    return { class: fromEvent, from: 'event', codes: [id], action: fromEvent };
  return {
    class: 'unknown',
    from: 'none',
    codes: [...errors.map((e) => e.code).filter((c) => c !== ''), ...(id ? [id] : [])],
    action: onUnknownFailure,
  };
}

/** Every event id documented in the Redshift event table, for tests and docs. */
export const DOCUMENTED_EVENT_IDS = [
  '0000',
  '0001',
  '0002',
  '0003',
  '0004',
  '0005',
  '0006',
  '0007',
  '0008',
  '0009',
  '0012',
  '0013',
  '0014',
  '0016',
  '0017',
  '0018',
  '0019',
  '0020',
  '0025',
  '1000',
  '1001',
  '1002',
  '1003',
  '1004',
  '1005',
  '1006',
].map((c) => `REDSHIFT-INTEGRATION-EVENT-${c}`);
