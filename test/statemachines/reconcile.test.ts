import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONFIGURED_INTEGRATION_ARN, createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, settle } from '../helpers/local-sfn.js';

let aws: FakeAws;
beforeAll(async () => {
  aws = await createFakeAws();
});
afterAll(async () => {
  aws.restore();
  await aws.warehouse.close();
});
beforeEach(() => aws.reset());

const RECONCILE = 'ReconcileStateMachine';
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}.json`, 'utf8'));
const reconcileLog = () =>
  aws.warehouse.query<{ route: string; child_execution: string; note: string }>(
    'SELECT route, child_execution, note FROM zeo.reconcile_log ORDER BY decided_at',
  );
const setStatus = (status: 'failed' | 'needs_attention' | 'active') => {
  const integration = aws.integrations.get(CONFIGURED_INTEGRATION_ARN);
  if (integration) integration.Status = status;
};

describe('State machine: reconcile', () => {
  it('an integration failure event starts one integration recovery, however often it is delivered', async () => {
    setStatus('failed');
    const sfn = localStepFunctions();
    const first = sfn.start(RECONCILE, fixture('integration-failed-0007'), 'evt-1');
    const duplicate = sfn.start(RECONCILE, fixture('integration-failed-0007'), 'evt-1-redelivered');
    await Promise.all([first.done, duplicate.done]);
    await settle(sfn);
    expect(first.status, first.cause).toBe('SUCCEEDED');
    expect(duplicate.status, duplicate.cause).toBe('SUCCEEDED');
    const recoveries = sfn.executions.filter((e) => e.machine === 'IntegrationRecoveryStateMachine');
    expect(recoveries.map((r) => r.name)).toEqual([
      expect.stringMatching(/^recover-5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11-[0-9a-f]{8}$/),
    ]);
    expect(recoveries[0]?.input).toEqual({
      integrationArn: CONFIGURED_INTEGRATION_ARN,
      reason: { status: 'failed', eventId: 'REDSHIFT-INTEGRATION-EVENT-0007' },
    });
    expect(aws.rdsMutations.filter((m) => m.action === 'DeleteIntegration')).toHaveLength(1);
  });

  it('re-reads the state: a failure event for an integration that is active again changes nothing', async () => {
    const sfn = localStepFunctions();
    const run = await sfn.start(RECONCILE, fixture('integration-failed-0007'), 'evt-healthy').done;
    await settle(sfn);
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ route: 'none' });
    expect(sfn.executions.map((e) => e.machine)).toEqual([RECONCILE]);
  });

  it.each([
    ['malformed', /malformed or unexpected event/],
    ['foreign-integration', /about another integration/],
    ['stale-before-recreation', /stale event from 2025-06-01/],
  ])('records and ignores a %s event without failing', async (name, note) => {
    setStatus('failed');
    const sfn = localStepFunctions();
    const run = await sfn.start(RECONCILE, fixture(name), `evt-${name}`).done;
    await settle(sfn);
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(sfn.executions).toHaveLength(1);
    const log = await reconcileLog();
    expect(log.at(-1)?.route).toBe('ignore');
    expect(log.at(-1)?.note).toMatch(note);
  });

  it('the watchdog starts a resync recovery for resyncing tables, once per resync episode', async () => {
    await aws.setTableState('public.orders', 'ResyncInitiated');
    await aws.recordStateChange(
      'public.orders',
      'ResyncRequired',
      new Date(Date.now() - 60_000).toISOString(),
    );
    const sfn = localStepFunctions({ onWait: () => aws.setTableState('public.orders', 'Synced') });
    await sfn.start(RECONCILE, fixture('watchdog'), 'tick-1').done;
    // The next tick while the same episode is still being handled converges on the same child.
    await aws.setTableState('public.orders', 'ResyncInitiated');
    await sfn.start(RECONCILE, fixture('watchdog'), 'tick-2').done;
    await settle(sfn);
    const resyncs = sfn.executions.filter((e) => e.machine === 'ResyncRecoveryStateMachine');
    expect(resyncs).toHaveLength(1);
    expect(resyncs[0]?.name).toMatch(/^resync-[0-9a-f]{40}$/);
    expect(resyncs[0]?.input).toEqual({
      tables: ['public.orders'],
      requestRefresh: true,
      trigger: 'reconcile',
    });
    const log = await reconcileLog();
    expect(log.map((l) => l.route)).toEqual(['resync-recovery', 'resync-recovery']);
    // StartExecution with the same name: idempotent while running, ExecutionAlreadyExists afterwards.
    expect(log[1]?.child_execution).toBe(resyncs[0]?.name);
  });

  it('the watchdog records a quiet tick when everything is Synced', async () => {
    const sfn = localStepFunctions();
    const run = await sfn.start(RECONCILE, fixture('watchdog'), 'tick-quiet').done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect((await reconcileLog()).at(-1)).toMatchObject({ route: 'none' });
  });

  it('a configuration event for a needs-attention integration routes to recovery, whose guardrail then refuses', async () => {
    setStatus('needs_attention');
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('configuration-1001'), 'evt-config').done;
    await settle(sfn);
    const recovery = sfn.executions.find((e) => e.machine === 'IntegrationRecoveryStateMachine');
    expect(recovery?.error).toBe('RecoveryBlockedError');
    expect(aws.rdsMutations).toEqual([]);
    expect(aws.events.some((e) => e.DetailType === 'Integration Recovery Blocked')).toBe(true);
  });
});
