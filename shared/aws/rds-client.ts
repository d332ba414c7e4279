import { RDSClient } from '@aws-sdk/client-rds';
import { cachedClient, signingAs } from './identity.js';

/** The RDS client (the integration operations), signing as the function's own role. */
export const rdsClient = (): RDSClient =>
  cachedClient('rds', (identity) => new RDSClient(signingAs(identity)));
