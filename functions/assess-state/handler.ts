import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { AssessStateEvent, assessState } from './core.js';

export const handler = taskHandler(AssessStateEvent, (event) => {
  const index = runtimeManifest();
  return assessState(event, {
    index,
    warehouse: warehouseFor(index),
    integrations: integrationsFor(),
    now: clock.now,
  });
});
