import * as z from 'zod';
import type { IntegrationsPort } from '../../shared/integration/rds.js';
import { IntegrationArn } from '../../shared/project/schema.js';

export const DeleteIntegrationEvent = z.strictObject({ integrationArn: IntegrationArn });

/**
 * Deletes the integration the guardrails approved. Already gone counts as done (a retried step);
 * a busy integration raises IntegrationBusyError, which the state machine retries with backoff.
 */
export async function deleteIntegration(
  event: z.infer<typeof DeleteIntegrationEvent>,
  deps: { integrations: IntegrationsPort; log: (message: string, data: Record<string, unknown>) => void },
) {
  deps.log('deleting zero-ETL integration', { integrationArn: event.integrationArn });
  await deps.integrations.delete(event.integrationArn);
  return { deleteRequested: event.integrationArn };
}
