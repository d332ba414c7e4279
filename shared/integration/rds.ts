import {
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  DescribeIntegrationsCommand,
  type Integration,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { IntegrationBusyError } from '../errors.js';

/** The configuration an integration is recreated with (everything CreateIntegration accepts). */
export interface IntegrationSnapshot {
  integrationName: string;
  sourceArn: string;
  targetArn: string;
  kmsKeyId?: string;
  additionalEncryptionContext?: Record<string, string>;
  tags: { key: string; value: string }[];
  dataFilter?: string;
  description?: string;
}

export interface IntegrationInfo {
  arn: string;
  /** The UUID at the end of the ARN; Redshift's FROM INTEGRATION '<id>' uses it. */
  id: string;
  status: string;
  createTime?: string;
  errors: { code: string; message: string }[];
  snapshot: IntegrationSnapshot;
}

function busy(error: unknown): never {
  const name = error instanceof Error ? error.name : '';
  if (name === 'IntegrationConflictOperationFault' || name === 'InvalidIntegrationStateFault') {
    throw new IntegrationBusyError(`${name}: ${error instanceof Error ? error.message : ''}`);
  }
  throw error;
}

// AWS-ASSUMPTION: integration-id-is-arn-uuid
export function integrationIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

function toInfo(i: Integration): IntegrationInfo {
  const arn = i.IntegrationArn ?? '';
  return {
    arn,
    id: integrationIdOf(arn),
    status: i.Status ?? 'unknown',
    ...(i.CreateTime ? { createTime: i.CreateTime.toISOString() } : {}),
    errors: (i.Errors ?? []).map((e) => ({ code: e.ErrorCode ?? '', message: e.ErrorMessage ?? '' })),
    snapshot: {
      integrationName: i.IntegrationName ?? '',
      sourceArn: i.SourceArn ?? '',
      targetArn: i.TargetArn ?? '',
      ...(i.KMSKeyId ? { kmsKeyId: i.KMSKeyId } : {}),
      ...(i.AdditionalEncryptionContext && Object.keys(i.AdditionalEncryptionContext).length > 0
        ? { additionalEncryptionContext: i.AdditionalEncryptionContext }
        : {}),
      // aws:* tags are AWS's own and cannot be set by a caller.
      tags: (i.Tags ?? [])
        .filter((t) => t.Key && !t.Key.startsWith('aws:'))
        .map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
      ...(i.DataFilter ? { dataFilter: i.DataFilter } : {}),
      ...(i.Description ? { description: i.Description } : {}),
    },
  };
}

/** The RDS integration API, with the faults the recovery retries mapped to IntegrationBusyError. */
export class Integrations {
  constructor(private readonly client: Pick<RDSClient, 'send'>) {}

  /** undefined when the integration does not exist (any more). */
  async describe(identifier: string): Promise<IntegrationInfo | undefined> {
    try {
      const out = await this.client.send(
        new DescribeIntegrationsCommand({ IntegrationIdentifier: identifier }),
      );
      const found =
        (out.Integrations ?? []).find(
          (i) => i.IntegrationArn === identifier || i.IntegrationArn?.endsWith(`:${identifier}`),
        ) ?? out.Integrations?.[0];
      return found ? toInfo(found) : undefined;
    } catch (error) {
      if (error instanceof Error && error.name === 'IntegrationNotFoundFault') return undefined;
      throw error;
    }
  }

  /** Every integration (for adopting one created by a crashed earlier attempt). */
  async list(): Promise<IntegrationInfo[]> {
    const all: IntegrationInfo[] = [];
    let marker: string | undefined;
    do {
      const out = await this.client.send(
        new DescribeIntegrationsCommand({ ...(marker ? { Marker: marker } : {}) }),
      );
      all.push(...(out.Integrations ?? []).map(toInfo));
      marker = out.Marker;
    } while (marker);
    return all;
  }

  async delete(arn: string): Promise<void> {
    try {
      await this.client.send(new DeleteIntegrationCommand({ IntegrationIdentifier: arn }));
    } catch (error) {
      if (error instanceof Error && error.name === 'IntegrationNotFoundFault') return;
      busy(error);
    }
  }

  async create(snapshot: IntegrationSnapshot): Promise<IntegrationInfo> {
    const out = await this.client
      .send(
        new CreateIntegrationCommand({
          IntegrationName: snapshot.integrationName,
          SourceArn: snapshot.sourceArn,
          TargetArn: snapshot.targetArn,
          // AWS-ASSUMPTION: kms-key-reuse-on-recreate
          ...(snapshot.kmsKeyId ? { KMSKeyId: snapshot.kmsKeyId } : {}),
          ...(snapshot.additionalEncryptionContext
            ? { AdditionalEncryptionContext: snapshot.additionalEncryptionContext }
            : {}),
          Tags: snapshot.tags.map((t) => ({ Key: t.key, Value: t.value })),
          ...(snapshot.dataFilter ? { DataFilter: snapshot.dataFilter } : {}),
          ...(snapshot.description ? { Description: snapshot.description } : {}),
        }),
      )
      .catch(busy);
    return toInfo(out);
  }
}

export type IntegrationsPort = Pick<Integrations, 'describe' | 'list' | 'delete' | 'create'>;
