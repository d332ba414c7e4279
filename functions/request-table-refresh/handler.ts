import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { RequestTableRefreshEvent, requestTableRefresh } from './core.js';

export const handler = taskHandler(RequestTableRefreshEvent, (event) => {
  const index = runtimeManifest();
  return requestTableRefresh(event, { index, warehouse: warehouseFor(index) });
});
