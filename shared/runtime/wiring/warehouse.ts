import { redshiftDataClient } from '../../aws/redshift-data-client.js';
import type { IndexedManifest } from '../../graph/plan.js';
import { Warehouse } from '../../warehouse/warehouse.js';

/** The production warehouse of a step (handlers only; cores receive it). */
export function warehouseFor(index: IndexedManifest): Warehouse {
  return new Warehouse(redshiftDataClient(), index.manifest.project.warehouse);
}
