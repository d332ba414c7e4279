import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { CheckGuardrailsEvent, checkRecoveryGuardrails } from './core.js';

export const handler = taskHandler(CheckGuardrailsEvent, (event) =>
  checkRecoveryGuardrails(event, {
    index: runtimeManifest(),
    integrations: integrationsFor(),
    now: clock.now,
  }),
);
