import { clients } from '../aws/clients.js';
import type { IndexedManifest } from '../graph/plan.js';
import { Integrations } from '../integration/rds.js';
import { Notifier } from '../notify/notifier.js';
import { Warehouse } from '../warehouse/warehouse.js';

/** The production wiring of the step cores' dependencies (handlers only; cores receive them). */
export function warehouseFor(index: IndexedManifest): Warehouse {
  return new Warehouse(clients.redshiftData(), index.manifest.project.warehouse);
}

export function notifierFor(index: IndexedManifest): Notifier {
  const topic = index.manifest.project.notifications.snsTopicArn;
  return new Notifier({
    eventBridge: clients.eventBridge(),
    sns: clients.sns(),
    ...(topic ? { snsTopicArn: topic } : {}),
  });
}

export function integrationsFor(): Integrations {
  return new Integrations(clients.rds());
}
