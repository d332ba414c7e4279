import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../local/app.js';
import { isManualClock } from '../../local/clock.js';
import {
  isDefinedOutcome,
  rows,
  run,
  smallProjectDir,
  startApp,
  statesEntered,
  useProjectVariant,
} from './support/local.js';
import { Recorder } from './support/results.js';

/**
 * Integration recovery refuses to touch what it must not: another integration, a project that only
 * notifies, a tripped circuit breaker, configuration-class failures; and a dry run makes zero mutating
 * calls. Asserted on the RDS endpoint's log of mutating calls (every Create/Delete/Modify it received).
 */

const recorder = new Recorder('guardrails');
let app: LocalOrchestrator;
let restoreManifest: (() => void) | undefined;

beforeAll(async () => {
  app = await startApp();
}, 300_000);
afterAll(async () => {
  await app?.close();
});
afterEach(async () => {
  restoreManifest?.();
  restoreManifest = undefined;
  const live = managed();
  if (live.status !== 'active') {
    app.stack.integrations.setStatus(live.id, 'active', { errors: [] });
    app.stack.integrations.drainTransitions();
  }
});

const BREAKER = {
  description:
    'A second failure inside the 24 hours after a recreation: the circuit breaker blocks its recovery. Defined outcome: blocked and announced once; watchdog reconciles meanwhile start nothing; once the earlier recreation is more than 24 hours old, the next watchdog reconcile starts the recovery, which recreates the integration.',
  bound: 'one watchdog interval after the breaker allows a recreation again',
};

const REFUSAL = {
  description:
    'integration-recovery started where it must not act: an ARN other than the configured one (or its tagged replacement), recovery.recreateIntegration false, the circuit breaker tripped, a configuration-class failure, a healthy integration. Defined outcome: RecoveryBlockedError with an "Integration Recovery Blocked" notification naming the reason, and zero mutating RDS calls.',
  bound: 'one guardrail step; zero mutating calls',
};
const DRY_RUN = {
  description:
    'integration-recovery with dryRun: true on a recoverable failure. Defined outcome: the plan is returned, zero mutating RDS calls.',
  bound: 'zero mutating calls',
};

function managed() {
  const live = app.stack.integrations.describe().filter((i) => i.status !== 'deleting');
  const current = live[live.length - 1];
  if (!current) throw new Error('no integration');
  return current;
}

/** Sets the RDS status without the event AWS would send, so only the execution under test acts on it. */
function breakQuietly(code: string, status: 'failed' | 'needs_attention' = 'failed'): string {
  const integration = managed();
  app.stack.integrations.setStatus(integration.id, status, {
    errors: [
      {
        ErrorCode: `REDSHIFT-INTEGRATION-EVENT-${code}`,
        ErrorMessage: `reliability ${randomUUID().slice(0, 8)}`,
      },
    ],
  });
  app.stack.integrations.drainTransitions();
  return integration.arn;
}

async function recovery(input: Record<string, unknown>, name: string) {
  const mutating = app.stack.rds.mutatingCalls().length;
  const events = app.stack.events.log.length;
  const execution = await run(app, 'integration-recovery', input, name);
  const blocked = app.stack.events.log
    .slice(events)
    .filter(
      (e) => e.source === 'zero-etl-orchestrator' && e['detail-type'] === 'Integration Recovery Blocked',
    );
  return {
    execution,
    mutating: app.stack.rds.mutatingCalls().slice(mutating),
    reason: String(blocked[0]?.detail.reason ?? ''),
    blocked: blocked.length,
  };
}

