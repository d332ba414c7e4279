import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { StopBuildsEvent, stopBuilds } from './core.js';

export const handler = taskHandler(StopBuildsEvent, (event) => {
  const index = runtimeManifest();
  return stopBuilds(event, { index, warehouse: warehouseFor(index), now: clock.now });
});
