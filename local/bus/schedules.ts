/**
 * When EventBridge schedules fire, for the local stack's compressed clock: `rate(...)` every N units
 * from a start, `cron(...)` on the minutes its fields match (UTC). Covers the forms project.yml
 * validation accepts, except the rare L / W / # day forms, which never fire locally.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function fieldMatches(field: string, value: number, min: number, names?: string[]): boolean {
  if (field === '*' || field === '?') return true;
  const number = (token: string) => {
    const idx = names?.indexOf(token.toUpperCase()) ?? -1;
    return idx >= 0 ? idx + min : Number(token);
  };
  return field.split(',').some((part) => {
    const [range = '', stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let low: number;
    let high: number;
    if (range === '*') {
      low = min;
      high = Number.MAX_SAFE_INTEGER;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      low = number(a);
      high = number(b);
    } else {
      low = number(range);
      high = stepText ? Number.MAX_SAFE_INTEGER : low;
    }
    if (!Number.isFinite(low) || !Number.isFinite(high)) return false;
    return value >= low && value <= high && (value - low) % step === 0;
  });
}

export function cronMatches(expression: string, at: Date): boolean {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  const fields = m?.[1]?.trim().split(/\s+/);
  if (fields?.length !== 6) return false;
  const [minute = '', hour = '', dom = '', month = '', dow = '', year = ''] = fields;
  return (
    fieldMatches(minute, at.getUTCMinutes(), 0) &&
    fieldMatches(hour, at.getUTCHours(), 0) &&
    fieldMatches(dom, at.getUTCDate(), 1) &&
    fieldMatches(month, at.getUTCMonth() + 1, 1, MONTHS) &&
    // EventBridge numbers days of the week 1 (SUN) to 7 (SAT).
    fieldMatches(dow, at.getUTCDay() + 1, 1, DAYS) &&
    fieldMatches(year, at.getUTCFullYear(), 1970)
  );
}

export function rateMinutes(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const unit = m[2]?.startsWith('minute') ? 1 : m[2]?.startsWith('hour') ? 60 : 1440;
  return Number(m[1]) * unit;
}

/** The firing times of a schedule in (from, to], minute resolution, relative to `origin` for rates. */
export function firingsBetween(expression: string, from: Date, to: Date, origin: Date): Date[] {
  const firings: Date[] = [];
  const rate = rateMinutes(expression);
  const startMinute = Math.floor(from.getTime() / 60_000) + 1;
  const endMinute = Math.floor(to.getTime() / 60_000);
  for (let minute = startMinute; minute <= endMinute; minute++) {
    const at = new Date(minute * 60_000);
    if (rate !== undefined) {
      const since = minute - Math.floor(origin.getTime() / 60_000);
      if (since > 0 && since % rate === 0) firings.push(at);
    } else if (cronMatches(expression, at)) {
      firings.push(at);
    }
  }
  return firings;
}
