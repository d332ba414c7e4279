import * as z from 'zod';
import { ORIGIN_TAG } from '../../shared/integration/managed.js';
import type { IntegrationsPort } from '../../shared/integration/rds.js';

export const Snapshot = z.strictObject({
  integrationName: z
    .string()
    .regex(/^[a-zA-Z](?:-?[a-zA-Z0-9]+)*$/)
    .max(63),
  sourceArn: z.string().startsWith('arn:'),
  targetArn: z.string().startsWith('arn:'),
  kmsKeyId: z.string().max(2048).optional(),
  additionalEncryptionContext: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.strictObject({ key: z.string().min(1).max(128), value: z.string().max(256) })),
  dataFilter: z.string().max(25_600).optional(),
  description: z.string().max(1000).optional(),
});

export const CreateIntegrationEvent = z.strictObject({ snapshot: Snapshot });

/**
 * Creates the replacement integration with the snapshot of the old one. If a previous attempt already
 * created it (the step is retried after a crash), that one is adopted instead of failing.
 */
export async function createIntegration(
  event: z.infer<typeof CreateIntegrationEvent>,
  deps: { integrations: IntegrationsPort; log: (message: string, data: Record<string, unknown>) => void },
) {
  const { snapshot } = event;
  const origin = snapshot.tags.find((t) => t.key === ORIGIN_TAG)?.value;
  const existing = (await deps.integrations.list()).find(
    (i) =>
      i.snapshot.integrationName === snapshot.integrationName &&
      i.status !== 'deleting' &&
      i.snapshot.tags.some((t) => t.key === ORIGIN_TAG && t.value === origin),
  );
  if (existing) {
    deps.log('adopting integration created by an earlier attempt', { integrationArn: existing.arn });
    return { integrationArn: existing.arn, integrationId: existing.id };
  }
  deps.log('creating zero-ETL integration', {
    integrationName: snapshot.integrationName,
    sourceArn: snapshot.sourceArn,
  });
  const created = await deps.integrations.create({
    ...snapshot,
    ...(snapshot.kmsKeyId ? { kmsKeyId: snapshot.kmsKeyId } : {}),
  });
  return { integrationArn: created.arn, integrationId: created.id };
}
