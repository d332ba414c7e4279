import { clock } from '../../shared/runtime/clock.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { DescribeIntegrationEvent, describeIntegration } from './core.js';

export const handler = taskHandler(DescribeIntegrationEvent, (event) =>
  describeIntegration(event, { integrations: integrationsFor(), now: clock.now }),
);
