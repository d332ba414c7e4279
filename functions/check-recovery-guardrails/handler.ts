import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { integrationsFor } from '../../shared/runtime/deps.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { CheckGuardrailsEvent, checkRecoveryGuardrails } from './core.js';

export const handler = taskHandler(CheckGuardrailsEvent, (event) =>
  checkRecoveryGuardrails(event, {
    index: runtimeManifest(),
    integrations: integrationsFor(),
    now: clock.now,
  }),
);
