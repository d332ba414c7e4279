import type { Context } from 'aws-lambda';
import { handler as assessState } from '../../functions/assess-state/handler.js';
import { handler as checkRecoveryGuardrails } from '../../functions/check-recovery-guardrails/handler.js';
import { handler as checkTableStates } from '../../functions/check-table-states/handler.js';
import { handler as createIntegration } from '../../functions/create-integration/handler.js';
import { handler as deleteIntegration } from '../../functions/delete-integration/handler.js';
import { handler as describeIntegration } from '../../functions/describe-integration/handler.js';
import { handler as dispatchBuilds } from '../../functions/dispatch-builds/handler.js';
import { handler as notify } from '../../functions/notify/handler.js';
import { handler as planRefresh } from '../../functions/plan-refresh/handler.js';
import { handler as recordReconcile } from '../../functions/record-reconcile/handler.js';
import { handler as recreateLandingDatabase } from '../../functions/recreate-landing-database/handler.js';
import { handler as requestTableRefresh } from '../../functions/request-table-refresh/handler.js';
import { handler as stopBuilds } from '../../functions/stop-builds/handler.js';
import { handler as summarizeRefresh } from '../../functions/summarize-refresh/handler.js';
import { runAsIdentity, type StaticCredentials } from '../../shared/aws/identity.js';
import type { LocalIdentities } from '../iam/identities.js';
import type { LocalFunction } from './runner.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The real Lambda handlers, keyed like the functions of serverless.yml. */
export const HANDLERS: Record<string, Handler> = {
  planRefresh,
  dispatchBuilds,
  stopBuilds,
  summarizeRefresh,
  checkTableStates,
  requestTableRefresh,
  checkRecoveryGuardrails,
  deleteIntegration,
  describeIntegration,
  createIntegration,
  recreateLandingDatabase,
  assessState,
  recordReconcile,
  notify,
};

let invocation = 0;

function fakeContext(functionName: string): Context {
  invocation++;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `local-${invocation}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The credentials Lambda would give function `key`: a session of its own execution role (one role per
 * function, as serverless-iam-roles-per-function makes them), so that a step acting on another step's
 * statement with its own identity is refused locally as on AWS.
 */
function functionCredentials(key: string, identities: LocalIdentities | undefined): StaticCredentials {
  if (!identities) return { accessKeyId: `lambda-${key}`, secretAccessKey: 'local' };
  const issued = identities.assumeRole(
    `arn:aws:iam::${identities.account}:role/zeo-local-${key}`,
    key,
    43_200,
    new Date(),
  );
  return {
    accessKeyId: issued.AccessKeyId,
    secretAccessKey: issued.SecretAccessKey,
    sessionToken: issued.SessionToken,
  };
}

/**
 * Handlers as the local runner calls them: one fresh fake Lambda context per invocation, each function
 * under its own identity (from the stack's `identities` when given).
 */
export function localFunctions(identities?: LocalIdentities): Record<string, LocalFunction> {
  return Object.fromEntries(
    Object.entries(HANDLERS).map(([key, handler]) => {
      const identity = { key, credentials: functionCredentials(key, identities) };
      return [key, (payload: unknown) => runAsIdentity(identity, () => handler(payload, fakeContext(key)))];
    }),
  );
}
