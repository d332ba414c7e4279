import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { RecordReconcileEvent, recordReconcile } from './core.js';

export const handler = taskHandler(RecordReconcileEvent, (event) =>
  recordReconcile(event, { warehouse: warehouseFor(runtimeManifest()) }),
);
