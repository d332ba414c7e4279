/**
 * The Lambda steps' notion of "now". Production uses the system clock; the embedded local stack runs
 * the same handlers in-process on its simulated clock (`use`), so hours of waiting play in seconds,
 * and tests can jump ahead (`advance`).
 */
let source: () => number = () => Date.now();
let offsetMs = 0;

export const clock = {
  now: (): Date => new Date(source() + offsetMs),
  /** Local stack and tests only: move "now" forward. */
  advance(ms: number): void {
    offsetMs += ms;
  },
  /** Local stack only: read time from another clock until the returned function is called. */
  use(other: { now(): Date }): () => void {
    source = () => other.now().getTime();
    return () => {
      source = () => Date.now();
    };
  },
  reset(): void {
    offsetMs = 0;
    source = () => Date.now();
  },
};
