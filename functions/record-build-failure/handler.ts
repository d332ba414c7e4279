import { clock } from '../../shared/runtime/clock.js';
import { warehouseFor } from '../../shared/runtime/deps.js';
import { runtimeManifest } from '../../shared/runtime/manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { RecordBuildFailureEvent, recordBuildFailure } from './core.js';

export const handler = taskHandler(RecordBuildFailureEvent, (event) =>
  recordBuildFailure(event, {
    warehouse: warehouseFor(runtimeManifest()),
    now: clock.now,
    index: runtimeManifest(),
  }),
);
