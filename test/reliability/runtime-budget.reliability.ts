import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../local/polyfills.js';
import { runScenario } from '../../local/scenario.js';
import type { FunctionInstrument } from '../../local/sfn/functions.js';
import { REPO_ROOT, Recorder } from './support/results.js';

/**
 * The runtime budget of every step (issue #19): a step's Lambda timeout (serverless.yml, from
 * WAITED_STATEMENTS of scripts/serverless-config.cjs) must cover its worst case of Data API requests
 * that wait server-side. On AWS each such request may be held WaitTimeSeconds when Redshift queues
 * statements (Data API reference "Reduce API calls with long polling"; facts §10.1: 1-30 s), so the
 * budget counts them. This runs the whole local scenario (`npm start`: refreshes, a resync, an
 * integration recreate) with every Data API request of every step invocation counted, and fails when
 * a step waits more often than its declared bound or asks for a longer wait than the budget assumes.
 */

const recorder = new Recorder('runtime-budget');
const META = {
  description:
    'Every step invocation of the local scenario, its Data API requests with WaitTimeSeconds counted: at most the statements its timeout was sized for (WAITED_STATEMENTS), none held longer than WAIT_SECONDS.',
  bound: 'every step invocation of the scenario',
};

const require = createRequire(import.meta.url);
const config = require(join(REPO_ROOT, 'scripts', 'serverless-config.cjs')) as {
  WAITED_STATEMENTS: Record<string, number>;
  WAIT_SECONDS: number;
  timeouts: () => Record<string, number>;
};

interface Invocation {
  key: string;
  waited: number;
  longestWait: number;
}
const scope = new AsyncLocalStorage<Invocation>();
const invocations: Invocation[] = [];
const send = RedshiftDataClient.prototype.send;

// Each step invocation runs inside a scope that counts its own requests (the local runner calls them
// in-process, so the invocations of different steps are told apart by async context).
const countingInvocations: FunctionInstrument = (key, fn) => (payload) => {
  const record: Invocation = { key, waited: 0, longestWait: 0 };
  invocations.push(record);
  return scope.run(record, () => fn(payload));
};

beforeAll(async () => {
  const counting = function (this: RedshiftDataClient, ...args: Parameters<RedshiftDataClient['send']>) {
    const record = scope.getStore();
    const wait = (args[0] as { input?: { WaitTimeSeconds?: number } }).input?.WaitTimeSeconds ?? 0;
    if (record && wait > 0) {
      record.waited++;
      record.longestWait = Math.max(record.longestWait, wait);
    }
    return (send as (...a: unknown[]) => unknown).apply(this, args);
  };
  RedshiftDataClient.prototype.send = counting as typeof send;
  await runScenario(
    { step: () => undefined, info: () => undefined, ok: () => undefined },
    { instrument: countingInvocations },
  );
}, 600_000);

afterAll(() => {
  RedshiftDataClient.prototype.send = send;
});

describe('runtime budget of every step', () => {
  it('ran every Data API step of the scenario', () => {
    const seen = new Set(invocations.map((i) => i.key));
    for (const key of ['planRefresh', 'dispatchBuilds', 'summarizeRefresh', 'assessState'])
      expect(seen.has(key), key).toBe(true);
  });

  it('waits no more often than its timeout was sized for, and no longer per request', () => {
    const problems: string[] = [];
    const worst: Record<string, number> = {};
    for (const i of invocations) {
      worst[i.key] = Math.max(worst[i.key] ?? 0, i.waited);
      // A statement may take two waited requests (the submit, then one DescribeStatement): the
      // scenario's statements finish within the first, so each counted request is one statement.
      const bound = config.WAITED_STATEMENTS[i.key] ?? 0;
      const ok = i.waited <= bound && i.longestWait <= config.WAIT_SECONDS;
      if (!ok)
        problems.push(
          `${i.key}: ${i.waited} waited requests (declared ${bound}), longest ${i.longestWait} s (budget ${config.WAIT_SECONDS} s)`,
        );
      recorder.fault('Step runtime budget: waited Data API requests per invocation', META, {
        outcome: ok ? 'within its timeout budget' : 'over its budget',
      });
    }
    recorder.finding(
      `waited Data API requests per invocation, most seen: ${Object.entries(worst)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}/${config.WAITED_STATEMENTS[k] ?? 0}`)
        .join(', ')}`,
    );
    expect(problems).toEqual([]);
    // The timeouts serverless.yml deploys are the ones sized from those bounds.
    const timeouts = config.timeouts();
    for (const [key, bound] of Object.entries(config.WAITED_STATEMENTS))
      expect(timeouts[key], key).toBeGreaterThan(bound * 2 * config.WAIT_SECONDS);
  });
});
