/**
 * Notifications are built from whatever a run produced (every table of a resync, every failed model),
 * so their size is bounded here, where they are sent, rather than trusted: an EventBridge entry and an
 * SNS message hold at most 256 KB ("Amazon EventBridge quotas": PutEvents entry size; "Amazon SNS
 * quotas": message size), and a notification rejected for its length is a notification lost. What
 * is cut says so, with how much: the full detail stays in the run log and the execution history.
 */

/** Characters of a subject (the SNS subject is cut again to its own 100). */
export const MAX_SUBJECT_CHARS = 1000;
/** Items kept of any list in the detail; the rest are counted in `<key>Omitted`. */
export const MAX_LIST_ITEMS = 100;
/** Characters kept of any text in the detail. */
export const MAX_TEXT_CHARS = 2000;
/** The detail as JSON, well under the 256 KB of an event or a message. */
export const MAX_DETAIL_BYTES = 64 * 1024;

export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = ` … (${text.length - max} more characters)`;
  return `${text.slice(0, Math.max(0, max - marker.length))}${marker}`;
}

function boundValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return truncateText(value, MAX_TEXT_CHARS);
  if (Array.isArray(value)) return value.slice(0, MAX_LIST_ITEMS).map((v) => boundValue(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    if (depth > 4) return '[nested too deep]';
    return boundRecord(value as Record<string, unknown>, depth + 1);
  }
  return value;
}

function boundRecord(record: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = boundValue(value, depth);
    if (Array.isArray(value) && value.length > MAX_LIST_ITEMS)
      out[`${key}Omitted`] = value.length - MAX_LIST_ITEMS;
  }
  return out;
}

/** The subject and detail of a notification, cut to the limits above with markers saying what was cut. */
export function boundNotification<T extends { subject: string; detail: Record<string, unknown> }>(n: T): T {
  const detail = boundRecord(n.detail, 0);
  const bytes = Buffer.byteLength(JSON.stringify(detail));
  return {
    ...n,
    subject: truncateText(n.subject, MAX_SUBJECT_CHARS),
    detail:
      bytes <= MAX_DETAIL_BYTES
        ? detail
        : {
            truncated: `the detail was ${bytes} bytes as JSON, over ${MAX_DETAIL_BYTES}: see the execution's history and the run log`,
            ...Object.fromEntries(
              Object.entries(detail).filter(([, v]) => typeof v !== 'object' || v === null),
            ),
          },
  };
}
