import { logger } from '../../shared/runtime/logger.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import type { StepWiring } from '../../shared/runtime/wiring/step-wiring.js';
import { CreateIntegrationEvent, createIntegration } from './core.js';

/**
 * The step with its dependencies given: the deployed `handler` below passes the production wiring,
 * the local stack its own manifest and simulated clock.
 */
export const createHandler = (wiring: Pick<StepWiring, 'integrations'>) =>
  taskHandler(CreateIntegrationEvent, (event) =>
    createIntegration(event, { integrations: wiring.integrations(), log: (m, d) => logger.warn(m, d) }),
  );

export const handler = createHandler({ integrations: integrationsFor });
