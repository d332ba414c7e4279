const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

/** `'3 days'`, `'2 hours'`, `'90 minutes'` → seconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(second|minute|hour|day)s?\s*$/.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? Number.NaN);
  return Number.isFinite(seconds) ? seconds : undefined;
}
