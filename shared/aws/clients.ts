import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * SDK clients, created once per Lambda container on first use. Region and credentials come from the
 * environment; endpoints can be redirected with the standard AWS_ENDPOINT_URL_<SERVICE> variables,
 * which is how the local stack puts its own Redshift Data API and RDS endpoints behind the real SDK.
 */
let redshiftData: RedshiftDataClient | undefined;
let rds: RDSClient | undefined;
let eventBridge: EventBridgeClient | undefined;
let sns: SNSClient | undefined;

export const clients = {
  redshiftData: (): RedshiftDataClient => {
    redshiftData ??= new RedshiftDataClient({});
    return redshiftData;
  },
  rds: (): RDSClient => {
    rds ??= new RDSClient({});
    return rds;
  },
  eventBridge: (): EventBridgeClient => {
    eventBridge ??= new EventBridgeClient({});
    return eventBridge;
  },
  sns: (): SNSClient => {
    sns ??= new SNSClient({});
    return sns;
  },
};

/** Forgets the cached clients, so the next use picks up a changed environment (local stack restarts). */
export function resetClients(): void {
  redshiftData = undefined;
  rds = undefined;
  eventBridge = undefined;
  sns = undefined;
}
