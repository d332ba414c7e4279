import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clock } from '../../shared/runtime/clock.js';
import { CONFIGURED_INTEGRATION_ARN, createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, runToEnd, statesEntered } from '../helpers/local-sfn.js';
import { useShopVariant } from '../helpers/manifest-variant.js';

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
  clock.reset();
  restoreManifest?.();
  restoreManifest = undefined;
});

const RECOVERY = 'IntegrationRecoveryStateMachine';
// A plain `failed` without an error code is of unknown class (recovery.onUnknownFailure decides, see
// test/statemachines/unknown-failure.test.ts): the recoveries here fail with a recreate-class code.
const failIntegration = (
  status: 'failed' | 'needs_attention' = 'failed',
  errors: { ErrorCode: string }[] = [{ ErrorCode: 'REDSHIFT-INTEGRATION-EVENT-0007' }],
) => {
  const integration = aws.integrations.get(CONFIGURED_INTEGRATION_ARN);
  if (!integration) throw new Error('no integration');
  integration.Status = status;
  integration.Errors = errors;
};
const blockedReason = (run: { events: { type: string; state?: { name: string; output?: unknown } }[] }) =>
  JSON.stringify(
    run.events.find((e) => e.type === 'StateExited' && e.state?.name === 'CheckGuardrails')?.state?.output,
  );

