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
