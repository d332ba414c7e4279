import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who the SDK clients sign as, and the per-identity client cache. Each client lives in its own module
 * (redshift-data-client.ts, rds-client.ts, eventbridge-client.ts, sns-client.ts) so a function's
 * bundle requires only the @aws-sdk packages it uses: loading an SDK client package is most of a cold
 * start's module initialisation.
 *
 * On AWS a container serves one function, so there is one identity; the local runner runs every
 * function in one process and gives each invocation the identity of its own function's role
 * (`runAsIdentity`), as Lambda would.
 */

/** Static credentials, as the SDK takes them. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface InvocationIdentity {
  key: string;
  credentials?: StaticCredentials;
}

const identityScope = new AsyncLocalStorage<InvocationIdentity>();
const DEFAULT_IDENTITY: InvocationIdentity = { key: '' };
let cache = new Map<string, Map<string, unknown>>();

/** Runs `work` with SDK clients that sign as `credentials` (one client set per identity `key`). */
export function runAsIdentity<T>(
  identity: { key: string; credentials: StaticCredentials },
  work: () => T,
): T {
  return identityScope.run(identity, work);
}

/**
 * The client of kind `kind` for the current identity, created on first use (once per Lambda
 * container on AWS) by `create`.
 */
export function cachedClient<T>(kind: string, create: (identity: InvocationIdentity) => T): T {
  const identity = identityScope.getStore() ?? DEFAULT_IDENTITY;
  let set = cache.get(identity.key);
  if (!set) {
    set = new Map();
    cache.set(identity.key, set);
  }
  if (set.has(kind)) return set.get(kind) as T;
  const client = create(identity);
  set.set(kind, client);
  return client;
}

/** The client options that make a client sign as `identity` (its own role's credentials, if given). */
export const signingAs = (identity: InvocationIdentity) =>
  identity.credentials ? { credentials: identity.credentials } : {};

/** Forgets the cached clients, so the next use picks up a changed environment (local stack restarts). */
export function resetClients(): void {
  cache = new Map();
}
