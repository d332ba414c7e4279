import { eventBridgeClient } from '../../aws/eventbridge-client.js';
import { snsClient } from '../../aws/sns-client.js';
import type { IndexedManifest } from '../../graph/plan.js';
import { Notifier } from '../../notify/notifier.js';

/** The production notifier of a step (handlers only; cores receive it). */
export function notifierFor(index: IndexedManifest): Notifier {
  const topic = index.manifest.project.notifications.snsTopicArn;
  return new Notifier({
    eventBridge: eventBridgeClient(),
    sns: snsClient(),
    ...(topic ? { snsTopicArn: topic } : {}),
  });
}
