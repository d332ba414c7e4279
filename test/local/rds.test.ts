import {
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  DescribeIntegrationsCommand,
  IntegrationAlreadyExistsFault,
  IntegrationConflictOperationFault,
  IntegrationNotFoundFault,
  InvalidIntegrationStateFault,
  ModifyIntegrationCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.js';
import type { LocalEndpoint } from '../../local/http.js';
import { LocalRds } from '../../local/rds/server.js';
import { applyLocalStackEnvironment } from '../../local/stack.js';
import { IntegrationRegistry } from '../../local/zero-etl/integrations.js';
import { rdsClient, rejection } from './support.js';

/** The local RDS integration API, driven through the real @aws-sdk/client-rds. */

const SOURCE = 'arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora';
const TARGET =
  'arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0c3d9a2f-6e11-4d7e-9a51-5b2c7c4e1f0a';

let clock: ManualClock;
let registry: IntegrationRegistry;
let rds: LocalRds;
let endpoint: LocalEndpoint;
let client: RDSClient;

beforeAll(async () => {
  clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
  registry = new IntegrationRegistry({
    clock,
    timings: { createMs: 60_000, deleteMs: 30_000, modifyMs: 10_000 },
  });
  rds = new LocalRds({ integrations: registry });
  endpoint = await rds.start();
  client = rdsClient(endpoint.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
});

beforeEach(async () => {
  rds.clearFaults();
  // Each test starts from no integrations: delete what is left and let the deletions finish.
  for (const integration of registry.describe()) {
    if (integration.status === 'creating') registry.release(integration.id);
  }
  clock.advance(120_000);
  registry.advance();
  for (const integration of registry.describe()) {
    if (integration.status !== 'deleting') registry.delete(integration.id);
  }
  clock.advance(60_000);
  registry.advance();
  registry.drainTransitions();
});

const create = (
  name: string,
  extra: Partial<ConstructorParameters<typeof CreateIntegrationCommand>[0]> = {},
) =>
  client.send(
    new CreateIntegrationCommand({ SourceArn: SOURCE, TargetArn: TARGET, IntegrationName: name, ...extra }),
  );

describe('local RDS endpoint', () => {
  it('creates an integration that is creating, then active as simulated time passes, then deleted', async () => {
    const created = await create('shop-zero-etl', { Description: 'local <test> & more' });
    expect(created.Status).toBe('creating');
    expect(created.IntegrationName).toBe('shop-zero-etl');
    expect(created.SourceArn).toBe(SOURCE);
    expect(created.TargetArn).toBe(TARGET);
    expect(created.Description).toBe('local <test> & more');
    expect(created.IntegrationArn).toMatch(
      /^arn:aws:rds:us-east-1:123456789012:integration:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(created.CreateTime).toBeInstanceOf(Date);
    expect(created.CreateTime?.toISOString()).toBe('2026-03-01T00:03:00.000Z');
    const arn = created.IntegrationArn ?? '';

    clock.advance(59_000);
    const early = await client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: arn }));
    expect(early.Integrations?.map((i) => i.Status)).toEqual(['creating']);

    clock.advance(1_000);
    const active = await client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: arn }));
    expect(active.Integrations?.[0]?.Status).toBe('active');
    // The bare UUID works as an identifier too.
    const byId = await client.send(
      new DescribeIntegrationsCommand({ IntegrationIdentifier: arn.split(':').pop() }),
    );
    expect(byId.Integrations?.[0]?.IntegrationArn).toBe(arn);

    const deleting = await client.send(new DeleteIntegrationCommand({ IntegrationIdentifier: arn }));
    expect(deleting.Status).toBe('deleting');
    expect(deleting.IntegrationArn).toBe(arn);
    clock.advance(30_000);
    const gone = await rejection(
      client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: arn })),
    );
    expect(gone).toBeInstanceOf(IntegrationNotFoundFault);
    expect((await client.send(new DescribeIntegrationsCommand({}))).Integrations).toEqual([]);
  });

  it('round-trips tags, the KMS key and the encryption context, and escapes XML', async () => {
    const created = await create('tagged', {
      KMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc',
      AdditionalEncryptionContext: { purpose: 'reporting', team: 'data & <analytics>' },
      Tags: [
        { Key: 'zeo:managed', Value: 'true' },
        // Tag characters are letters, digits, white space and _.:/=+-@ (RDS model, Tag); XML escaping
        // is exercised by the encryption context.
        { Key: 'owner', Value: 'data-ops@example.com' },
      ],
      DataFilter: 'include: shop.*.*',
    });
    const [described] =
      (await client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: created.IntegrationArn })))
        .Integrations ?? [];
    expect(described?.Tags).toEqual([
      { Key: 'zeo:managed', Value: 'true' },
      { Key: 'owner', Value: 'data-ops@example.com' },
    ]);
    expect(described?.KMSKeyId).toBe('arn:aws:kms:us-east-1:123456789012:key/abc');
    expect(described?.AdditionalEncryptionContext).toEqual({
      purpose: 'reporting',
      team: 'data & <analytics>',
    });
    expect(described?.DataFilter).toBe('include: shop.*.*');
    expect(described?.Errors).toEqual([]);
  });

  it('answers injected conflicts with the typed fault, then succeeds, and logs every mutating call', async () => {
    const created = await create('conflicted');
    clock.advance(60_000);
    const before = rds.mutatingCalls().length;
    rds.injectFault({ action: 'DeleteIntegration', code: 'IntegrationConflictOperationFault', times: 2 });
    const id = created.IntegrationArn;
    for (let i = 0; i < 2; i++) {
      const failure = await rejection(
        client.send(new DeleteIntegrationCommand({ IntegrationIdentifier: id })),
      );
      expect(failure).toBeInstanceOf(IntegrationConflictOperationFault);
    }
    const deleted = await client.send(new DeleteIntegrationCommand({ IntegrationIdentifier: id }));
    expect(deleted.Status).toBe('deleting');
    await client.send(new DescribeIntegrationsCommand({}));
    const calls = rds.mutatingCalls().slice(before);
    expect(calls.map((c) => [c.action, c.outcome])).toEqual([
      ['DeleteIntegration', 'IntegrationConflictOperationFault'],
      ['DeleteIntegration', 'IntegrationConflictOperationFault'],
      ['DeleteIntegration', 'ok'],
    ]);
    expect(calls[0]?.params).toEqual({ IntegrationIdentifier: id });
  });

  it('refuses what RDS refuses: duplicate names, deleting while creating, unknown integrations', async () => {
    const created = await create('strict');
    expect(await rejection(create('strict'))).toBeInstanceOf(IntegrationAlreadyExistsFault);
    const early = await rejection(
      client.send(new DeleteIntegrationCommand({ IntegrationIdentifier: created.IntegrationArn })),
    );
    expect(early).toBeInstanceOf(InvalidIntegrationStateFault);
    expect(early.message).toContain('Active, Failed, Syncing, or Needs attention');
    const unknown = await rejection(
      client.send(
        new DeleteIntegrationCommand({
          IntegrationIdentifier:
            'arn:aws:rds:us-east-1:123456789012:integration:00000000-0000-4000-8000-000000000000',
        }),
      ),
    );
    expect(unknown).toBeInstanceOf(IntegrationNotFoundFault);
    expect((unknown as IntegrationNotFoundFault).$metadata.httpStatusCode).toBe(404);
  });

  it('keeps a held creation in creating until released', async () => {
    registry.holdCreating(1);
    const created = await create('stuck');
    clock.advance(600_000);
    const [stuck] =
      (await client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: created.IntegrationArn })))
        .Integrations ?? [];
    expect(stuck?.Status).toBe('creating');
    registry.release(created.IntegrationArn ?? '');
    const [released] =
      (await client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: created.IntegrationArn })))
        .Integrations ?? [];
    expect(released?.Status).toBe('active');
  });

  it('modifies name and description at once, and a data filter through modifying', async () => {
    const created = await create('before-rename');
    clock.advance(60_000);
    const renamed = await client.send(
      new ModifyIntegrationCommand({
        IntegrationIdentifier: created.IntegrationArn,
        IntegrationName: 'after-rename',
        Description: 'renamed',
      }),
    );
    expect([renamed.IntegrationName, renamed.Description, renamed.Status]).toEqual([
      'after-rename',
      'renamed',
      'active',
    ]);
    const filtered = await client.send(
      new ModifyIntegrationCommand({
        IntegrationIdentifier: created.IntegrationArn,
        DataFilter: 'include: shop.public.orders',
      }),
    );
    expect(filtered.Status).toBe('modifying');
    clock.advance(10_000);
    const [done] =
      (await client.send(new DescribeIntegrationsCommand({ IntegrationIdentifier: created.IntegrationArn })))
        .Integrations ?? [];
    expect([done?.Status, done?.DataFilter]).toEqual(['active', 'include: shop.public.orders']);
  });

  it('is reachable through AWS_ENDPOINT_URL_RDS with the default client configuration', async () => {
    const restore = applyLocalStackEnvironment({
      dataApiEndpoint: 'http://127.0.0.1:1',
      rdsEndpoint: endpoint.endpoint,
      region: 'us-east-1',
    });
    try {
      const fromEnv = new RDSClient({});
      await create('env-routed');
      const listed = await fromEnv.send(new DescribeIntegrationsCommand({}));
      expect(listed.Integrations?.map((i) => i.IntegrationName)).toContain('env-routed');
      fromEnv.destroy();
    } finally {
      restore();
    }
  });
});