describe('State machine: integration-recovery', () => {
  it('recreates a failed integration with the same configuration and rebuilds everything', async () => {
    failIntegration('failed', [{ ErrorCode: 'REDSHIFT-INTEGRATION-EVENT-0007' }]);
    const sfn = localStepFunctions();
    const run = await runToEnd(
      sfn,
      RECOVERY,
      { integrationArn: CONFIGURED_INTEGRATION_ARN, reason: { eventId: 'REDSHIFT-INTEGRATION-EVENT-0007' } },
      'recover-1',
    );
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(aws.rdsMutations.map((m) => m.action)).toEqual(['DeleteIntegration', 'CreateIntegration']);
    const created = [...aws.integrations.values()].find(
      (i) => i.IntegrationArn !== CONFIGURED_INTEGRATION_ARN,
    );
    expect(created).toMatchObject({
      IntegrationName: 'shop-zero-etl',
      SourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora',
      DataFilter: 'include: shop.public.*',
      Status: 'active',
    });
    expect(created?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'data' },
        { Key: 'zeo:origin', Value: CONFIGURED_INTEGRATION_ARN },
      ]),
    );
    const newId = created?.IntegrationArn?.split(':').pop();
    const landing = aws.sqlLog.filter((s) => /^(DROP|CREATE|ALTER) DATABASE/.test(s));
    expect(landing).toEqual([
      // The old landing database outlives its integration; Redshift has no IF EXISTS, so it is looked up.
      'DROP DATABASE "aurora_zeroetl"',
      `CREATE DATABASE "aurora_zeroetl" FROM INTEGRATION '${newId}' DATABASE "shop"`,
      'ALTER DATABASE "aurora_zeroetl" INTEGRATION SET QUERY_ALL_STATES = FALSE ACCEPTINVCHARS = TRUE REFRESH_INTERVAL 60 TRUNCATECOLUMNS = FALSE',
    ]);
    const rebuild = sfn.executions.find((e) => e.name === 'recover-1-rebuild');
    expect(rebuild?.status).toBe('SUCCEEDED');
    expect(rebuild?.input).toEqual({ fullRefresh: true, trigger: 'integration-recovery' });
    expect(rebuild?.output).toMatchObject({ counts: { built: 11 } });
    expect(aws.events.some((e) => e.DetailType === 'Integration Recreated')).toBe(true);
  });

  it('retries a delete that conflicts with another operation, then goes on', async () => {
    failIntegration();
    aws.faults.busyDeletes = 2;
    const run = await runToEnd(
      localStepFunctions(),
      RECOVERY,
      { integrationArn: CONFIGURED_INTEGRATION_ARN },
      'recover-busy',
    );
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(aws.rdsMutations.map((m) => m.action)).toEqual([
      'DeleteIntegration',
      'DeleteIntegration',
      'DeleteIntegration',
      'CreateIntegration',
    ]);
  });

  it('dry run walks the guardrails and prints the plan without a single mutating call', async () => {
    failIntegration();
    const run = await runToEnd(
      localStepFunctions(),
      RECOVERY,
      { integrationArn: CONFIGURED_INTEGRATION_ARN, dryRun: true },
      'dry',
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ allowed: true, dryRun: true });
    expect((run.output as { plan: string[] }).plan[0]).toMatch(/^delete integration arn:aws:rds:/);
    expect(aws.rdsMutations).toEqual([]);
    expect(aws.sqlLog.filter((s) => /DATABASE/.test(s))).toEqual([]);
  });

  it('fails with a notification when the new integration stays creating past the deadline', async () => {
    failIntegration();
    aws.faults.describesUntilActive = Number.POSITIVE_INFINITY;
    const sfn = localStepFunctions({ onWait: () => clock.advance(60 * 60_000) });
    const run = await runToEnd(sfn, RECOVERY, { integrationArn: CONFIGURED_INTEGRATION_ARN }, 'stuck');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('IntegrationTimeoutError');
    expect(statesEntered(run)).toContain('NotifyCreateFailed');
    expect(aws.events.some((e) => e.DetailType === 'Integration Recovery Failed')).toBe(true);
  });

  describe('guardrails refuse, notify and change nothing', () => {
    it('an integration the project does not manage', async () => {
      failIntegration();
      const other = 'arn:aws:rds:us-east-1:123456789012:integration:ffffffff-0000-0000-0000-000000000000';
      const run = await runToEnd(localStepFunctions(), RECOVERY, { integrationArn: other }, 'foreign');
      expect(run.error).toBe('RecoveryBlockedError');
      expect(blockedReason(run)).toMatch(/is not managed by project shop-reporting/);
      expect(aws.rdsMutations).toEqual([]);
      expect(aws.events.some((e) => e.DetailType === 'Integration Recovery Blocked')).toBe(true);
    });

    it('recreation switched off in project.yml', async () => {
      failIntegration();
      restoreManifest = useShopVariant({}, (yml) =>
        yml.replace('recreateIntegration: true', 'recreateIntegration: false'),
      );
      const run = await runToEnd(
        localStepFunctions(),
        RECOVERY,
        { integrationArn: CONFIGURED_INTEGRATION_ARN },
        'disabled',
      );
      expect(run.error).toBe('RecoveryBlockedError');
      expect(blockedReason(run)).toMatch(/recreateIntegration is false/);
      expect(aws.rdsMutations).toEqual([]);
    });

    it('the circuit breaker after a recreation in the last 24 hours', async () => {
      failIntegration();
      const integration = aws.integrations.get(CONFIGURED_INTEGRATION_ARN);
      integration?.Tags?.push({ Key: 'zeo:recreated', Value: String(Math.floor(Date.now() / 1000) - 3600) });
      const run = await runToEnd(
        localStepFunctions(),
        RECOVERY,
        { integrationArn: CONFIGURED_INTEGRATION_ARN },
        'breaker',
      );
      expect(run.error).toBe('RecoveryBlockedError');
      expect(blockedReason(run)).toMatch(/circuit breaker: 1 recreation\(s\) in the last 24 hours/);
      expect(aws.rdsMutations).toEqual([]);
    });

    it('a configuration error that recreation cannot fix', async () => {
      failIntegration('needs_attention', []);
      const run = await runToEnd(
        localStepFunctions(),
        RECOVERY,
        {
          integrationArn: CONFIGURED_INTEGRATION_ARN,
          reason: { eventId: 'REDSHIFT-INTEGRATION-EVENT-1001' },
        },
        'config',
      );
      expect(run.error).toBe('RecoveryBlockedError');
      expect(blockedReason(run)).toMatch(/REDSHIFT-INTEGRATION-EVENT-1001 needs a human fix first/);
      expect(aws.rdsMutations).toEqual([]);
    });

    it('and page the on-call through SNS when a topic is configured', async () => {
      failIntegration();
      restoreManifest = useShopVariant({}, (yml) =>
        yml
          .replace('recreateIntegration: true', 'recreateIntegration: false')
          .replace('notifications: {}', '')
          .concat('\nnotifications:\n  snsTopicArn: arn:aws:sns:us-east-1:123456789012:zeo-alerts\n'),
      );
      const run = await runToEnd(
        localStepFunctions(),
        RECOVERY,
        { integrationArn: CONFIGURED_INTEGRATION_ARN },
        'paged',
      );
      expect(run.error).toBe('RecoveryBlockedError');
      expect(aws.snsMessages).toHaveLength(1);
      expect(aws.snsMessages[0]?.subject).toMatch(
        /^\[zeo\] integration recovery blocked: recovery.recreateIntegration is false/,
      );
      expect(JSON.parse(aws.snsMessages[0]?.message ?? '{}')).toMatchObject({
        detailType: 'Integration Recovery Blocked',
        severity: 'error',
      });
    });

    it('a healthy integration', async () => {
      const run = await runToEnd(
        localStepFunctions(),
        RECOVERY,
        { integrationArn: CONFIGURED_INTEGRATION_ARN },
        'healthy',
      );
      expect(run.error).toBe('RecoveryBlockedError');
      expect(blockedReason(run)).toMatch(/integration is active, not failed/);
      expect(aws.rdsMutations).toEqual([]);
    });
  });

  it('rejects malformed input before touching anything', async () => {
    const run = await runToEnd(localStepFunctions(), RECOVERY, { integrationArn: 'not-an-arn' }, 'bad');
    expect(run.error).toBe('InvalidInputError');
    expect(JSON.stringify(run.events)).toMatch(/integrationArn: must be an ARN/);
    expect(aws.rdsMutations).toEqual([]);
  });
});
