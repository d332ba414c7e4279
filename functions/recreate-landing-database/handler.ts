import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import type { StepWiring } from '../../shared/runtime/wiring/step-wiring.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { RecreateLandingDatabaseEvent, recreateLandingDatabase } from './core.js';

/**
 * The step with its dependencies given: the deployed `handler` below passes the production wiring,
 * the local stack its own manifest and simulated clock.
 */
export const createHandler = (wiring: Pick<StepWiring, 'manifest' | 'warehouse'>) =>
  taskHandler(RecreateLandingDatabaseEvent, (event) => {
    const index = wiring.manifest();
    return recreateLandingDatabase(event, { index, warehouse: wiring.warehouse(index) });
  });

export const handler = createHandler({ manifest: runtimeManifest, warehouse: warehouseFor });
