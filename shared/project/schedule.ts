/**
 * Validation of EventBridge schedule expressions (`rate(...)` / `cron(...)`), so that a bad group
 * schedule fails `zeo validate` instead of a CloudFormation deployment half an hour later.
 * EventBridge cron has six fields: minutes hours day-of-month month day-of-week year, and exactly one
 * of day-of-month / day-of-week must be `?`.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Extra single-token forms allowed in this field (L, W, #, ?). */
  special?: RegExp;
}

const FIELDS: FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|LW|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: DAYS,
    special: /^(\?|L|[1-7]L|[A-Z]{3}L|[1-7]#[1-5]|[A-Z]{3}#[1-5])$/,
  },
  { name: 'year', min: 1970, max: 2199 },
];

function fieldValue(token: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const idx = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return idx >= 0 ? idx + spec.min : undefined;
}

function fieldProblem(raw: string, spec: FieldSpec): string | undefined {
  if (spec.special?.test(raw.toUpperCase())) return undefined;
  for (const part of raw.split(',')) {
    const [range, step, ...extra] = part.split('/');
    if (range === undefined || extra.length > 0) return `bad ${spec.name} field '${raw}'`;
    if (step !== undefined && !/^\d+$/.test(step)) return `bad step '${step}' in ${spec.name}`;
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `bad range '${range}' in ${spec.name}`;
    const values = bounds.map((b) => fieldValue(b, spec));
    if (values.some((v) => v === undefined)) {
      return `'${range}' is out of range for ${spec.name} (${spec.min}-${spec.max})`;
    }
  }
  return undefined;
}

export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1] ?? '');
    if (!m) return `'${expression}' is not a valid rate expression (e.g. 'rate(5 minutes)')`;
    const value = Number(m[1]);
    const unit = m[2] ?? '';
    if (value < 1) return `rate value must be positive in '${expression}'`;
    if (value === 1 && unit.endsWith('s')) return `use the singular unit for 1 in '${expression}'`;
    if (value > 1 && !unit.endsWith('s')) return `use the plural unit for ${value} in '${expression}'`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return `'${expression}' must be rate(...) or cron(...)`;
  const parts = (cron[1] ?? '').trim().split(/\s+/);
  if (parts.length !== 6) {
    return `cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`;
  }
  for (const [i, spec] of FIELDS.entries()) {
    const problem = fieldProblem(parts[i] ?? '', spec);
    if (problem) return problem;
  }
  const dom = parts[2] === '?';
  const dow = parts[4] === '?';
  if (dom === dow) return 'exactly one of day-of-month and day-of-week must be ?';
  return undefined;
}
