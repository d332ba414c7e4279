import {
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  DescribeIntegrationsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ExecuteStatementCommand, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../local/clock.js';
import type { LocalEvent } from '../../local/events.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { dataClient, rdsClient, waitForStatement } from './support.js';

/**
 * The zero-ETL simulator: initial load, primary-key replication, table states and their history,
 * source DDL, integration failures and the delete/recreate cycle — checked against the source data
 * and through the same endpoints the orchestrator uses.
 */

const TABLES = ['customers', 'order_items', 'orders', 'payments', 'products', 'shipments'];

let stack: LocalStack;
let clock: ManualClock;
let data: RedshiftDataClient;
let rds: RDSClient;
let integrationId: string;

beforeAll(async () => {
  stack = await startLocalStack({ simulatorTimings: { resyncStepMs: 60_000 } });
  clock = stack.clock as ManualClock;
  const { integration } = await stack.bootstrap();
  integrationId = integration.id;
  data = dataClient(stack.dataApiEndpoint);
  rds = rdsClient(stack.rdsEndpoint);
}, 120_000);

afterAll(async () => {
  data?.destroy();
  rds?.destroy();
  await stack?.close();
});

/** Every row of a source table and of its landing table, in the same canonical text form. */
async function bothSides(table: string): Promise<[string[], string[]]> {
  const canonical = (relation: string) => `SELECT t::text AS row FROM ${relation} t ORDER BY 1`;
  const source = await stack.source.query<{ row: string }>(canonical(`public.${table}`));
  const landing = await stack.warehouse.query<{ row: string }>(canonical(`aurora_zeroetl.public.${table}`));
  return [source.map((r) => r.row), landing.map((r) => r.row)];
}

async function expectLandingEqualsSource(): Promise<void> {
  for (const table of TABLES) {
    const [source, landing] = await bothSides(table);
    expect(landing.length, table).toBe(source.length);
    expect(landing, table).toEqual(source);
  }
}

const tableStates = () =>
  stack.warehouse.query<{
    table: string;
    state: string;
    checkpoint: string | null;
    rows: number;
    reason: string | null;
  }>(
    `SELECT trim(table_name) AS "table", trim(table_state) AS state, trim(table_last_replicated_checkpoint) AS checkpoint,
            table_rows::int AS rows, trim(reason) AS reason
     FROM svv_integration_table_state ORDER BY 1`,
  );

const eventIds = (since: number) => stack.events.log.slice(since).map((e: LocalEvent) => e.detail.eventId);

describe('replication', () => {
  it('loads every table with its rows on CREATE DATABASE … FROM INTEGRATION', async () => {
    expect((await tableStates()).map((s) => [s.table, s.state])).toEqual(TABLES.map((t) => [t, 'Synced']));
    await expectLandingEqualsSource();
    const [orders] = (await tableStates()).filter((s) => s.table === 'orders');
    expect(orders?.rows).toBe(600);
    expect(stack.events.log.some((e) => e.detail.eventId === 'REDSHIFT-INTEGRATION-EVENT-0000')).toBe(true);
  });

  it('applies inserts, updates and deletes keyed on the primary key', async () => {
    const before = await tableStates();
    await stack.source.exec(`
      INSERT INTO public.customers VALUES (1001, 'new@example.com', 'New Customer', 'north', 'vip', TIMESTAMP '2026-03-02 10:00:00.123456', TIMESTAMP '2026-03-02 10:00:00.123456');
      INSERT INTO public.orders VALUES (601, 1001, 'placed', TIMESTAMP '2026-03-02 10:05:00', TIMESTAMP '2026-03-02 10:05:00');
      INSERT INTO public.order_items VALUES (601, 1, 7, 2, 19.99);
      UPDATE public.orders SET status = 'delivered', updated_at = TIMESTAMP '2026-03-02 11:00:00' WHERE order_id IN (1, 2, 3);
      UPDATE public.products SET unit_price = unit_price + 1 WHERE product_id = 5;
      DELETE FROM public.shipments WHERE shipment_id IN (2, 3);
      DELETE FROM public.payments WHERE payment_id = 1;
    `);
    clock.advance(30_000);
    const [report] = await stack.simulator.replicate();
    const counts = Object.fromEntries(
      (report?.tables ?? []).map((t) => [t.table, [t.inserted, t.updated, t.deleted]]),
    );
    expect(counts).toEqual({
      customers: [1, 0, 0],
      order_items: [1, 0, 0],
      orders: [1, 3, 0],
      payments: [0, 0, 1],
      products: [0, 1, 0],
      shipments: [0, 0, 2],
    });
    await expectLandingEqualsSource();
    const after = await tableStates();
    for (const table of TABLES) {
      expect(after.find((s) => s.table === table)?.checkpoint, table).not.toBe(
        before.find((s) => s.table === table)?.checkpoint,
      );
    }
    expect(after.find((s) => s.table === 'orders')?.rows).toBe(601);
    const [integration] = await stack.warehouse.query<{ checkpoint: string; lag: number }>(
      'SELECT trim(last_replicated_checkpoint) AS checkpoint, current_lag::int AS lag FROM svv_integration',
    );
    expect(integration?.checkpoint).toBe(report?.checkpoint);
    expect(integration?.lag).toBe(30_000);

    // Nothing changed: nothing moves.
    const [idle] = await stack.simulator.replicate();
    expect(idle?.checkpoint).toBeNull();
    expect(await tableStates()).toEqual(after);
  });

  it('puts a table without a primary key into Failed, and resyncs it once the key exists', async () => {
    const since = stack.events.log.length;
    await stack.source.exec(
      `CREATE TABLE public.audit_log (at timestamp, note text); INSERT INTO public.audit_log VALUES (now(), 'x')`,
    );
    await stack.simulator.replicate();
    const failed = (await tableStates()).find((s) => s.table === 'audit_log');
    expect([failed?.state, failed?.reason]).toEqual(['Failed', 'Table does not have a primary key']);
    const warning = stack.events.log
      .slice(since)
      .find((e) => e.detail.eventId === 'REDSHIFT-INTEGRATION-EVENT-0004');
    expect(warning).toMatchObject({
      source: 'aws.redshift',
      detail: { severity: 'WARNING', tableName: 'audit_log' },
    });
    const refused = await waitForStatement(
      data,
      (
        await data.send(
          new ExecuteStatementCommand({
            Database: 'dev',
            WorkgroupName: 'analytics',
            Sql: 'SELECT * FROM aurora_zeroetl.public.audit_log',
          }),
        )
      ).Id ?? '',
    );
    expect(refused.Error).toContain('is in state Failed');

    expect(
      await stack.simulator.applySourceDdl('ALTER TABLE public.audit_log ADD COLUMN id serial PRIMARY KEY'),
    ).toEqual(['public.audit_log']);
    await stack.simulator.tick(60_000);
    await stack.simulator.tick(60_000);
    expect((await tableStates()).find((s) => s.table === 'audit_log')?.state).toBe('Synced');
    const [source, landing] = await bothSides('audit_log');
    expect(landing).toEqual(source);
  });
});

describe('table resync', () => {
  it('walks ResyncRequired → ResyncInitiated → Synced and records each step', async () => {
    const start = clock.now();
    await stack.simulator.resyncTable('public', 'orders', { reason: 'test resync' });
    const states = async () => (await tableStates()).find((s) => s.table === 'orders')?.state;
    expect(await states()).toBe('ResyncRequired');
    await stack.simulator.tick(30_000);
    expect(await states()).toBe('ResyncRequired');
    await stack.simulator.tick(30_000);
    expect(await states()).toBe('ResyncInitiated');
    await stack.source.exec(`UPDATE public.orders SET status = 'resynced' WHERE order_id = 10`);
    await stack.simulator.tick(60_000);
    expect(await states()).toBe('Synced');
    const [source, landing] = await bothSides('orders');
    expect(landing).toEqual(source);

    const history = await stack.warehouse.query<{ state: string; at: string; reason: string | null }>(
      `SELECT trim(new_state) AS state, record_time::text AS at, trim(state_change_reason) AS reason
       FROM sys_integration_table_state_change
       WHERE trim(table_name) = 'orders' AND record_time >= $1::timestamp ORDER BY record_time`,
      [start.toISOString().replace('T', ' ').replace('Z', '')],
    );
    const at = (ms: number) =>
      new Date(start.getTime() + ms)
        .toISOString()
        .replace('T', ' ')
        .replace('Z', '')
        // PostgreSQL prints fractional seconds without trailing zeros (.580 → .58, .000 → nothing).
        .replace(/(\.\d*?)0+$/, '$1')
        .replace(/\.$/, '');
    expect(history).toEqual([
      { state: 'ResyncRequired', at: at(0), reason: 'test resync' },
      { state: 'ResyncInitiated', at: at(60_000), reason: 'Resync initiated' },
      { state: 'Synced', at: at(120_000), reason: null },
    ]);
  });

  it('resyncs a table after source DDL, with the new column in the landing table', async () => {
    expect(
      await stack.simulator.applySourceDdl('ALTER TABLE public.products ADD COLUMN weight_kg numeric(6,2)'),
    ).toEqual(['public.products']);
    expect((await tableStates()).find((s) => s.table === 'products')?.state).toBe('ResyncRequired');
    await stack.simulator.tick(60_000);
    await stack.simulator.tick(60_000);
    expect((await tableStates()).find((s) => s.table === 'products')?.state).toBe('Synced');
    const columns = await stack.warehouse.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'aurora_zeroetl__public' AND table_name = 'products' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toContain('weight_kg');
    await expectLandingEqualsSource();
  });
});

describe('integration failures and the delete/recreate cycle', () => {
  it('refuses CREATE DATABASE … FROM INTEGRATION for an unknown integration', async () => {
    const described = await waitForStatement(
      data,
      (
        await data.send(
          new ExecuteStatementCommand({
            Database: 'dev',
            WorkgroupName: 'analytics',
            Sql: "CREATE DATABASE zetl_other FROM INTEGRATION 'a1b2c3d4-5678-90ab-cdef-000000000000' DATABASE shop",
          }),
        )
      ).Id ?? '',
    );
    expect([described.Status, described.Error]).toEqual([
      'FAILED',
      "ERROR: integration 'a1b2c3d4-5678-90ab-cdef-000000000000' does not exist",
    ]);
  });

  it('fails an integration with an event code, stops replication, and recovers by recreation', async () => {
    const since = stack.events.log.length;
    await stack.simulator.failIntegration('0007');
    const failure = stack.events.log
      .slice(since)
      .find((e) => e.detail.eventId === 'REDSHIFT-INTEGRATION-EVENT-0007');
    expect(failure).toMatchObject({
      source: 'aws.redshift',
      'detail-type': 'Redshift Integration Monitoring',
      resources: [stack.integrations.get(integrationId)?.arn],
      detail: { severity: 'ERROR', integrationStatus: 'FAILED' },
    });
    const [failed] =
      (await rds.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: integrationId })))
        .Integrations ?? [];
    expect(failed?.Status).toBe('failed');
    expect(failed?.Errors?.[0]?.ErrorCode).toBe('REDSHIFT-INTEGRATION-EVENT-0007');
    expect(await stack.warehouse.query('SELECT trim(state) AS state FROM svv_integration')).toEqual([
      { state: 'ErrorState' },
    ]);
    await stack.source.exec(
      `INSERT INTO public.customers VALUES (1002, 'late@example.com', 'Late', 'south', 'retail', now(), now())`,
    );
    const [stopped] = await stack.simulator.replicate();
    expect(stopped?.skipped).toContain('is failed');
    expect(
      await stack.warehouse.query('SELECT 1 FROM aurora_zeroetl.public.customers WHERE customer_id = 1002'),
    ).toEqual([]);

    // Delete (events 0002, then 0001 once gone); the data stays queryable.
    await rds.send(new DeleteIntegrationCommand({ IntegrationIdentifier: integrationId }));
    await stack.simulator.tick(stack.integrations.timings.deleteMs);
    expect(eventIds(since)).toEqual(
      expect.arrayContaining(['REDSHIFT-INTEGRATION-EVENT-0002', 'REDSHIFT-INTEGRATION-EVENT-0001']),
    );
    expect(await stack.warehouse.query('SELECT * FROM svv_integration')).toEqual([]);
    expect(
      await stack.warehouse.query('SELECT count(*)::int AS n FROM aurora_zeroetl.public.orders'),
    ).toEqual([{ n: 601 }]);

    // Recreate with the same configuration, then the landing database from the new integration.
    const created = await rds.send(
      new CreateIntegrationCommand({
        SourceArn: stack.source.clusterArn,
        TargetArn: stack.targetArn,
        IntegrationName: 'shop-zero-etl',
      }),
    );
    expect(created.Status).toBe('creating');
    await stack.simulator.tick(stack.integrations.timings.createMs);
    const newId = created.IntegrationArn?.split(':').pop() ?? '';
    expect(eventIds(since).filter((id) => id === 'REDSHIFT-INTEGRATION-EVENT-0000')).toHaveLength(1);
    const [pending] = await stack.warehouse.query<{ id: string; state: string }>(
      'SELECT trim(integration_id) AS id, trim(state) AS state FROM svv_integration',
    );
    expect(pending).toEqual({ id: newId, state: 'PendingDbConnectState' });
    for (const sql of [
      'DROP DATABASE "aurora_zeroetl"',
      `CREATE DATABASE "aurora_zeroetl" FROM INTEGRATION '${newId}' DATABASE "shop"`,
      'ALTER DATABASE "aurora_zeroetl" INTEGRATION SET QUERY_ALL_STATES = FALSE ACCEPTINVCHARS = TRUE REFRESH_INTERVAL 60',
    ]) {
      const { Id } = await data.send(
        new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'analytics', Sql: sql }),
      );
      const described = await waitForStatement(data, Id ?? '');
      expect([sql, described.Status, described.Error]).toEqual([sql, 'FINISHED', undefined]);
    }
    await stack.simulator.settle();
    expect((await tableStates()).every((s) => s.state === 'Synced')).toBe(true);
    await expectLandingEqualsSource();
  });
});
