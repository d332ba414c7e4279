import { logger } from '../../shared/runtime/logger.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { DeleteIntegrationEvent, deleteIntegration } from './core.js';

export const handler = taskHandler(DeleteIntegrationEvent, (event) =>
  deleteIntegration(event, { integrations: integrationsFor(), log: (m, d) => logger.warn(m, d) }),
);
