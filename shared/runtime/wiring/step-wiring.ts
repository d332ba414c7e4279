import type { IndexedManifest } from '../../graph/plan.js';
import type { IntegrationsPort } from '../../integration/rds.js';
import type { Notifier } from '../../notify/notifier.js';
import type { WarehousePort } from '../../warehouse/warehouse.js';

/**
 * What a step's handler needs from outside, given to its `createHandler` factory. The deployed
 * `handler` of each function passes the production wiring (the bundled manifest, the SDK clients,
 * the system clock) and only the parts it uses, so a bundle loads no SDK client it does not call;
 * the local stack passes its own manifest and its simulated clock instead of patching globals.
 */
export interface StepWiring {
  /** The compiled curated project the step runs with. */
  manifest: () => IndexedManifest;
  warehouse: (index: IndexedManifest) => WarehousePort;
  integrations: () => IntegrationsPort;
  notifier: (index: IndexedManifest) => Pick<Notifier, 'notify'>;
  now: () => Date;
}
