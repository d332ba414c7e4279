import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LIST_ITEMS, MAX_SUBJECT_CHARS } from '../../shared/notify/bounded.js';
import { clock } from '../../shared/runtime/clock.js';
import { createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, runToEnd } from '../helpers/local-sfn.js';
import { useShopVariant } from '../helpers/manifest-variant.js';

/**
 * resync-recovery's notifications are built from the list of tables it watches: for 1, 12, 100 and
 * 500 tables they are delivered, cut to size with markers saying what was cut, never rejected by the
 * notify step for their length (before, a subject over 1,000 characters — 12 tables still not Synced
 * — failed the step's input validation and the notification was lost).
 */

let aws: FakeAws;
let restore: (() => void) | undefined;
beforeAll(async () => {
  aws = await createFakeAws();
});
afterAll(async () => {
  aws.restore();
  await aws.warehouse.close();
});
beforeEach(() => aws.reset());
afterEach(() => {
  clock.reset();
  restore?.();
  restore = undefined;
});

const RESYNC = 'ResyncRecoveryStateMachine';
const names = (n: number) =>
  Array.from({ length: n }, (_, i) => `extra_table_${String(i + 1).padStart(4, '0')}`);

/** The shop project with `n` more landing tables in `public` that no model reads. */
function withExtraTables(n: number): string[] {
  const extra = names(n);
  restore = useShopVariant({}, (yml) =>
    yml.replace(/public: \[([^\]]*)\]/, (_m, shop: string) => `public: [${shop}, ${extra.join(', ')}]`),
  );
  return extra.map((t) => `public.${t}`);
}

async function setSynced(tables: readonly string[]): Promise<void> {
  for (const t of tables) await aws.setTableState(t, 'Synced');
}

const eventsOf = (detailType: string) =>
  aws.events.filter((e) => e.DetailType === detailType).map((e) => JSON.parse(e.Detail ?? '{}'));

describe('resync-recovery notifications for many tables', () => {
  it.each([1, 12, 100, 500])('a resync timeout of %i tables is announced, cut to size', async (n) => {
    const tables = withExtraTables(n); // never replicated: no table state, never Synced
    const sfn = localStepFunctions({ onWait: () => clock.advance(90 * 60_000) });
    const run = await runToEnd(sfn, RESYNC, { tables }, `timeout-${n}`);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ResyncTimeoutError');
    const [detail, ...more] = eventsOf('Resync Timed Out');
    expect(more).toEqual([]);
    expect(detail.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(detail.subject).toMatch(/^tables still not Synced at the deadline: /);
    if (n >= 12) expect(detail.subject).toMatch(/… \(\d+ more characters\)$/);
    expect(detail.notSynced).toHaveLength(Math.min(n, MAX_LIST_ITEMS));
    expect(detail.notSynced[0]).toMatchObject({ table: tables[0], state: 'Missing' });
    expect(detail.notSyncedOmitted).toBe(n > MAX_LIST_ITEMS ? n - MAX_LIST_ITEMS : undefined);
    expect(detail.tablesOmitted).toBe(n > MAX_LIST_ITEMS ? n - MAX_LIST_ITEMS : undefined);
  });

  it.each([1, 12, 100, 500])(
    'a resync of %i tables that all became Synced is announced, cut to size',
    async (n) => {
      const tables = withExtraTables(n);
      await setSynced(tables);
      const run = await runToEnd(localStepFunctions(), RESYNC, { tables }, `synced-${n}`);
      expect(run.status, run.cause).toBe('SUCCEEDED');
      const [detail, ...more] = eventsOf('Source Tables Resynced');
      expect(more).toEqual([]);
      expect(detail.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
      expect(detail.tables).toHaveLength(Math.min(n, MAX_LIST_ITEMS));
      expect(detail.tablesOmitted).toBe(n > MAX_LIST_ITEMS ? n - MAX_LIST_ITEMS : undefined);
    },
  );
});
