import { rdsClient } from '../../aws/rds-client.js';
import { Integrations } from '../../integration/rds.js';

/** The production integration operations of a step (handlers only; cores receive them). */
export function integrationsFor(): Integrations {
  return new Integrations(rdsClient());
}
