import { AsyncLocalStorage } from 'node:async_hooks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SNSClient } from '@aws-sdk/client-sns';
// AWS-ASSUMPTION: lambda-runtime-ships-credential-providers
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { WarehouseRoleUnsetError } from '../errors.js';

/**
 * SDK clients, created once per Lambda container on first use. Region and credentials come from the
 * environment; endpoints can be redirected with the standard AWS_ENDPOINT_URL_<SERVICE> variables,
 * which is how the local stack puts its own Redshift Data API, RDS and STS endpoints behind the real SDK.
 *
 * All warehouse work runs as ONE identity: every step that uses the Data API assumes the stack's
 * warehouse role under the same session name. On AWS only the identity that ran a statement may
 * describe, cancel or read it (the project's policy: `redshift-data:statement-owner-iam-userid =
 * ${aws:userid}`), and with IAM credentials each role is its own database user (`IAMR:<role>`): so
 * a build one dispatcher tick submitted is the next tick's to list and describe, and every table, schema and procedure has one owner.
 * Each Lambda keeps its own least-privilege execution role for everything else (RDS, EventBridge, SNS).
 */

/** The ARN of the warehouse role (serverless.yml sets it on every function that uses the Data API). */
export const WAREHOUSE_ROLE_ENV = 'ZEO_WAREHOUSE_ROLE_ARN';
/**
 * One session name for every step: `aws:userid` is `<role id>:<session name>`, so with one name all
 * steps are the same statement owner (docs/deploy.md, "One warehouse identity").
 */
export const WAREHOUSE_SESSION_NAME = 'zeo-warehouse';
/** STS's minimum; the provider renews the credentials before they expire. */
const WAREHOUSE_SESSION_SECONDS = 900;

/** Static credentials, as the SDK takes them. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface ClientSet {
  redshiftData?: RedshiftDataClient;
  rds?: RDSClient;
  eventBridge?: EventBridgeClient;
  sns?: SNSClient;
}

/**
 * The execution identity of the current invocation. On AWS a container serves one function, so there
 * is one; the local runner runs every function in one process and gives each invocation the identity
 * of its own function's role (`runAsIdentity`), as Lambda would.
 */
interface InvocationIdentity {
  key: string;
  credentials?: StaticCredentials;
}

const identityScope = new AsyncLocalStorage<InvocationIdentity>();
const DEFAULT_IDENTITY: InvocationIdentity = { key: '' };
let sets = new Map<string, ClientSet>();

/** Runs `work` with SDK clients that sign as `credentials` (one client set per identity `key`). */
export function runAsIdentity<T>(
  identity: { key: string; credentials: StaticCredentials },
  work: () => T,
): T {
  return identityScope.run(identity, work);
}

function current(): { set: ClientSet; identity: InvocationIdentity } {
  const identity = identityScope.getStore() ?? DEFAULT_IDENTITY;
  let set = sets.get(identity.key);
  if (!set) {
    set = {};
    sets.set(identity.key, set);
  }
  return { set, identity };
}

const base = (identity: InvocationIdentity) =>
  identity.credentials ? { credentials: identity.credentials } : {};

export const clients = {
  /** Signs as the warehouse role's session; refuses to start without the role (never its own role). */
  redshiftData: (): RedshiftDataClient => {
    const { set, identity } = current();
    if (set.redshiftData) return set.redshiftData;
    const roleArn = process.env[WAREHOUSE_ROLE_ENV];
    if (!roleArn) {
      throw new WarehouseRoleUnsetError(
        `${WAREHOUSE_ROLE_ENV} is not set: the Data API steps run their statements as the stack's warehouse role (serverless.yml sets it; the local stack sets it too)`,
      );
    }
    set.redshiftData = new RedshiftDataClient({
      credentials: fromTemporaryCredentials({
        params: {
          RoleArn: roleArn,
          RoleSessionName: WAREHOUSE_SESSION_NAME,
          DurationSeconds: WAREHOUSE_SESSION_SECONDS,
        },
        ...(identity.credentials ? { masterCredentials: identity.credentials } : {}),
      }),
    });
    return set.redshiftData;
  },
  rds: (): RDSClient => {
    const { set, identity } = current();
    set.rds ??= new RDSClient(base(identity));
    return set.rds;
  },
  eventBridge: (): EventBridgeClient => {
    const { set, identity } = current();
    set.eventBridge ??= new EventBridgeClient(base(identity));
    return set.eventBridge;
  },
  sns: (): SNSClient => {
    const { set, identity } = current();
    set.sns ??= new SNSClient(base(identity));
    return set.sns;
  },
};

/** Forgets the cached clients, so the next use picks up a changed environment (local stack restarts). */
export function resetClients(): void {
  sets = new Map();
}
