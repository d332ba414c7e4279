import * as z from 'zod';
import { IsoTimestamp } from '../../shared/contracts/fields.js';
import type { IntegrationsPort } from '../../shared/integration/rds.js';
import { IntegrationArn } from '../../shared/project/schema.js';

export const DescribeIntegrationEvent = z.strictObject({
  integrationArn: IntegrationArn,
  deadline: IsoTimestamp,
});

/** One look at an integration's status for the Wait-state loops ('gone' once it no longer exists). */
export async function describeIntegration(
  event: z.infer<typeof DescribeIntegrationEvent>,
  deps: { integrations: IntegrationsPort; now: () => Date },
) {
  const info = await deps.integrations.describe(event.integrationArn);
  return {
    status: info?.status ?? 'gone',
    errors: info?.errors ?? [],
    timedOut: deps.now().getTime() >= Date.parse(event.deadline),
  };
}
