import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import type { StepWiring } from '../../shared/runtime/wiring/step-wiring.js';
import { CheckGuardrailsEvent, checkRecoveryGuardrails } from './core.js';

/**
 * The step with its dependencies given: the deployed `handler` below passes the production wiring,
 * the local stack its own manifest and simulated clock.
 */
export const createHandler = (wiring: Pick<StepWiring, 'manifest' | 'integrations' | 'now'>) =>
  taskHandler(CheckGuardrailsEvent, (event) =>
    checkRecoveryGuardrails(event, {
      index: wiring.manifest(),
      integrations: wiring.integrations(),
      now: wiring.now,
    }),
  );

export const handler = createHandler({
  manifest: runtimeManifest,
  integrations: integrationsFor,
  now: clock.now,
});
