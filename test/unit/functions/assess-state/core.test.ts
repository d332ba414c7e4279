import { describe, expect, it } from 'vitest';
import { type Assessment, assessState } from '../../../../functions/assess-state/core.js';
import { WarehouseStatementError } from '../../../../shared/errors.js';
import { ORIGIN_TAG, RECREATED_TAG } from '../../../../shared/integration/managed.js';
import type { IntegrationInfo } from '../../../../shared/integration/rds.js';
import { BOOKKEEPING_VERSION } from '../../../../shared/sql/bookkeeping.js';
import { CHECKPOINT_NAME } from '../../../../shared/sql/reconcile.js';
import type { Row } from '../../../../shared/warehouse/warehouse.js';
import {
  bookkeepingUpToDate,
  fakeIntegrations,
  fakeWarehouse,
  integration,
  shopIndex,
} from '../../../helpers/fake-ports.js';

/**
 * assessState over a fake RDS port and a fake warehouse answering the checkpoint, the table states and
 * the state changes: which events are ignored (malformed, foreign, stale), the integration-recovery
 * and resync-recovery routes with their deterministic child names, and the checkpoint it proposes.
 */

const CONFIGURED_ID = '5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11';
const CONFIGURED = shopIndex().manifest.project.landing.integrationArn;
const NOW = new Date('2026-12-03T10:00:00.000Z');
const PROJECT_TABLES = ['customers', 'order_items', 'orders', 'payments', 'products', 'shipments'];

interface Landing {
  checkpoint?: string;
  /** Table states by table name (schema public); every other project table is Synced. */
  states?: Record<string, string>;
  /** State changes, oldest first: [table, new_state, record_time]. */
  changes?: [string, string, string][];
}

function warehouseOver(landing: Landing = {}) {
  return fakeWarehouse({
    query: (sql) => {
      const setUp = bookkeepingUpToDate(sql);
      if (setUp) return setUp;
      if (sql.includes(`'${CHECKPOINT_NAME}'`))
        return landing.checkpoint ? [{ value: landing.checkpoint }] : [];
      if (sql.includes('svv_integration_table_state')) {
        return PROJECT_TABLES.map(
          (t): Row => ({
            schema_name: 'public',
            table_name: t,
            table_state: landing.states?.[t] ?? 'Synced',
            reason: '',
            last_updated_timestamp: '2026-12-03 09:00:00',
            checkpoint: '7',
          }),
        );
      }
      if (sql.includes('sys_integration_table_state_change')) {
        return (landing.changes ?? []).map(([t, new_state, record_time]) => ({
          schema_name: 'public',
          table_name: t,
          new_state,
          record_time,
        }));
      }
      throw new Error(`unexpected query: ${sql}`);
    },
  });
}

async function assess(
  event: unknown,
  {
    integrations = [integration(CONFIGURED_ID)],
    landing = {},
    recovery = {},
  }: {
    integrations?: IntegrationInfo[];
    landing?: Landing;
    recovery?: Parameters<typeof shopIndex>[0];
  } = {},
): Promise<Assessment & { queries: string[] }> {
  const wh = warehouseOver(landing);
  const out = await assessState(
    { event, executionName: 'reconcile-1' },
    {
      index: shopIndex(recovery),
      warehouse: wh.port,
      integrations: fakeIntegrations(integrations).port,
      now: () => NOW,
    },
  );
  return { ...out, queries: wh.sqls() };
}

const event = (fields: Record<string, unknown> = {}) => ({
  id: 'evt-1',
  source: 'aws.redshift',
  'detail-type': 'Redshift Integration Monitoring',
  resources: [CONFIGURED],
  time: '2026-12-03T09:59:00Z',
  detail: { eventId: 'REDSHIFT-INTEGRATION-EVENT-0009' },
  ...fields,
});
const failed = (fields: Parameters<typeof integration>[1] = {}) =>
  integration(CONFIGURED_ID, { status: 'failed', createTime: '2026-12-01T00:00:00.000Z', ...fields });

