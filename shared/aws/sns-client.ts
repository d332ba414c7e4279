import { SNSClient } from '@aws-sdk/client-sns';
import { cachedClient, signingAs } from './identity.js';

/** The SNS client (notifications), signing as the function's own role. */
export const snsClient = (): SNSClient =>
  cachedClient('sns', (identity) => new SNSClient(signingAs(identity)));
