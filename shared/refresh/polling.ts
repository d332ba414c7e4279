/**
 * When the dispatcher looks at the builds in flight again. One look serves every build (a single
 * ListStatements page), so the refresh waits until the earliest build needs a look:
 *
 * - a build whose model has a past duration: just after it is expected to finish;
 * - one without: after 5 % of its age, at least MIN_LOOK_SECONDS, so a finished build is noticed within
 *   5 % of its run time (the makespan stays within a few percent of the critical path) while the number
 *   of looks grows with the logarithm of its duration until the wait reaches its cap;
 * - one running past its expected finish: as if it had started then (5 % of the overrun), so a build
 *   that takes a little longer than last time is seen seconds after it ends, not 5 % of its age later;
 * - never longer than MAX_WAIT_SECONDS (a failure is noticed within a minute).
 */
export const MIN_LOOK_SECONDS = 3;
export const MAX_WAIT_SECONDS = 60;
const PROPORTION = 0.05;
/** After an expected finish: the commit, and the Data API reporting it. */
const EXPECTED_SLACK_SECONDS = 1;
/** A model waiting for the lease another execution holds asks again this often. */
export const LEASE_RETRY_SECONDS = 30;
/** The Data API ends every statement after 24 hours (its documented maximum query duration). */
export const DATA_API_MAX_STATEMENT_SECONDS = 24 * 3600;

/** Seconds until a build of `ageSeconds` needs its next look. */
export function nextLookSeconds(ageSeconds: number, expectedSeconds?: number): number {
  let age = Math.max(0, ageSeconds);
  if (expectedSeconds !== undefined) {
    if (age < expectedSeconds)
      return Math.min(
        MAX_WAIT_SECONDS,
        Math.max(1, Math.ceil(expectedSeconds - age) + EXPECTED_SLACK_SECONDS),
      );
    age -= expectedSeconds;
  }
  return Math.min(MAX_WAIT_SECONDS, Math.max(MIN_LOOK_SECONDS, Math.round(age * PROPORTION)));
}

/** Looks until a build that runs `seconds` (without history) is seen finished. */
export function looksFor(seconds: number): number {
  let age = 0;
  let looks = 0;
  while (age < seconds) {
    age += nextLookSeconds(age);
    looks++;
  }
  return looks;
}

/**
 * AWS fails an execution whose history reaches 25,000 events. A tick costs 9 (Wait 2, the dispatcher's
 * Lambda Task 5, Choice 2) and 3 more per retried attempt; an execution continues as a new one after
 * TICKS_PER_EXECUTION ticks, which leaves 60 % of the limit for retries.
 */
export const HISTORY_LIMIT = 25_000;
export const HISTORY_EVENTS_PER_TICK = 9;
export const TICKS_PER_EXECUTION = Math.floor((HISTORY_LIMIT * 0.4 - 100) / HISTORY_EVENTS_PER_TICK);
