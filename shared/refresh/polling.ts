/**
 * When to look at a running build again. Short first (most curated builds take seconds), then in
 * proportion to how long it has run already: a quarter of its age, held at a minute from 4 minutes
 * on, and growing again at 15 % of its age once that exceeds a minute (after ~7 minutes). So the number
 * of polls grows with the logarithm of the statement's duration — bounded for the longest statement
 * the Data API runs — while a finished build is noticed within a minute, or 15 % of its run time.
 *
 * The bound matters: every poll adds history events to its curated-build execution, which fails at
 * 25,000. CHUNK_SIZE (functions/plan-refresh/core.ts) is derived from it.
 */
export const MAX_POLL_SECONDS = 60;
export const MIN_POLL_SECONDS = 2;
const GROWTH = 0.25;
const LONG_RUN_GROWTH = 0.15;
/** The Data API ends every statement after 24 hours (its documented maximum query duration). */
export const DATA_API_MAX_STATEMENT_SECONDS = 24 * 3600;

export function nextPollSeconds(elapsedSeconds: number): number {
  const elapsed = Math.max(0, elapsedSeconds);
  const proportional = Math.round(elapsed * GROWTH);
  const cap = Math.max(MAX_POLL_SECONDS, Math.round(elapsed * LONG_RUN_GROWTH));
  return Math.min(cap, Math.max(MIN_POLL_SECONDS, proportional));
}

/** Polls until a statement that runs `seconds` is seen finished (waits as nextPollSeconds schedules them). */
export function pollsFor(seconds: number): number {
  let elapsed = 0;
  let polls = 0;
  while (elapsed < seconds) {
    elapsed += nextPollSeconds(elapsed);
    polls++;
  }
  return polls;
}

/**
 * Polls after which a build still running is cancelled. A statement cannot run longer than 24 hours,
 * so this only trips when DescribeStatement keeps answering late (slack of 10 polls): it is what
 * bounds a build's history.
 */
export const MAX_POLLS = pollsFor(DATA_API_MAX_STATEMENT_SECONDS) + 10;
