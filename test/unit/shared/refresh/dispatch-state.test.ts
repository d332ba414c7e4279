import { describe, expect, it } from 'vitest';
import {
  DispatchState,
  decodeBitset,
  decodeDurations,
  encodeBitset,
  encodeDurations,
  MAX_EXPECTED_SECONDS,
} from '../../../../shared/refresh/dispatch-state.js';

describe('the dispatch state stays small and exact', () => {
  it('round-trips the pending bitset', () => {
    const positions = new Set([0, 7, 8, 4999]);
    expect(decodeBitset(encodeBitset(positions, 5000), 5000)).toEqual(positions);
    expect(decodeBitset(encodeBitset([], 5000), 5000).size).toBe(0);
  });

  it('round-trips past durations, caps them at 18.2 hours, and costs nothing without history', () => {
    const durations = new Map([
      [0, 0],
      [3, 45],
      [4999, 86_400],
    ]);
    const text = encodeDurations(durations, 5000);
    expect(decodeDurations(text, 5000)).toEqual(
      new Map([
        [0, 0],
        [3, 45],
        [4999, MAX_EXPECTED_SECONDS],
      ]),
    );
    expect(text.length).toBe(13_334);
    expect(encodeDurations(new Map(), 5000)).toBe('');
  });

  it('at 5,000 models and every list at its limit, serialises under 25 % of 256 KiB', () => {
    const n = 5000;
    const name = (i: number) => `m${String(i).padStart(117, '0')}`;
    const all = Array.from({ length: n }, (_, i) => i);
    const names = (k: number) => Array.from({ length: k }, (_, i) => name(i));
    const state = DispatchState.parse({
      refresh: {
        runId: 'r'.repeat(80),
        trigger: 'manual',
        startedAt: '2026-12-03T00:00:00.000Z',
        fullRefresh: true,
        select: 's'.repeat(4000),
        maxConcurrency: 40,
      },
      manifest: '5000-0123456789abcdef',
      pending: encodeBitset(all, n),
      expected: encodeDurations(new Map(all.map((p) => [p, 86_400])), n),
      inFlight: Array.from({ length: 40 }, (_, i) => ({
        m: i,
        mode: 'create_view',
        id: '00000000-0000-0000-0000-000000000000',
        at: 1_796_289_705,
        due: 1_796_289_765,
        c: 3,
      })),
      ticks: 1100,
      continuation: 99,
      next: 'continue',
      continueAs: 'x'.repeat(80),
      waitSeconds: 60,
      last: {
        started: names(40),
        finished: names(80),
        failed: names(80),
        skipped: n,
        building: names(40),
        pending: n,
      },
      planned: { selected: n, build: n, deferred: n, skipped: n, unchanged: n, withinTolerance: n },
    });
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(0.25 * 256 * 1024);
  });
});