describe('assessState: the bookkeeping schema', () => {
  it('on a warehouse without it, it is set up before anything is read or decided', async () => {
    const wh = fakeWarehouse({
      query: (sql) => {
        if (/max\("version"\)/.test(sql))
          throw new WarehouseStatementError('relation "zeo.schema_version" does not exist');
        if (sql.includes('"information_schema"')) return [{ tables: 0 }];
        return [];
      },
    });
    await assessState(
      { event: { trigger: 'watchdog' }, executionName: 'reconcile-1' },
      { index: shopIndex(), warehouse: wh.port, integrations: fakeIntegrations([]).port, now: () => NOW },
    );
    const names = wh.sent.map((s) => s.options.statementName);
    expect(names[0]).toBe('zeo:reconcile-1:schema-version');
    expect(names.slice(2).every((n) => /^zeo:reconcile-1:schema-v\d+$/.test(n))).toBe(true);
    expect(names.at(-1)).toBe(`zeo:reconcile-1:schema-v${BOOKKEEPING_VERSION}`);
  });
});

describe('assessState: events that are ignored', () => {
  it('a malformed event is ignored, naming the field, without reading RDS or the landing state', async () => {
    const out = await assess(event({ source: 'aws.ec2' }));
    expect(out).toMatchObject({ route: 'ignore', trigger: 'event', childName: null, checkpoint: null });
    expect(out.note).toMatch(/^malformed or unexpected event \(source: /);
    expect(out.queries.some((q) => q.includes('svv_integration_table_state'))).toBe(false);
  });

  it('an event about another integration is ignored, naming it', async () => {
    const foreign = 'arn:aws:rds:us-east-1:123456789012:integration:someone-else';
    const out = await assess(event({ resources: [foreign] }), { integrations: [failed()] });
    expect(out.route).toBe('ignore');
    expect(out.note).toBe(`event evt-1 is about another integration (${foreign}); ignored`);
    expect(out.eventId).toBe('REDSHIFT-INTEGRATION-EVENT-0009');
  });

  it('an event about the recreated integration (new ARN, origin tag) is ours', async () => {
    const recreated = integration('new-1', {
      status: 'failed',
      snapshot: { tags: [{ key: ORIGIN_TAG, value: CONFIGURED }] },
    });
    const out = await assess(event({ resources: [recreated.arn] }), { integrations: [recreated] });
    expect(out.route).toBe('integration-recovery');
    expect(out.childInput).toEqual({
      integrationArn: recreated.arn,
      reason: { status: 'failed', eventId: 'REDSHIFT-INTEGRATION-EVENT-0009' },
    });
  });

  it('an event from a second before the current integration was created is stale; one from the same second is not', async () => {
    const integrations = [failed({ createTime: '2026-12-03T09:59:00.700Z' })];
    const stale = await assess(event({ time: '2026-12-03T09:58:59Z' }), { integrations });
    expect(stale.route).toBe('ignore');
    expect(stale.note).toMatch(/^stale event from 2026-12-03T09:58:59Z/);
    const sameSecond = await assess(event({ time: '2026-12-03T09:59:00Z' }), { integrations });
    expect(sameSecond.route).toBe('integration-recovery');
  });

  it('no managed integration at all: route none, nothing to reconcile', async () => {
    const out = await assess({ trigger: 'watchdog' }, { integrations: [] });
    expect(out).toMatchObject({ route: 'none', trigger: 'watchdog', childName: null, checkpoint: null });
    expect(out.note).toMatch(/does not exist/);
  });
});

describe('assessState: a failed integration', () => {
  it('routes to integration-recovery; the same failure assessed twice gets the same child name', async () => {
    const first = await assess(event(), { integrations: [failed()] });
    const again = await assess({ trigger: 'watchdog' }, { integrations: [failed()] });
    expect(first.route).toBe('integration-recovery');
    expect(first.childName).toMatch(new RegExp(`^recover-${CONFIGURED_ID}-[0-9a-f]{8}$`));
    expect(first.note).toContain('failure class recreate (from the event)');
    expect(first.checkpoint).toBeNull();
    // The watchdog tick has no event id: the class comes from the policy, so it is another decision.
    expect(again.childName).not.toBe(first.childName);
    expect((await assess(event({ id: 'evt-2' }), { integrations: [failed()] })).childName).toBe(
      first.childName,
    );
  });

  it('anything that changes the guardrail answer gets another child: errors, settings, the breaker', async () => {
    const base = (await assess(event(), { integrations: [failed()] })).childName;
    const withErrors = await assess(event(), {
      integrations: [failed({ errors: [{ code: 'REDSHIFT-INTEGRATION-EVENT-0008', message: '' }] })],
    });
    expect(withErrors.note).toContain("failure class notify (from the integration's errors)");
    const settings = await assess(event(), { integrations: [failed()], recovery: { maxRecreatesPer24h: 3 } });
    const breaker = await assess(event(), {
      integrations: [
        failed({ snapshot: { tags: [{ key: RECREATED_TAG, value: String(NOW.getTime() / 1000 - 60) }] } }),
      ],
    });
    const names = [base, withErrors.childName, settings.childName, breaker.childName];
    expect(new Set(names).size).toBe(4);
  });

  it('an unknown class names the policy in the note', async () => {
    const out = await assess(
      { trigger: 'watchdog' },
      { integrations: [failed({ status: 'needs_attention' })] },
    );
    expect(out.note).toBe(
      `integration ${CONFIGURED_ID} is needs_attention; failure class unknown (onUnknownFailure=notify)`,
    );
  });
});

describe('assessState: resyncs', () => {
  it('all tables Synced and no resync since the checkpoint: route none, checkpoint moved to the newest change', async () => {
    const out = await assess(
      { trigger: 'watchdog' },
      {
        landing: {
          checkpoint: '2026-12-03 08:00:00',
          changes: [
            ['orders', 'ResyncInitiated', '2026-12-03 07:00:00'],
            ['orders', 'Synced', '2026-12-03 08:30:00'],
          ],
        },
      },
    );
    expect(out.route).toBe('none');
    expect(out.note).toBe(
      'integration active; all 6 project tables Synced, no resync since 2026-12-03 08:00:00',
    );
    expect(out.checkpoint).toBe('2026-12-03 08:30:00');
    expect(out.queries.find((q) => q.includes('sys_integration_table_state_change'))).toContain(
      "> CAST('2026-11-26 10:00:00.000' AS TIMESTAMP)",
    );
  });

  it('a table resyncing now, and one resynced since the checkpoint, start one resync-recovery for both', async () => {
    const landing: Landing = {
      checkpoint: '2026-12-03 08:00:00',
      states: { payments: 'ResyncInitiated', products: 'Deleted', shipments: 'DroppedSource' },
      changes: [
        ['orders', 'ResyncRequired', '2026-12-03 08:10:00'],
        ['orders', 'Synced', '2026-12-03 08:40:00'],
      ],
    };
    const out = await assess({}, { landing });
    expect(out).toMatchObject({
      route: 'resync-recovery',
      trigger: 'manual',
      note: 'tables resyncing or resynced: public.orders, public.payments',
      childInput: {
        tables: ['public.orders', 'public.payments'],
        requestRefresh: true,
        trigger: 'reconcile',
      },
      checkpoint: '2026-12-03 08:40:00',
    });
    expect(out.childName).toMatch(/^resync-[0-9a-f]{40}$/);
    // The same episode seen again converges on the same child; a new episode of the table does not.
    expect((await assess({ trigger: 'watchdog' }, { landing })).childName).toBe(out.childName);
    const later = await assess(
      {},
      {
        landing: {
          ...landing,
          changes: [...(landing.changes ?? []), ['orders', 'ResyncRequired', '2026-12-03 09:00:00']],
        },
      },
    );
    expect(later.childName).not.toBe(out.childName);
  });

  it('a resync that began before the checkpoint is not rebuilt again', async () => {
    const out = await assess(
      {},
      {
        landing: {
          checkpoint: '2026-12-03 08:00:00',
          changes: [
            ['orders', 'ResyncRequired', '2026-12-03 07:10:00'],
            ['orders', 'Synced', '2026-12-03 07:40:00'],
          ],
        },
      },
    );
    expect(out.route).toBe('none');
    expect(out.checkpoint).toBe('2026-12-03 07:40:00');
  });
});
