import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../local/bus/rules.js';
import { cronMatches, firingsBetween } from '../../../local/bus/schedules.js';

describe('Local schedules and rules', () => {
  it('fires cron and rate schedules on the right minutes', () => {
    const origin = new Date('2026-11-23T00:00:00Z');
    const hourly = firingsBetween('cron(5 * * * ? *)', origin, new Date('2026-11-23T03:00:00Z'), origin);
    expect(hourly.map((d) => d.toISOString().slice(11, 16))).toEqual(['00:05', '01:05', '02:05']);
    expect(firingsBetween('rate(5 minutes)', origin, new Date('2026-11-23T00:16:00Z'), origin)).toHaveLength(
      3,
    );
    expect(cronMatches('cron(0 3 * * ? *)', new Date('2026-11-23T03:00:00Z'))).toBe(true);
    expect(cronMatches('cron(0/15 8-18 ? * MON-FRI *)', new Date('2026-11-23T08:30:00Z'))).toBe(true); // a Monday
    expect(cronMatches('cron(0/15 8-18 ? * MON-FRI *)', new Date('2026-11-22T08:30:00Z'))).toBe(false); // a Sunday
  });

  it('matches EventBridge patterns on lists and nested objects', () => {
    const pattern = {
      source: ['aws.redshift'],
      'detail-type': ['Redshift Integration Monitoring'],
      detail: { severity: ['ERROR'] },
    };
    expect(
      matchesPattern(pattern, {
        source: 'aws.redshift',
        'detail-type': 'Redshift Integration Monitoring',
        detail: { severity: 'ERROR' },
      }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, {
        source: 'aws.rds',
        'detail-type': 'Redshift Integration Monitoring',
        detail: { severity: 'ERROR' },
      }),
    ).toBe(false);
    expect(
      matchesPattern(pattern, { source: 'aws.redshift', 'detail-type': 'Redshift Integration Monitoring' }),
    ).toBe(false);
  });
});
