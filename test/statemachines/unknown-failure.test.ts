import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONFIGURED_INTEGRATION_ARN, createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, settle } from '../helpers/local-sfn.js';
import { useShopVariant } from '../helpers/manifest-variant.js';

/**
 * Integration failures whose class the event does not tell (issue #12, defect 11). The `aws.redshift`
 * event `detail` is undocumented: the only captured sample (third-party, facts §1.2 and §10.4) has
 * `statusCode` / `integrationStatus` and no event id. The class then comes from DescribeIntegrations'
 * `Errors` (RDS API reference, IntegrationError: ErrorCode, ErrorMessage); when that does not tell
 * either, `recovery.onUnknownFailure` decides, and the notification says so. And a notify-class event
 * must not block the recovery of a recreate-class failure: the guardrail decides on the live state,
 * and the child execution's name covers what was decided.
 */

let aws: FakeAws;
let restoreManifest: (() => void) | undefined;
beforeAll(async () => {
  aws = await createFakeAws();
});
afterAll(async () => {
  aws.restore();
  await aws.warehouse.close();
});
beforeEach(() => aws.reset());
afterEach(() => {
  restoreManifest?.();
  restoreManifest = undefined;
});

const RECONCILE = 'ReconcileStateMachine';
const RECOVERY = 'IntegrationRecoveryStateMachine';
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}.json`, 'utf8'));
const breakIntegration = (
  status: 'failed' | 'needs_attention',
  errors: { ErrorCode: string; ErrorMessage?: string }[],
) => {
  const integration = aws.integrations.get(CONFIGURED_INTEGRATION_ARN);
  if (!integration) throw new Error('no integration');
  integration.Status = status;
  integration.Errors = errors;
};
const announced = (type: string) =>
  aws.events
    .filter((e) => e.DetailType === type)
    .map((e) => JSON.parse(e.Detail ?? '{}') as { reason?: string });
const deletes = () => aws.rdsMutations.filter((m) => m.action === 'DeleteIntegration');

describe('Integration failures of unknown class', () => {
  it('an event without an event id is decided from DescribeIntegrations Errors (ErrorCode)', async () => {
    breakIntegration('failed', [
      { ErrorCode: 'REDSHIFT-INTEGRATION-EVENT-0007', ErrorMessage: 'internal error' },
    ]);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('monitoring-no-event-id'), 'evt-no-id').done;
    await settle(sfn);
    const recoveries = sfn.executions.filter((e) => e.machine === RECOVERY);
    expect(recoveries.map((r) => [r.status, r.cause])).toEqual([['SUCCEEDED', undefined]]);
    expect(recoveries[0]?.input).toEqual({
      integrationArn: CONFIGURED_INTEGRATION_ARN,
      reason: { status: 'failed' },
    });
    expect(deletes()).toHaveLength(1);
  });

  it('an event id found only in an ErrorMessage classifies the failure too', async () => {
    breakIntegration('needs_attention', [
      {
        ErrorCode: 'IntegrationConfigurationError',
        ErrorMessage: 'REDSHIFT-INTEGRATION-EVENT-1001: case sensitivity',
      },
    ]);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('monitoring-no-event-id'), 'evt-message-id').done;
    await settle(sfn);
    expect(sfn.executions.filter((e) => e.machine === RECOVERY).map((r) => r.error)).toEqual([
      'RecoveryBlockedError',
    ]);
    expect(announced('Integration Recovery Blocked')[0]?.reason).toMatch(
      /REDSHIFT-INTEGRATION-EVENT-1001 needs a human fix first/,
    );
    expect(aws.rdsMutations).toEqual([]);
  });

  it('still unknown: onUnknownFailure=notify (the default) notifies, says so, and recreates nothing', async () => {
    breakIntegration('failed', [{ ErrorCode: 'DATA_COLUMN_LENGTH_EXCEEDED' }]);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('monitoring-no-event-id'), 'evt-unknown').done;
    await settle(sfn);
    expect(sfn.executions.filter((e) => e.machine === RECOVERY).map((r) => r.error)).toEqual([
      'RecoveryBlockedError',
    ]);
    const [blocked] = announced('Integration Recovery Blocked');
    expect(blocked?.reason).toMatch(/^failure class unknown; onUnknownFailure=notify: /);
    expect(blocked?.reason).toContain('DATA_COLUMN_LENGTH_EXCEEDED');
    expect(aws.rdsMutations).toEqual([]);
  });

  it('a failed integration without any error code is of unknown class too', async () => {
    breakIntegration('failed', []);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, { trigger: 'watchdog' }, 'tick-unknown').done;
    await settle(sfn);
    expect(announced('Integration Recovery Blocked')[0]?.reason).toMatch(
      /^failure class unknown; onUnknownFailure=notify: integration is failed/,
    );
    expect(aws.rdsMutations).toEqual([]);
  });

  it('still unknown: onUnknownFailure=recreate recreates, and the Integration Recreated event says why', async () => {
    restoreManifest = useShopVariant({}, (yml) =>
      yml.replace('recreateIntegration: true', 'recreateIntegration: true\n  onUnknownFailure: recreate'),
    );
    breakIntegration('failed', [{ ErrorCode: 'DATA_COLUMN_LENGTH_EXCEEDED' }]);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('monitoring-no-event-id'), 'evt-unknown-recreate').done;
    await settle(sfn);
    const recoveries = sfn.executions.filter((e) => e.machine === RECOVERY);
    expect(recoveries.map((r) => [r.status, r.cause])).toEqual([['SUCCEEDED', undefined]]);
    expect(deletes()).toHaveLength(1);
    expect(announced('Integration Recreated')[0]?.reason).toMatch(
      /^failure class unknown; onUnknownFailure=recreate: /,
    );
  });

  it('switching onUnknownFailure to recreate lets the next watchdog tick recover what was only notified', async () => {
    breakIntegration('failed', [{ ErrorCode: 'DATA_COLUMN_LENGTH_EXCEEDED' }]);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, { trigger: 'watchdog' }, 'tick-notify').done;
    await settle(sfn);
    expect(aws.rdsMutations).toEqual([]);
    restoreManifest = useShopVariant({}, (yml) =>
      yml.replace('recreateIntegration: true', 'recreateIntegration: true\n  onUnknownFailure: recreate'),
    );
    await sfn.start(RECONCILE, { trigger: 'watchdog' }, 'tick-recreate').done;
    await settle(sfn);
    const recoveries = sfn.executions.filter((e) => e.machine === RECOVERY);
    expect(recoveries.map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(recoveries[0]?.name).not.toBe(recoveries[1]?.name);
    expect(deletes()).toHaveLength(1);
  });
});

describe('A notify-class event does not block the recovery of a recreate-class failure', () => {
  it('delivered late (after the integration failed with a recreate-class error), it recovers at once', async () => {
    breakIntegration('failed', [{ ErrorCode: 'REDSHIFT-INTEGRATION-EVENT-0007' }]);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('operation-0018'), 'evt-paused').done;
    await settle(sfn);
    await sfn.start(RECONCILE, fixture('integration-failed-0007'), 'evt-0007').done;
    await settle(sfn);
    const recoveries = sfn.executions.filter((e) => e.machine === RECOVERY);
    expect(recoveries.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(1);
    expect(announced('Integration Recovery Blocked')).toEqual([]);
    expect(deletes()).toHaveLength(1);
  });

  it('when only the events tell the class, the later recreate-class event gets its own recovery', async () => {
    // needs_attention without error codes: the class comes from each event alone.
    breakIntegration('needs_attention', []);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('operation-0018'), 'evt-paused-first').done;
    await settle(sfn);
    expect(announced('Integration Recovery Blocked')).toHaveLength(1);
    await sfn.start(RECONCILE, fixture('integration-failed-0007'), 'evt-0007-later').done;
    await settle(sfn);
    const recoveries = sfn.executions.filter((e) => e.machine === RECOVERY);
    expect(recoveries.map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(recoveries[0]?.name).not.toBe(recoveries[1]?.name);
    expect(deletes()).toHaveLength(1);
  });

  it('the next watchdog tick recovers a recreate-class failure whose own event was lost', async () => {
    breakIntegration('needs_attention', []);
    const sfn = localStepFunctions();
    await sfn.start(RECONCILE, fixture('operation-0018'), 'evt-paused-then-lost').done;
    await settle(sfn);
    // The integration then fails for good; its event never arrives (EventBridge is best-effort).
    breakIntegration('failed', [{ ErrorCode: 'REDSHIFT-INTEGRATION-EVENT-0007' }]);
    await sfn.start(RECONCILE, { trigger: 'watchdog' }, 'tick-after-lost-event').done;
    await settle(sfn);
    const recoveries = sfn.executions.filter((e) => e.machine === RECOVERY);
    expect(recoveries.map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(deletes()).toHaveLength(1);
  });
});
