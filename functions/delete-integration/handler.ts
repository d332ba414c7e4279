import { integrationsFor } from '../../shared/runtime/deps.js';
import { logger } from '../../shared/runtime/logger.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { DeleteIntegrationEvent, deleteIntegration } from './core.js';

export const handler = taskHandler(DeleteIntegrationEvent, (event) =>
  deleteIntegration(event, { integrations: integrationsFor(), log: (m, d) => logger.warn(m, d) }),
);
