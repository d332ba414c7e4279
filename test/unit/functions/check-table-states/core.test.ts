import { describe, expect, it } from 'vitest';
import { checkTableStates } from '../../../../functions/check-table-states/core.js';
import type { Watch } from '../../../../shared/contracts/watch.js';
import { indexManifest } from '../../../../shared/graph/plan.js';
import type { Row } from '../../../../shared/warehouse/warehouse.js';
import { fakeWarehouse, shopIndex, shopManifest } from '../../../helpers/fake-ports.js';

/**
 * checkTableStates over a fake warehouse answering SVV_INTEGRATION_TABLE_STATE: the watch the first
 * check starts (input validated against the landing tables), what is not Synced, when a table refresh
 * is asked for (first check only), the deadline, and the sources the rebuild selects from.
 */

const index = shopIndex();
const NOW = new Date('2026-12-03T10:00:00.000Z');
const state = (table: string, table_state: string, reason = ''): Row => {
  const [schema_name, table_name] = table.split('.');
  return {
    schema_name: schema_name ?? '',
    table_name: table_name ?? '',
    table_state,
    reason,
    last_updated_timestamp: '2026-12-03 09:59:00',
    checkpoint: '42',
  };
};
const warehouseWith = (rows: Row[]) => fakeWarehouse({ query: () => rows });
const deps = (rows: Row[], now = NOW) => ({ index, warehouse: warehouseWith(rows).port, now: () => now });

describe('checkTableStates: the first check starts the watch', () => {
  it('tables deduplicated and sorted, deadline resyncTimeoutMinutes ahead, the rebuild named after the execution', async () => {
    const out = await checkTableStates(
      {
        input: { tables: ['public.payments', 'public.orders', 'public.payments'] },
        executionName: 'resync-1',
      },
      deps([state('public.orders', 'Synced'), state('public.payments', 'Synced')]),
    );
    expect(out.watch).toEqual({
      tables: ['public.orders', 'public.payments'],
      requestRefresh: false,
      trigger: 'manual',
      deadline: '2026-12-03T14:00:00.000Z',
      rebuildAs: 'resync-1-rebuild',
    });
    expect(out).toMatchObject({ allSynced: true, timedOut: false, refreshNeeded: false, notSynced: [] });
    expect(out.downstreamSources).toEqual(['public.orders', 'public.payments']);
  });

  it('a table that is not a landing table of the project is refused with InvalidInputError naming its index', async () => {
    const wh = warehouseWith([]);
    const run = checkTableStates(
      { input: { tables: ['public.orders', 'public.refunds'] }, executionName: 'resync-1' },
      { index, warehouse: wh.port, now: () => NOW },
    );
    await expect(run).rejects.toMatchObject({
      name: 'InvalidInputError',
      issues: [{ field: 'tables[1]', message: expect.stringContaining("'public.refunds'") }],
    });
    expect(wh.sent).toEqual([]);
  });

  it('input that does not match the schema is an InvalidInputError too', async () => {
    await expect(
      checkTableStates({ input: { tables: [] }, executionName: 'resync-1' }, deps([])),
    ).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining('tables') });
  });

  it('asks for a table refresh on the first check only when asked to and some table is Failed', async () => {
    const rows = [state('public.orders', 'Failed', 'bad row'), state('public.payments', 'ResyncInitiated')];
    const input = { tables: ['public.orders', 'public.payments'], requestRefresh: true };
    const first = await checkTableStates({ input, executionName: 'r' }, deps(rows));
    expect(first.refreshNeeded).toBe(true);
    expect(first.failedTables).toEqual(['public.orders']);
    const later = await checkTableStates({ watch: first.watch }, deps(rows));
    expect(later.refreshNeeded).toBe(false);
    expect(later.failedTables).toEqual(['public.orders']);
    const notAsked = await checkTableStates(
      { input: { ...input, requestRefresh: false }, executionName: 'r' },
      deps(rows),
    );
    expect(notAsked.refreshNeeded).toBe(false);
    const onlyResyncing = await checkTableStates(
      { input, executionName: 'r' },
      deps([state('public.orders', 'ResyncRequired'), state('public.payments', 'Synced')]),
    );
    expect(onlyResyncing.refreshNeeded).toBe(false);
  });
});

describe('checkTableStates: a later check', () => {
  const watch: Watch = {
    tables: ['public.orders', 'public.payments'],
    requestRefresh: true,
    trigger: 'integration-recovery',
    deadline: '2026-12-03T10:00:00.000Z',
    rebuildAs: 'x-rebuild',
  };

  it('a table with no replication state is Missing; the reasons are passed on', async () => {
    const out = await checkTableStates(
      { watch },
      deps([state('public.orders', 'ResyncInitiated', 'resync requested')], new Date('2026-12-03T09:00:00Z')),
    );
    expect(out.allSynced).toBe(false);
    expect(out.notSynced).toEqual([
      { table: 'public.orders', state: 'ResyncInitiated', reason: 'resync requested' },
      { table: 'public.payments', state: 'Missing', reason: 'no replication state' },
    ]);
    expect(out.timedOut).toBe(false);
  });

  it('times out from the deadline on, but never once every table is Synced', async () => {
    const late = new Date('2026-12-03T10:00:00.000Z');
    const stuck = await checkTableStates({ watch }, deps([state('public.orders', 'Synced')], late));
    expect(stuck.timedOut).toBe(true);
    const done = await checkTableStates(
      { watch },
      deps([state('public.orders', 'Synced'), state('public.payments', 'Synced')], late),
    );
    expect(done).toMatchObject({ allSynced: true, timedOut: false });
  });

  it('reads the states of the project landing database, under a statement named after the trigger', async () => {
    const wh = warehouseWith([]);
    await checkTableStates({ watch }, { index, warehouse: wh.port, now: () => NOW });
    expect(wh.sent[0]?.options.statementName).toBe('zeo:table-states:integration-recovery');
    expect(wh.sent[0]?.sqls[0]).toContain("= 'aurora_zeroetl'");
  });

  it('no watched table read by a model: downstreamSources is null (the rebuild has nothing to select)', async () => {
    const noSources = {
      ...deps([]),
      index: indexManifest({ ...shopManifest(), sources: ['public.customers'] }),
    };
    const out = await checkTableStates({ watch }, noSources);
    expect(out.downstreamSources).toBeNull();
  });
});
