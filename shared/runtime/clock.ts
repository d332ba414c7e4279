/**
 * The Lambda steps' notion of "now". Production uses the system clock; the embedded local stack runs
 * the same handlers in-process and moves this clock forward to play hours of waiting in seconds.
 */
let offsetMs = 0;

export const clock = {
  now: (): Date => new Date(Date.now() + offsetMs),
  /** Local stack and tests only. */
  advance(ms: number): void {
    offsetMs += ms;
  },
  reset(): void {
    offsetMs = 0;
  },
};
