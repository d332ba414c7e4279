import {
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  DescribeIntegrationsCommand,
  type DescribeIntegrationsCommandInput,
  ModifyIntegrationCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.js';
import type { LocalEndpoint } from '../../local/http.js';
import { LocalRds } from '../../local/rds/server.js';
import { IntegrationRegistry } from '../../local/zero-etl/integrations.js';
import { Integrations } from '../../shared/integration/rds.js';
import { rdsClient, rejection } from './support.js';

/**
 * Conformance of the local RDS endpoint with the request constraints of the RDS service model
 * (aws/api-models-aws rds-2014-10-31.json: CreateIntegrationMessage, DescribeIntegrationsMessage,
 * DeleteIntegrationMessage, ModifyIntegrationMessage and the shapes they reach, named in each test),
 * through the real @aws-sdk/client-rds (awsQuery), which checks none of them itself. AWS "Common
 * Errors": a missing required parameter is MissingParameter, input that fails the constraints
 * ValidationError, an out-of-range value InvalidParameterValue (used for the limits the model states only
 * in its documentation). The model has no list-size or enum constraint on these operations.
 */

const SOURCE = 'arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora';
const TARGET =
  'arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0c3d9a2f-6e11-4d7e-9a51-5b2c7c4e1f0a';
const IDENTIFIER = 'arn:aws:rds:us-east-1:123456789012:integration:00000000-0000-4000-8000-000000000000';

let clock: ManualClock;
let registry: IntegrationRegistry;
let rds: LocalRds;
let endpoint: LocalEndpoint;
let client: RDSClient;

beforeAll(async () => {
  clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
  registry = new IntegrationRegistry({ clock, timings: { createMs: 60_000, deleteMs: 30_000 } });
  rds = new LocalRds({ integrations: registry });
  endpoint = await rds.start();
  client = rdsClient(endpoint.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
});

beforeEach(() => {
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
});

type CreateInput = ConstructorParameters<typeof CreateIntegrationCommand>[0];
const create = (extra: Partial<CreateInput> = {}) =>
  client.send(
    new CreateIntegrationCommand({
      SourceArn: SOURCE,
      TargetArn: TARGET,
      IntegrationName: 'shop-zero-etl',
      ...extra,
    }),
  );

/** The error a request is refused with: its code (the SDK's error name) and message; nothing changed. */
async function refused(request: Promise<unknown>): Promise<{ code: string; message: string }> {
  const before = registry.describe().length;
  const logged = rds.log.length;
  const error = await rejection(request);
  expect(registry.describe()).toHaveLength(before);
  // A refused mutating call is logged with the code it was answered with.
  for (const call of rds.log.slice(logged)) expect(call.outcome).toBe(error.name);
  return { code: error.name, message: error.message };
}

const one = (value: string, path: string, constraint: string) =>
  `1 validation error detected: Value ${value} at '${path}' failed to satisfy constraint: ${constraint}`;

describe('local RDS: every request parameter against the service model', () => {
  it('answers a missing required parameter with MissingParameter (smithy.api#required: DeleteIntegrationMessage.IntegrationIdentifier, CreateIntegrationMessage.IntegrationName, Filter.Name)', async () => {
    const noId = {} as ConstructorParameters<typeof DeleteIntegrationCommand>[0];
    expect(await refused(client.send(new DeleteIntegrationCommand(noId)))).toEqual({
      code: 'MissingParameter',
      message: 'The request must contain the parameter IntegrationIdentifier',
    });
    const noModifyId = { Description: 'x' } as ConstructorParameters<typeof ModifyIntegrationCommand>[0];
    expect((await refused(client.send(new ModifyIntegrationCommand(noModifyId)))).code).toBe(
      'MissingParameter',
    );
    const noName = { SourceArn: SOURCE, TargetArn: TARGET } as CreateInput;
    expect(await refused(client.send(new CreateIntegrationCommand(noName)))).toEqual({
      code: 'MissingParameter',
      message: 'The request must contain the parameter IntegrationName',
    });
    const noFilterName = { Filters: [{ Values: ['active'] }] } as DescribeIntegrationsCommandInput;
    expect(await refused(client.send(new DescribeIntegrationsCommand(noFilterName)))).toEqual({
      code: 'MissingParameter',
      message: 'The request must contain the parameter Filters.Filter.1.Name',
    });
  });

  it('answers a value outside its length with ValidationError (IntegrationName 1-63, IntegrationDescription 0-1000, Arn 20-2048, Marker 1-340)', async () => {
    const longName = `a${'b'.repeat(63)}`;
    expect(await refused(create({ IntegrationName: longName }))).toEqual({
      code: 'ValidationError',
      message: one(`'${longName}'`, 'integrationName', 'Member must have length less than or equal to 63'),
    });
    const description = 'd'.repeat(1001);
    expect((await refused(create({ Description: description }))).message).toBe(
      one(`'${description}'`, 'description', 'Member must have length less than or equal to 1000'),
    );
    expect((await refused(create({ TargetArn: 'arn:aws:redshift' }))).message).toBe(
      one("'arn:aws:redshift'", 'targetArn', 'Member must have length greater than or equal to 20'),
    );
    expect(await refused(client.send(new DescribeIntegrationsCommand({ Marker: '' })))).toEqual({
      code: 'ValidationError',
      message: one("''", 'marker', 'Member must have length greater than or equal to 1'),
    });
  });

  it('answers a value that does not match its pattern with ValidationError (IntegrationName, SourceArn, IntegrationIdentifier, DataFilter)', async () => {
    expect(await refused(create({ IntegrationName: 'shop_zero_etl' }))).toEqual({
      code: 'ValidationError',
      message: one(
        "'shop_zero_etl'",
        'integrationName',
        'Member must satisfy regular expression pattern: ^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$',
      ),
    });
    expect((await refused(create({ SourceArn: 'arn:aws:s3:::shop-bucket' }))).message).toContain(
      "Value 'arn:aws:s3:::shop-bucket' at 'sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws",
    );
    expect(
      await refused(client.send(new DeleteIntegrationCommand({ IntegrationIdentifier: 'shop zero-etl!' }))),
    ).toEqual({
      code: 'ValidationError',
      message: one(
        "'shop zero-etl!'",
        'integrationIdentifier',
        'Member must satisfy regular expression pattern: ^[a-zA-Z0-9_:\\-\\/]+$',
      ),
    });
    expect((await refused(create({ DataFilter: 'include: shop.public.orders;' }))).code).toBe(
      'ValidationError',
    );
  });

  it('answers MaxRecords outside 20-100 with InvalidParameterValue (DescribeIntegrationsMessage.MaxRecords documentation)', async () => {
    expect(await refused(client.send(new DescribeIntegrationsCommand({ MaxRecords: 5 })))).toEqual({
      code: 'InvalidParameterValue',
      message: 'Invalid value 5 for MaxRecords. Must be between 20 and 100',
    });
    expect((await refused(client.send(new DescribeIntegrationsCommand({ MaxRecords: 101 })))).code).toBe(
      'InvalidParameterValue',
    );
    // The bounds themselves are allowed.
    await client.send(new DescribeIntegrationsCommand({ MaxRecords: 20 }));
    await client.send(new DescribeIntegrationsCommand({ MaxRecords: 100 }));
  });

  it('answers a tag outside the documented form with InvalidParameterValue (Tag: key 1-128, value up to 256, no aws: or rds: prefix)', async () => {
    const longKey = 'k'.repeat(129);
    expect(
      await refused(
        create({
          Tags: [
            { Key: 'team', Value: 'data' },
            { Key: longKey, Value: 'x' },
          ],
        }),
      ),
    ).toEqual({
      code: 'InvalidParameterValue',
      message: `Invalid value '${longKey}' for Tags.Tag.2.Key: Member must have length less than or equal to 128`,
    });
    expect(
      (await refused(create({ Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }] }))).code,
    ).toBe('InvalidParameterValue');
    expect((await refused(create({ Tags: [{ Key: 'owner', Value: "o'brien" }] }))).code).toBe(
      'InvalidParameterValue',
    );
    expect((await refused(create({ Tags: [{ Key: 'note', Value: 'v'.repeat(257) }] }))).code).toBe(
      'InvalidParameterValue',
    );
  });

  it("passes every call the project's RDS adapter makes (shared/integration/rds.ts), tags and all", async () => {
    const integrations = new Integrations(client);
    const created = await integrations.create({
      integrationName: 'shop-zero-etl',
      sourceArn: SOURCE,
      targetArn: TARGET,
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc',
      additionalEncryptionContext: { purpose: 'reporting' },
      tags: [
        { key: 'zeo:origin', value: IDENTIFIER },
        { key: 'zeo:recreated', value: '1767225600 1767229200' },
      ],
      dataFilter: 'include: shop.*.*',
      description: 'recreated by zero-etl-orchestrator',
    });
    expect(created.status).toBe('creating');
    expect((await integrations.describe(created.arn))?.snapshot.tags).toHaveLength(2);
    expect((await integrations.describe(created.id))?.arn).toBe(created.arn);
    expect((await integrations.list()).map((i) => i.arn)).toEqual([created.arn]);
    clock.advance(60_000);
    await integrations.delete(created.arn);
    expect((await integrations.describe(created.arn))?.status).toBe('deleting');
  });
});
