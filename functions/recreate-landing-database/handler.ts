import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { RecreateLandingDatabaseEvent, recreateLandingDatabase } from './core.js';

export const handler = taskHandler(RecreateLandingDatabaseEvent, (event) => {
  const index = runtimeManifest();
  return recreateLandingDatabase(event, { index, warehouse: warehouseFor(index) });
});
