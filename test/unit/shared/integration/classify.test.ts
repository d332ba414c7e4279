import { describe, expect, it } from 'vitest';
import { classifyEventId, DOCUMENTED_EVENT_IDS } from '../../../../shared/integration/classify.js';
import { recreationsWithin24h, snapshotForRecreate } from '../../../../shared/integration/managed.js';
import {
  DATA_API_MAX_STATEMENT_SECONDS,
  looksFor,
  MAX_WAIT_SECONDS,
  MIN_LOOK_SECONDS,
  nextLookSeconds,
  TICKS_PER_EXECUTION,
} from '../../../../shared/refresh/polling.js';

describe('Integration event classification', () => {
  it('classifies every documented event id', () => {
    const classes = Object.fromEntries(DOCUMENTED_EVENT_IDS.map((id) => [id.slice(-4), classifyEventId(id)]));
    for (const code of ['0006', '0007', '0009', '0012', '0014']) expect(classes[code], code).toBe('recreate');
    for (const code of [
      '0004',
      '0005',
      '0008',
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
    ]) {
      expect(classes[code], code).toBe('notify');
    }
    for (const code of ['0000', '0001', '0002', '0003', '0013', '0016', '0017'])
      expect(classes[code], code).toBe('informational');
    expect(classifyEventId('something else')).toBeUndefined();
    expect(classifyEventId(undefined)).toBeUndefined();
  });
});

describe('Circuit breaker memory', () => {
  it('counts recreations of the last 24 hours from the lineage tag and keeps at most 10', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const base = {
      integrationName: 'x',
      sourceArn: 's',
      targetArn: 't',
      tags: [{ key: 'team', value: 'data' }],
    };
    let snapshot = snapshotForRecreate(base, 'arn:origin', new Date(now.getTime() - 30 * 3600_000));
    expect(recreationsWithin24h(snapshot, now)).toBe(0);
    snapshot = snapshotForRecreate(snapshot, 'arn:origin', new Date(now.getTime() - 3600_000));
    expect(recreationsWithin24h(snapshot, now)).toBe(1);
    expect(snapshot.tags).toContainEqual({ key: 'team', value: 'data' });
    expect(snapshot.tags).toContainEqual({ key: 'zeo:origin', value: 'arn:origin' });
    for (let i = 0; i < 15; i++) snapshot = snapshotForRecreate(snapshot, 'arn:origin', now);
    expect(snapshot.tags.find((t) => t.key === 'zeo:recreated')?.value.split(' ')).toHaveLength(10);
  });
});

describe('Looks at the builds in flight (nextLookSeconds, looksFor)', () => {
  it('without history: MIN_LOOK_SECONDS while young, then 5 % of the age, never more than MAX_WAIT_SECONDS', () => {
    expect(nextLookSeconds(0)).toBe(MIN_LOOK_SECONDS);
    expect(nextLookSeconds(30)).toBe(MIN_LOOK_SECONDS);
    expect(nextLookSeconds(100)).toBe(5);
    expect(nextLookSeconds(600)).toBe(30);
    expect(nextLookSeconds(1200)).toBe(MAX_WAIT_SECONDS);
    expect(nextLookSeconds(DATA_API_MAX_STATEMENT_SECONDS)).toBe(MAX_WAIT_SECONDS);
    expect(nextLookSeconds(-5)).toBe(MIN_LOOK_SECONDS);
    for (const age of [0, 1, 10, 59, 61, 100, 240, 400, 1000, 1199, 10_000, 86_400]) {
      const wait = nextLookSeconds(age);
      expect(wait, `age ${age}`).toBeGreaterThanOrEqual(MIN_LOOK_SECONDS);
      expect(wait, `age ${age}`).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
      // A finished build is noticed within 5 % of its run time (or MIN_LOOK_SECONDS).
      expect(wait, `age ${age}`).toBeLessThanOrEqual(Math.max(MIN_LOOK_SECONDS, Math.round(age * 0.05)));
    }
  });

  it('with history: just after the expected finish, bounded; past it, back to the age rule', () => {
    // Expected to take 120 s: at 100 s, the look is at 121 s (the commit and the Data API reporting it).
    expect(nextLookSeconds(100, 120)).toBe(21);
    expect(nextLookSeconds(119.5, 120)).toBe(2);
    // The expected finish may be far: a failure is still noticed within MAX_WAIT_SECONDS.
    expect(nextLookSeconds(0, 3600)).toBe(MAX_WAIT_SECONDS);
    // Running past its expected finish: as if it had started then — 5 % of the overrun, not of its age
    // (a 15-minute build 2 s over its expectation is looked at 3 s later, not 45 s).
    for (const age of [120, 121, 500, 5000])
      expect(nextLookSeconds(age, 120)).toBe(nextLookSeconds(age - 120));
    expect(nextLookSeconds(902, 900)).toBe(MIN_LOOK_SECONDS);
    expect(nextLookSeconds(902)).toBe(45);
    // An expected duration of 0 (a build that took no time last time) still waits at least a second.
    expect(nextLookSeconds(0, 0)).toBe(MIN_LOOK_SECONDS);
    expect(nextLookSeconds(0, 0.2)).toBeGreaterThanOrEqual(1);
    for (const [age, expected] of [
      [0, 1],
      [0, 5],
      [3, 4],
      [10, 100],
      [50, 55],
    ] as const) {
      const wait = nextLookSeconds(age, expected);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(age + wait, `${age}/${expected}`).toBeGreaterThanOrEqual(
        Math.min(expected, age + MAX_WAIT_SECONDS),
      );
      expect(age + wait, `${age}/${expected}`).toBeLessThanOrEqual(Math.ceil(expected) + 1);
    }
  });

  it('looks grow with the logarithm of the duration until the wait reaches its cap, then one a minute', () => {
    // Between MIN_LOOK_SECONDS/5 % (60 s) and the cap (1,200 s) each doubling costs ln 2 / ln 1.05 ≈ 14 looks.
    for (const seconds of [80, 150, 300, 600]) {
      const more = looksFor(2 * seconds) - looksFor(seconds);
      expect(more, `${seconds} s → ${2 * seconds} s`).toBeGreaterThanOrEqual(13);
      expect(more, `${seconds} s → ${2 * seconds} s`).toBeLessThanOrEqual(16);
    }
    // Ten times longer is a constant number of looks more, not ten times more.
    expect(looksFor(1000) - looksFor(100)).toBeLessThanOrEqual(50);
    expect(looksFor(1000)).toBeLessThan(3 * looksFor(100));
    // Past the cap, one look a minute.
    expect(looksFor(7200) - looksFor(3600)).toBe(3600 / MAX_WAIT_SECONDS);
    // A 24-hour build is noticed within the ticks of two executions (continue-as-new in between).
    expect(looksFor(DATA_API_MAX_STATEMENT_SECONDS)).toBeLessThan(2 * TICKS_PER_EXECUTION);
    expect(looksFor(1)).toBe(1);
    expect(looksFor(0)).toBe(0);
  });
});
