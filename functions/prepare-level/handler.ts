import { warehouseFor } from '../../shared/runtime/deps.js';
import { runtimeManifest } from '../../shared/runtime/manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { PrepareLevelEvent, prepareLevel } from './core.js';

export const handler = taskHandler(PrepareLevelEvent, (event) => {
  const index = runtimeManifest();
  return prepareLevel(event, { index, warehouse: warehouseFor(index) });
});