describe('Integration recovery refuses', () => {
  const refusals: {
    name: string;
    setup: () => { input: Record<string, unknown>; restore?: () => void };
    reason: RegExp;
  }[] = [
    {
      name: 'an ARN other than the configured one',
      setup: () => {
        breakQuietly('0007');
        return {
          input: {
            integrationArn:
              'arn:aws:rds:us-east-1:123456789012:integration:ffffffff-1111-2222-3333-444444444444',
          },
        };
      },
      reason: /not managed by project/,
    },
    {
      name: 'an ARN of another account with the configured id',
      setup: () => {
        breakQuietly('0007');
        const id = app.manifest.project.landing.integrationArn.split(':').pop();
        return { input: { integrationArn: `arn:aws:rds:us-east-1:999999999999:integration:${id}` } };
      },
      reason: /not managed by project/,
    },
    {
      name: 'recreation disabled (recovery.recreateIntegration: false)',
      setup: () => {
        restoreManifest = useProjectVariant(app, smallProjectDir(), (t) =>
          t.replace('recreateIntegration: true', 'recreateIntegration: false'),
        );
        return { input: { integrationArn: breakQuietly('0007') } };
      },
      reason: /recreateIntegration is false/,
    },
    {
      name: 'the circuit breaker (recovery.maxRecreatesPer24h: 0)',
      setup: () => {
        restoreManifest = useProjectVariant(app, smallProjectDir(), (t) =>
          t.replace('maxRecreatesPer24h: 1', 'maxRecreatesPer24h: 0'),
        );
        return { input: { integrationArn: breakQuietly('0007') } };
      },
      reason: /circuit breaker/,
    },
    ...['1000', '1001', '1002', '1006', '0008', '0004'].map((code) => ({
      name: `a configuration-class failure (REDSHIFT-INTEGRATION-EVENT-${code})`,
      setup: () => ({
        input: {
          integrationArn: breakQuietly(
            code,
            code === '1006' || code === '0004' ? 'needs_attention' : 'failed',
          ),
          reason: { eventId: `REDSHIFT-INTEGRATION-EVENT-${code}` },
        },
      }),
      reason: /needs a human fix first/,
    })),
    {
      name: 'a recreate-class event id for an integration whose RDS errors say configuration',
      setup: () => ({
        input: {
          integrationArn: breakQuietly('1001'),
          reason: { eventId: 'REDSHIFT-INTEGRATION-EVENT-0007' },
        },
      }),
      reason: /needs a human fix first/,
    },
    {
      name: 'a healthy integration',
      setup: () => ({ input: { integrationArn: managed().arn } }),
      reason: /not failed: nothing to recover/,
    },
  ];
  for (const [i, r] of refusals.entries()) {
    it(`${r.name}: blocked, announced, zero mutating RDS calls`, async () => {
      const { input } = r.setup();
      const out = await recovery({ ...input }, `refuse-${i + 1}`);
      const ok =
        out.execution.error === 'RecoveryBlockedError' &&
        out.mutating.length === 0 &&
        r.reason.test(out.reason);
      recorder.fault('Guardrails: recovery refusals', REFUSAL, {
        outcome: ok
          ? 'blocked, announced with the reason, zero mutating calls'
          : `unexpected: ${out.execution.error} ${out.reason} mutating=${out.mutating.length}`,
        unhandled: !isDefinedOutcome(out.execution),
      });
      expect(out.execution.error).toBe('RecoveryBlockedError');
      expect(out.blocked).toBe(1);
      expect(out.reason).toMatch(r.reason);
      expect(out.mutating).toEqual([]);
    });
  }
});

describe('dryRun', () => {
  it('returns the plan and makes zero mutating RDS calls, whatever the failure', async () => {
    for (const [i, code] of ['0007', '0006', '0014'].entries()) {
      const arn = breakQuietly(code);
      const integrationsBefore = JSON.stringify(
        app.stack.integrations.describe().map((x) => [x.arn, x.status]),
      );
      const out = await recovery({ integrationArn: arn, dryRun: true }, `dry-run-${i + 1}`);
      const plan = (out.execution.output as { plan?: string[] } | undefined)?.plan ?? [];
      const ok = out.execution.status === 'SUCCEEDED' && out.mutating.length === 0 && plan.length > 0;
      recorder.fault('Guardrails: dryRun', DRY_RUN, {
        outcome: ok
          ? `plan of ${plan.length} steps, zero mutating calls`
          : `unexpected: ${out.execution.status} mutating=${out.mutating.length}`,
        unhandled: !isDefinedOutcome(out.execution),
      });
      expect(out.execution.status).toBe('SUCCEEDED');
      expect(statesEntered(out.execution)).toContain('DryRunDone');
      expect(out.mutating).toEqual([]);
      expect(plan.join('\n')).toMatch(/delete integration/);
      expect(JSON.stringify(app.stack.integrations.describe().map((x) => [x.arn, x.status]))).toBe(
        integrationsBefore,
      );
    }
  });
});

