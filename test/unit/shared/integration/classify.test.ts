import { describe, expect, it } from 'vitest';
import { classifyEventId, DOCUMENTED_EVENT_IDS } from '../../../../shared/integration/classify.js';
import { recreationsWithin24h, snapshotForRecreate } from '../../../../shared/integration/managed.js';
import {
  DATA_API_MAX_STATEMENT_SECONDS,
  MAX_POLL_SECONDS,
  MAX_POLLS,
  nextPollSeconds,
  pollsFor,
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

describe('Build polling', () => {
  it('starts short, grows with the statement age and stays bounded', () => {
    expect(nextPollSeconds(0)).toBe(2);
    expect(nextPollSeconds(30)).toBe(8);
    // Held at a minute between 4 and ~7 minutes, then 15 % of the age: a finished build is noticed
    // within a minute or 15 % of its run time.
    expect(nextPollSeconds(300)).toBe(MAX_POLL_SECONDS);
    expect(nextPollSeconds(10_000)).toBe(1500);
    for (const elapsed of [1, 10, 100, 240, 400, 1000, 10_000, 86_400]) {
      expect(nextPollSeconds(elapsed)).toBeLessThanOrEqual(Math.max(MAX_POLL_SECONDS, elapsed * 0.15) + 1);
    }
    // Logarithmic: 10x longer statements need only a few more polls, and 24 hours stay under MAX_POLLS.
    expect(pollsFor(240)).toBeLessThanOrEqual(20);
    expect(pollsFor(24) + 12).toBeGreaterThanOrEqual(pollsFor(240));
    expect(pollsFor(36_000) - pollsFor(3600)).toBeLessThanOrEqual(pollsFor(3600) - pollsFor(360));
    expect(pollsFor(DATA_API_MAX_STATEMENT_SECONDS)).toBeLessThan(MAX_POLLS);
  });
});
