import { logger } from '../../shared/runtime/logger.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { CreateIntegrationEvent, createIntegration } from './core.js';

export const handler = taskHandler(CreateIntegrationEvent, (event) =>
  createIntegration(event, { integrations: integrationsFor(), log: (m, d) => logger.warn(m, d) }),
);
