import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { cachedClient, signingAs } from './identity.js';

/** The EventBridge client (the project's own events), signing as the function's own role. */
export const eventBridgeClient = (): EventBridgeClient =>
  cachedClient('eventbridge', (identity) => new EventBridgeClient(signingAs(identity)));
