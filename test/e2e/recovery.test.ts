import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';

/**
 * Recovery end to end on the embedded stack: the simulator breaks things the way AWS does and emits
 * the events AWS would; the rules of serverless.yml start the state machines; outcomes are read from
 * the warehouse, the RDS endpoint and the event log. The tests share one stack and run in order.
 */

let app: LocalOrchestrator;
beforeAll(async () => {
  app = await startLocalOrchestrator();
  const initial = app.start('curated-refresh', {}, 'e2e-initial');
  await initial.done;
  if (initial.status !== 'SUCCEEDED') throw new Error(`initial refresh failed: ${initial.cause}`);
}, 180_000);
afterAll(async () => {
  await app?.close();
});

const since = (n: number, machine: string) =>
  app.sfn.executions.slice(n).filter((e) => e.machine === machine);
const builtIn = async (runId: string | undefined) =>
  (
    (await app.stack.warehouse.query(
      `SELECT model FROM zeo.run_log WHERE run_id = '${runId}' AND status = 'success' ORDER BY model`,
    )) as { model: string }[]
  ).map((r) => r.model);
const orchestratorEvents = (type: string) =>
  app.stack.events.log.filter((e) => e.source === 'zero-etl-orchestrator' && e['detail-type'] === type);

describe('End to end on the local stack: recovery', () => {
  it('a quiet watchdog tick records its decision with no child (NULL, never an empty Data API parameter)', async () => {
    const tick = app.start('reconcile', { trigger: 'watchdog' }, 'e2e-quiet-watchdog');
    await tick.done;
    expect([tick.status, tick.error]).toEqual(['SUCCEEDED', undefined]);
    const [logged] = (await app.stack.warehouse.query(
      `SELECT trim(route) AS route, child_execution FROM zeo.reconcile_log ORDER BY decided_at DESC LIMIT 1`,
    )) as { route: string; child_execution: string | null }[];
    expect(logged).toEqual({ route: 'none', child_execution: null });
  });

  it('a watchdog tick on a set-up warehouse runs 0 DDL statements (the bookkeeping schema is set up once per version)', async () => {
    const before = app.stack.dataApi.log.length;
    const tick = app.start('reconcile', { trigger: 'watchdog' }, 'e2e-watchdog-no-ddl');
    await tick.done;
    expect([tick.status, tick.error]).toEqual(['SUCCEEDED', undefined]);
    const received = app.stack.dataApi.log.slice(before).map((s) => s.sql);
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((sql) => /^\s*(CREATE|ALTER|DROP)\b/i.test(sql))).toEqual([]);
  });

  it('a resync of one source table rebuilds exactly its downstream models once it is Synced again', async () => {
    const n = app.sfn.executions.length;
    await app.stack.simulator.resyncTable('public', 'shipments');
    await app.advance(5 * 60_000); // the next watchdog tick
    await app.settle();
    const resyncs = since(n, 'ResyncRecoveryStateMachine');
    expect(resyncs.map((r) => r.status)).toEqual(['SUCCEEDED']);
    const rebuild = app.sfn.executions.find((e) => e.name === `${resyncs[0]?.name}-rebuild`);
    const decided = (await app.stack.warehouse.query(
      `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${rebuild?.name}' ORDER BY model`,
    )) as { model: string; status: string; error: string | null }[];
    // Exactly fct_shipments; built by this rebuild, or (if the hourly schedule got there first in
    // these 5 simulated minutes) found already built from the same inputs while waiting for its lease.
    expect(decided.map((d) => d.model)).toEqual(['fct_shipments']);
    expect(decided[0]?.status === 'success' || /^built meanwhile/.test(decided[0]?.error ?? '')).toBe(true);
    const changes = (await app.stack.warehouse.query(
      `SELECT trim(new_state) AS s FROM sys_integration_table_state_change WHERE trim(table_name) = 'shipments' ORDER BY record_time`,
    )) as { s: string }[];
    expect(changes.map((c) => c.s).slice(-3)).toEqual(['ResyncRequired', 'ResyncInitiated', 'Synced']);
  });

  it('a configuration-class failure is announced and not recreated', async () => {
    const n = app.sfn.executions.length;
    const before = app.stack.rds.mutatingCalls().length;
    await app.stack.simulator.failIntegration('1001', { status: 'needs_attention' });
    await app.advance(60_000);
    await app.settle();
    const recoveries = since(n, 'IntegrationRecoveryStateMachine');
    expect(recoveries.map((r) => r.error)).toEqual(['RecoveryBlockedError']);
    expect(orchestratorEvents('Integration Recovery Blocked').length).toBeGreaterThan(0);
    expect(app.stack.rds.mutatingCalls().length).toBe(before);
    await app.stack.simulator.recoverIntegration();
    await app.advance(60_000);
    await app.settle();
  });

  it('an integration failure is recovered: new integration, new landing database, settings re-applied, all models rebuilt', async () => {
    const n = app.sfn.executions.length;
    const oldArn = app.manifest.project.landing.integrationArn;
    await app.stack.simulator.failIntegration('0007');
    await app.advance(60_000);
    await app.settle();
    const recoveries = since(n, 'IntegrationRecoveryStateMachine');
    expect(recoveries.map((r) => [r.status, r.cause])).toEqual([['SUCCEEDED', undefined]]);
    const live = app.stack.integrations.describe();
    expect(live).toHaveLength(1);
    expect(live[0]?.arn).not.toBe(oldArn);
    expect(live[0]?.tags).toContainEqual({ Key: 'zeo:origin', Value: oldArn });
    const landing = (await app.stack.warehouse.query(
      `SELECT integration_id, query_all_states, accept_inv_chars, refresh_interval FROM redshift_internal.landing_database WHERE name = 'aurora_zeroetl'`,
    )) as Record<string, unknown>[];
    expect(landing[0]).toMatchObject({
      integration_id: live[0]?.id,
      query_all_states: false,
      accept_inv_chars: true,
      refresh_interval: 60,
    });
    const rebuild = app.sfn.executions.find((e) => e.name === `${recoveries[0]?.name}-rebuild`);
    expect(await builtIn(rebuild?.name)).toHaveLength(app.manifest.models.length);
    expect(orchestratorEvents('Integration Recreated')).toHaveLength(1);
  });

  it('the circuit breaker stops a second recreation within 24 hours', async () => {
    const n = app.sfn.executions.length;
    await app.stack.simulator.failIntegration('0007');
    await app.advance(60_000);
    await app.settle();
    const recoveries = since(n, 'IntegrationRecoveryStateMachine');
    expect(recoveries.map((r) => r.error)).toEqual(['RecoveryBlockedError']);
    const blocked = orchestratorEvents('Integration Recovery Blocked').at(-1);
    expect(String(blocked?.detail.reason)).toMatch(/circuit breaker: 1 recreation\(s\) in the last 24 hours/);
    expect(app.stack.integrations.describe()).toHaveLength(1);
  });

  it('the same event delivered twice produces one recovery', async () => {
    const n = app.sfn.executions.length;
    const event = app.stack.events.log.filter((e) => e.source === 'aws.redshift').at(-1);
    if (!event) throw new Error('no integration event to redeliver');
    app.deliver(event);
    app.deliver(event);
    await app.settle();
    // EventBridge names each target execution itself, so each redelivery starts a reconcile (as on AWS);
    // the failure was already handled, and reconcile's deterministic child name keeps it that way.
    const reconciles = since(n, 'ReconcileStateMachine');
    expect(reconciles.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(new Set(reconciles.map((r) => r.name)).size).toBe(2);
    expect(since(n, 'IntegrationRecoveryStateMachine')).toHaveLength(0);
  });
});
