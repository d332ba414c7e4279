import { describe, expect, it } from 'vitest';
import { CreateIntegrationEvent, createIntegration } from '../../../../functions/create-integration/core.js';
import { ORIGIN_TAG } from '../../../../shared/integration/managed.js';
import type { IntegrationSnapshot } from '../../../../shared/integration/rds.js';
import { fakeIntegrations, integration } from '../../../helpers/fake-ports.js';

/**
 * createIntegration over a fake RDS port: a retried step adopts the integration its first attempt
 * created (same name, same origin tag, not being deleted) instead of creating a second one.
 */

const ORIGIN = 'arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e';
const snapshot: IntegrationSnapshot = {
  integrationName: 'shop-zeroetl',
  sourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora',
  targetArn: 'arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0f1e',
  kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
  tags: [
    { key: ORIGIN_TAG, value: ORIGIN },
    { key: 'team', value: 'data' },
  ],
};
const log = () => undefined;

describe('createIntegration', () => {
  it('creates the integration from the snapshot (KMS key and tags kept) when none exists', async () => {
    const rds = fakeIntegrations([]);
    const out = await createIntegration({ snapshot }, { integrations: rds.port, log });
    expect(rds.created).toEqual([snapshot]);
    expect(out).toEqual({
      integrationArn: expect.stringContaining(':integration:new-1'),
      integrationId: 'new-1',
    });
  });

  it('a retried step adopts the integration its earlier attempt created: nothing is created', async () => {
    const earlier = integration('adopt-me', { status: 'creating', snapshot: { tags: snapshot.tags } });
    const rds = fakeIntegrations([earlier]);
    const logged: string[] = [];
    const out = await createIntegration(
      { snapshot },
      { integrations: rds.port, log: (message) => void logged.push(message) },
    );
    expect(out).toEqual({ integrationArn: earlier.arn, integrationId: 'adopt-me' });
    expect(rds.created).toEqual([]);
    expect(logged[0]).toMatch(/adopting/);
  });

  it('does not adopt one being deleted, one of another origin, or one of another name', async () => {
    const rds = fakeIntegrations([
      integration('deleting', { status: 'deleting', snapshot: { tags: snapshot.tags } }),
      integration('other-origin', { snapshot: { tags: [{ key: ORIGIN_TAG, value: 'arn:other' }] } }),
      integration('untagged', { snapshot: { tags: [] } }),
      integration('renamed', { snapshot: { integrationName: 'shop-other', tags: snapshot.tags } }),
    ]);
    const out = await createIntegration({ snapshot }, { integrations: rds.port, log });
    expect(rds.created).toHaveLength(1);
    expect(out.integrationId).toBe('new-1');
  });

  it('the input schema refuses a name CreateIntegration would reject and an unknown key', () => {
    const bad = CreateIntegrationEvent.safeParse({
      snapshot: { ...snapshot, integrationName: 'shop_zeroetl' },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['snapshot', 'integrationName']);
    expect(CreateIntegrationEvent.safeParse({ snapshot: { ...snapshot, extra: 1 } }).success).toBe(false);
    expect(CreateIntegrationEvent.safeParse({ snapshot }).success).toBe(true);
  });
});
