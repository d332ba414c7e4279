import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { runAsIdentity, type StaticCredentials } from '../../shared/aws/identity.js';
import { clock } from '../../shared/runtime/clock.js';
import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { packagePath } from '../../shared/runtime/package-root.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { notifierFor } from '../../shared/runtime/wiring/notifier.js';
import type { StepWiring } from '../../shared/runtime/wiring/step-wiring.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import type { LocalIdentities } from '../iam/identities.js';
import { serviceFunctions } from '../service.js';
import type { LocalFunction } from './runner.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The wiring a deployed function uses; the local stack overrides parts of it (manifest, clock). */
const PRODUCTION_WIRING: StepWiring = {
  manifest: runtimeManifest,
  warehouse: warehouseFor,
  integrations: integrationsFor,
  notifier: notifierFor,
  now: clock.now,
};

/** The Lambda functions of serverless.yml, by function key, with the module of each handler. */
export const FUNCTIONS = serviceFunctions();

/** Wraps a function's local invocation (tests that count or scope what each step does). */
export type FunctionInstrument = (key: string, fn: LocalFunction) => LocalFunction;

const modules = new Map<string, Promise<{ createHandler?: unknown }>>();

/**
 * The real handler of serverless.yml function `key`, built by its module's `createHandler` with
 * `wiring`: the module named by its `handler:` line, imported on first use.
 */
async function handlerOf(key: string, wiring: StepWiring): Promise<Handler> {
  const fn = FUNCTIONS.find((f) => f.key === key);
  if (!fn) throw new Error(`serverless.yml has no function ${key}`);
  let loading = modules.get(fn.module);
  if (!loading) {
    loading = import(pathToFileURL(packagePath(`${fn.module}.ts`)).href) as Promise<{
      createHandler?: unknown;
    }>;
    modules.set(fn.module, loading);
  }
  const createHandler = (await loading).createHandler;
  if (typeof createHandler !== 'function')
    throw new Error(`${fn.module}.ts (serverless.yml functions.${key}) exports no createHandler(wiring)`);
  return (createHandler as (w: StepWiring) => Handler)(wiring);
}

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
 * Handlers as the local runner calls them: every function of serverless.yml, wired with the
 * production wiring overridden by `wiring` (the local stack passes its manifest and simulated clock),
 * one fresh fake Lambda context per invocation, each function under its own identity (from the
 * stack's `identities` when given).
 */
export function localFunctions(
  identities?: LocalIdentities,
  wiring: Partial<StepWiring> = {},
  instrument?: FunctionInstrument,
): Record<string, LocalFunction> {
  const wired: StepWiring = { ...PRODUCTION_WIRING, ...wiring };
  return Object.fromEntries(
    FUNCTIONS.map(({ key }) => {
      const identity = { key, credentials: functionCredentials(key, identities) };
      let handler: Promise<Handler> | undefined;
      const fn: LocalFunction = async (payload) => {
        handler ??= handlerOf(key, wired);
        const ready = await handler;
        return runAsIdentity(identity, () => ready(payload, fakeContext(key)));
      };
      return [key, instrument ? instrument(key, fn) : fn];
    }),
  );
}
