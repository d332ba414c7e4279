import { describe, expect, it } from 'vitest';
import { checkRecoveryGuardrails } from '../../../../functions/check-recovery-guardrails/core.js';
import { ORIGIN_TAG, RECREATED_TAG } from '../../../../shared/integration/managed.js';
import type { IntegrationInfo } from '../../../../shared/integration/rds.js';
import { fakeIntegrations, integration, shopIndex } from '../../../helpers/fake-ports.js';

/**
 * checkRecoveryGuardrails over a fake RDS port: every refusal (not ours, gone, recreation disabled,
 * not failed, a failure a human must fix, an unknown class under onUnknownFailure=notify, the circuit
 * breaker) and what an allowed recovery carries (lineage-tagged snapshot, watch, deadline, plan).
 */

const CONFIGURED_ID = '5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11';
const CONFIGURED = shopIndex().manifest.project.landing.integrationArn;
const NOW = new Date('2026-12-03T10:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;
const error = (n: string) => ({ code: `REDSHIFT-INTEGRATION-EVENT-${n}`, message: '' });

function decide(
  integrations: IntegrationInfo[],
  input: Record<string, unknown> = { integrationArn: CONFIGURED },
  recovery: Parameters<typeof shopIndex>[0] = {},
) {
  const rds = fakeIntegrations(integrations);
  return checkRecoveryGuardrails(
    { input, executionName: 'recover-1' },
    { index: shopIndex(recovery), integrations: rds.port, now: () => NOW },
  );
}

const failed = (fields: Parameters<typeof integration>[1] = {}) =>
  integration(CONFIGURED_ID, { status: 'failed', errors: [error('0009')], ...fields });

describe('checkRecoveryGuardrails: refusals', () => {
  it('refuses an integration this project does not manage, touching nothing', async () => {
    const other = integration('other-1', { status: 'failed', errors: [error('0009')] });
    const out = await decide([failed(), other], { integrationArn: other.arn });
    expect(out).toMatchObject({
      allowed: false,
      integrationArn: other.arn,
      snapshot: null,
      watch: null,
      plan: [],
    });
    expect(out.reason).toBe(
      `integration ${other.arn} is not managed by project shop-reporting (it manages ${CONFIGURED})`,
    );
  });

  it('refuses when the managed integration does not exist: nothing to recreate it from', async () => {
    const out = await decide([]);
    expect(out).toMatchObject({ allowed: false, integrationId: null });
    expect(out.reason).toMatch(/does not exist/);
  });

  it('refuses when recovery.recreateIntegration is false', async () => {
    const out = await decide([failed()], undefined, { recreateIntegration: false });
    expect(out).toMatchObject({ allowed: false, integrationId: CONFIGURED_ID });
    expect(out.reason).toMatch(/recovery\.recreateIntegration is false/);
  });

  it('refuses an integration that is not failed', async () => {
    for (const status of ['active', 'modifying', 'syncing']) {
      const out = await decide([failed({ status })]);
      expect(out.allowed, status).toBe(false);
      expect(out.reason).toBe(`integration is ${status}, not failed: nothing to recover`);
    }
  });

  it('refuses a failure a human must fix, even when another live error is recreate-class', async () => {
    const out = await decide([failed({ errors: [error('0009'), error('0008')] })]);
    expect(out.allowed).toBe(false);
    expect(out.reason).toMatch(/^REDSHIFT-INTEGRATION-EVENT-0008 needs a human fix first/);
  });

  it('a notify-class event id refuses when the live errors say nothing', async () => {
    const out = await decide([failed({ errors: [] })], {
      integrationArn: CONFIGURED,
      reason: { eventId: 'REDSHIFT-INTEGRATION-EVENT-1001' },
    });
    expect(out.allowed).toBe(false);
    expect(out.reason).toMatch(/1001 needs a human fix first/);
  });

  it('an unknown failure class is refused under onUnknownFailure=notify, naming the policy and the code', async () => {
    const out = await decide([
      failed({ status: 'needs_attention', errors: [{ code: 'SomethingNew', message: '' }] }),
    ]);
    expect(out.allowed).toBe(false);
    expect(out.reason).toMatch(
      /^failure class unknown; onUnknownFailure=notify: integration is needs_attention with SomethingNew/,
    );
  });

  it('the circuit breaker refuses once maxRecreatesPer24h recreations lie within 24 hours', async () => {
    const recreatedAt = (secondsAgo: number) => ({
      tags: [
        { key: ORIGIN_TAG, value: CONFIGURED },
        { key: RECREATED_TAG, value: String(nowSeconds - secondsAgo) },
      ],
    });
    const recent = await decide([failed({ snapshot: recreatedAt(23 * 3600) })]);
    expect(recent.allowed).toBe(false);
    expect(recent.reason).toBe(
      'circuit breaker: 1 recreation(s) in the last 24 hours (recovery.maxRecreatesPer24h = 1)',
    );
    const aged = await decide([failed({ snapshot: recreatedAt(24 * 3600 + 1) })]);
    expect(aged.allowed).toBe(true);
    const raised = await decide([failed({ snapshot: recreatedAt(3600) })], undefined, {
      maxRecreatesPer24h: 2,
    });
    expect(raised.allowed).toBe(true);
  });

  it('input that does not match the schema is an InvalidInputError naming the field', async () => {
    await expect(
      decide([failed()], { integrationArn: CONFIGURED, reason: { eventId: 'EVENT-9' } }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', issues: [{ field: 'reason.eventId' }] });
    await expect(decide([failed()], { integrationArn: CONFIGURED, force: true })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('force'),
    });
  });
});

describe('checkRecoveryGuardrails: an allowed recovery', () => {
  it('carries the snapshot with its lineage tags, the watch over every source, the deadline and the plan', async () => {
    const live = failed({
      snapshot: {
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
        tags: [{ key: 'team', value: 'data' }],
      },
    });
    const out = await decide([live], { integrationArn: CONFIGURED, dryRun: true });
    expect(out).toMatchObject({
      allowed: true,
      dryRun: true,
      integrationArn: CONFIGURED,
      integrationId: CONFIGURED_ID,
    });
    expect(out.reason).toBe('integration failed (REDSHIFT-INTEGRATION-EVENT-0009): recreating');
    expect(out.snapshot?.tags).toEqual([
      { key: 'team', value: 'data' },
      { key: ORIGIN_TAG, value: CONFIGURED },
      { key: RECREATED_TAG, value: String(nowSeconds) },
    ]);
    // initialLoadTimeoutMinutes (240) plus an hour for the delete and create.
    expect(out.deadline).toBe('2026-12-03T15:00:00.000Z');
    expect(out.watch).toEqual({
      tables: shopIndex().manifest.sources,
      requestRefresh: false,
      trigger: 'integration-recovery',
      deadline: out.deadline,
      rebuildAs: 'recover-1-rebuild',
    });
    expect(out.plan[0]).toBe(`delete integration ${CONFIGURED} (shop-zeroetl)`);
    expect(out.plan[1]).toContain('with KMS key arn:aws:kms:us-east-1:123456789012:key/k-1');
    expect(out.plan[3]).toContain(`${shopIndex().manifest.sources.length} landing table(s)`);
  });

  it('a recreated integration (new ARN, origin tag) is found and recognised as managed', async () => {
    const recreated = integration('new-1', {
      status: 'failed',
      errors: [error('0006')],
      createTime: '2026-12-02T00:00:00.000Z',
      snapshot: { tags: [{ key: ORIGIN_TAG, value: CONFIGURED }] },
    });
    const out = await decide([recreated], { integrationArn: recreated.arn });
    expect(out).toMatchObject({ allowed: true, integrationArn: recreated.arn, integrationId: 'new-1' });
    expect(out.plan[0]).toContain(`delete integration ${recreated.arn}`);
  });

  it('an unknown class is recreated under onUnknownFailure=recreate, saying so', async () => {
    const out = await decide([failed({ errors: [] })], undefined, { onUnknownFailure: 'recreate' });
    expect(out.allowed).toBe(true);
    expect(out.reason).toBe(
      'failure class unknown; onUnknownFailure=recreate: integration is failed without an error code: recreating',
    );
  });

  it('a recreate-class event id decides when the live errors say nothing', async () => {
    const out = await decide([failed({ errors: [] })], {
      integrationArn: CONFIGURED,
      reason: { eventId: 'REDSHIFT-INTEGRATION-EVENT-0006' },
    });
    expect(out.allowed).toBe(true);
    expect(out.reason).toContain('(REDSHIFT-INTEGRATION-EVENT-0006)');
  });
});
