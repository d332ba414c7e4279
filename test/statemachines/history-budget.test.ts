import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { refreshStructure } from '../../bench/lib/structure.js';
import {
  CHUNK_SIZE,
  HISTORY_EVENTS_PER_MODEL,
  HISTORY_EVENTS_PER_POLL,
  HISTORY_LIMIT,
} from '../../functions/plan-refresh/core.js';
import { DATA_API_MAX_STATEMENT_SECONDS, MAX_POLLS, pollsFor } from '../../shared/refresh/polling.js';

/**
 * A curated-build execution holds the polls of every model of its chunk; AWS fails it at 25,000
 * history events. The chunk size is derived from the poll bound; these checks tie that arithmetic to
 * the ASL it describes, so a new state in the poll loop cannot silently break the bound.
 */
describe('History budget of a curated-build chunk', () => {
  it('counts the poll round of the ASL as it is', () => {
    const structure = refreshStructure();
    expect(structure.pollCycle).toEqual(['WaitForBuild', 'CheckBuild', 'BuildFinished']);
    expect(structure.historyEventsPerPoll).toBe(HISTORY_EVENTS_PER_POLL);
    expect(structure.chunkSize).toBe(CHUNK_SIZE);
  });

  it('keeps a chunk of 24-hour builds polled MAX_POLLS times under 80 % of the limit', () => {
    const worst = CHUNK_SIZE * (MAX_POLLS * HISTORY_EVENTS_PER_POLL + HISTORY_EVENTS_PER_MODEL);
    expect(worst).toBeLessThanOrEqual(HISTORY_LIMIT * 0.8);
    // …and is not needlessly small: one more model would pass the budget.
    expect(worst + MAX_POLLS * HISTORY_EVENTS_PER_POLL + HISTORY_EVENTS_PER_MODEL).toBeGreaterThan(
      HISTORY_LIMIT * 0.8 - 10,
    );
    expect(CHUNK_SIZE).toBeGreaterThanOrEqual(10);
  });

  it('is described in docs/architecture.md with the figures the code computes', () => {
    const doc = readFileSync('docs/architecture.md', 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain(`chunks of at most ${CHUNK_SIZE} models`);
    expect(doc).toContain(`at most ${HISTORY_EVENTS_PER_MODEL} per model`);
    expect(doc).toContain(`polled ${pollsFor(DATA_API_MAX_STATEMENT_SECONDS)} times`);
    expect(doc).toContain(`\`MAX_POLLS\` = ${MAX_POLLS}`);
    expect(doc).toContain(
      `${CHUNK_SIZE} models × (${MAX_POLLS} × ${HISTORY_EVENTS_PER_POLL} + ${HISTORY_EVENTS_PER_MODEL}) events`,
    );
  });
});
