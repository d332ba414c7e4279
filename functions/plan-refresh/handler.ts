import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { PlanRefreshEvent, planRefresh } from './core.js';

export const handler = taskHandler(PlanRefreshEvent, (event) => {
  const index = runtimeManifest();
  return planRefresh(event, { index, warehouse: warehouseFor(index), now: clock.now });
});
