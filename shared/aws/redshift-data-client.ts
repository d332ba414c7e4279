import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
// AWS-ASSUMPTION: lambda-runtime-ships-credential-providers
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { WarehouseRoleUnsetError } from '../errors.js';
import { cachedClient } from './identity.js';
import { WAREHOUSE_ROLE_ENV, WAREHOUSE_SESSION_NAME } from './warehouse-role.js';

/** STS's minimum; the provider renews the credentials before they expire. */
const WAREHOUSE_SESSION_SECONDS = 900;

/**
 * The Data API client. It signs as the warehouse role's session (warehouse-role.ts says why) and
 * refuses to start without the role: it never falls back to the function's own role. Region and
 * endpoint come from the environment (AWS_ENDPOINT_URL_REDSHIFT_DATA is how the local stack puts its
 * own Data API behind the real SDK).
 */
export const redshiftDataClient = (): RedshiftDataClient =>
  cachedClient('redshift-data', (identity) => {
    const roleArn = process.env[WAREHOUSE_ROLE_ENV];
    if (!roleArn) {
      throw new WarehouseRoleUnsetError(
        `${WAREHOUSE_ROLE_ENV} is not set: the Data API steps run their statements as the stack's warehouse role (serverless.yml sets it; the local stack sets it too)`,
      );
    }
    return new RedshiftDataClient({
      credentials: fromTemporaryCredentials({
        params: {
          RoleArn: roleArn,
          RoleSessionName: WAREHOUSE_SESSION_NAME,
          DurationSeconds: WAREHOUSE_SESSION_SECONDS,
        },
        ...(identity.credentials ? { masterCredentials: identity.credentials } : {}),
      }),
    });
  });
