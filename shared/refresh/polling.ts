/**
 * When to look at a running build again. Short first (most curated builds take seconds), then in
 * proportion to how long it has run already, capped at a minute: the number of polls grows with the
 * logarithm of the statement's duration (plus one per minute beyond ~4 minutes) while a finished
 * build is noticed within 25 % of its run time.
 */
export const MAX_POLL_SECONDS = 60;
export const MIN_POLL_SECONDS = 2;
const GROWTH = 0.25;
/** A build polled this often has run for days: Data API statements stop at 24 hours anyway. */
export const MAX_POLLS = 2000;

export function nextPollSeconds(elapsedSeconds: number): number {
  const proportional = Math.round(Math.max(0, elapsedSeconds) * GROWTH);
  return Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, proportional));
}
