/** Seeded randomness, so every benchmark run models the same DAGs and the same SQL durations. */

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal variate (Box–Muller). */
export function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface LogNormalSpec {
  /** Median of the distribution, in seconds. */
  medianSeconds: number;
  /** Standard deviation of ln(duration). */
  sigma: number;
  minSeconds: number;
  maxSeconds: number;
}

/**
 * SQL durations of curated builds: log-normal (most builds take tens of seconds, a few take many
 * minutes), redrawn until inside [min, max] (a truncated log-normal), whole seconds.
 */
export const SQL_DURATIONS: LogNormalSpec = { medianSeconds: 45, sigma: 1.1, minSeconds: 5, maxSeconds: 900 };

export function logNormalSeconds(random: () => number, spec: LogNormalSpec = SQL_DURATIONS): number {
  for (;;) {
    const value = spec.medianSeconds * Math.exp(spec.sigma * normal(random));
    if (value >= spec.minSeconds && value <= spec.maxSeconds) return Math.round(value);
  }
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