describe('The circuit breaker', () => {
  it('allows one recreation in 24 hours and blocks the next', async () => {
    const first = await recovery({ integrationArn: breakQuietly('0007') }, 'breaker-first');
    expect(first.execution.status, first.execution.cause).toBe('SUCCEEDED');
    expect(first.mutating.map((m) => m.action)).toEqual(['DeleteIntegration', 'CreateIntegration']);
    const second = await recovery({ integrationArn: breakQuietly('0007') }, 'breaker-second');
    const ok = second.execution.error === 'RecoveryBlockedError' && second.mutating.length === 0;
    recorder.fault('Guardrails: recovery refusals', REFUSAL, {
      outcome: ok
        ? 'blocked, announced with the reason, zero mutating calls'
        : `unexpected: ${second.execution.error}`,
      unhandled: !isDefinedOutcome(second.execution),
    });
    expect(second.execution.error).toBe('RecoveryBlockedError');
    expect(second.reason).toMatch(/circuit breaker: 1 recreation/);
    expect(second.mutating).toEqual([]);
  });

  // The recovery's name includes the recreations the breaker counts: once one ages out, the watchdog
  // starts a new recovery instead of finding the blocked one's name taken.
  it('a failure blocked by the breaker is recovered by the watchdog once 24 hours have passed', async () => {
    // Premise: one recreation in the last 24 hours (made here unless an earlier test made it).
    const first = await recovery({ integrationArn: breakQuietly('0007') }, 'breaker-bug-first');
    if (first.execution.status !== 'SUCCEEDED') expect(first.reason).toMatch(/circuit breaker/);
    // A new failure, announced by AWS: reconcile starts its recovery, which the breaker blocks.
    const failing = managed();
    const before = app.sfn.executions.length;
    await app.stack.simulator.failIntegration('0007', {
      integrationId: failing.id,
      message: 'failed again',
    });
    await app.settle();
    const blocked = app.sfn.executions
      .slice(before)
      .filter((e) => e.machine === 'IntegrationRecoveryStateMachine');
    expect(blocked.map((b) => b.error)).toEqual(['RecoveryBlockedError']);
    // An hour later the breaker still blocks it: the watchdog converges on the blocked execution's
    // name and starts nothing (no retry storm, no second announcement).
    const clock = app.stack.clock;
    if (!isManualClock(clock)) throw new Error('the local stack runs on a manual clock');
    clock.advance(3600_000);
    const m = app.sfn.executions.length;
    await run(app, 'reconcile', { trigger: 'watchdog' }, 'watchdog-after-1h');
    expect(
      app.sfn.executions.slice(m).filter((e) => e.machine === 'IntegrationRecoveryStateMachine'),
    ).toEqual([]);
    // A day later the breaker allows it: the watchdog must now recover the integration.
    clock.advance(24 * 3600_000);
    const n = app.sfn.executions.length;
    await run(app, 'reconcile', { trigger: 'watchdog' }, 'watchdog-after-24h');
    const recoveries = app.sfn.executions
      .slice(n)
      .filter((e) => e.machine === 'IntegrationRecoveryStateMachine');
    const decisions = await rows(
      app,
      'SELECT route, child_execution, note FROM zeo.reconcile_log ORDER BY ctid',
    );
    expect(
      recoveries.map((r) => r.status),
      JSON.stringify(decisions.at(-1)),
    ).toEqual(['SUCCEEDED']);
    recorder.fault('Guardrails: circuit breaker re-arms after 24 hours', BREAKER, {
      outcome: 'blocked once, nothing started an hour later, recovered by the watchdog after 24 hours',
      unhandled: !recoveries.every((r) => isDefinedOutcome(r)),
    });
  });
});
