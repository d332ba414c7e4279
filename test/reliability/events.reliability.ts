import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../local/app.js';
import type { LocalEvent } from '../../local/events.js';
import type { ExecutionRecord } from '../../local/sfn/runner.js';
import { INTEGRATION_EVENTS } from '../../local/zero-etl/event-catalog.js';
import { classifyEventId, DOCUMENTED_EVENT_IDS, type EventClass } from '../../shared/integration/classify.js';
import {
  checksum,
  isDefinedOutcome,
  rows,
  smallProjectDir,
  startApp,
  useProjectVariant,
} from './support/local.js';
import { Recorder } from './support/results.js';

/**
 * Every documented REDSHIFT-INTEGRATION-EVENT id through the real path (EventBridge rule → reconcile →
 * maybe integration-recovery) on the embedded stack, one test per class; then duplicated, reordered,
 * stale, malformed and foreign events: one correct outcome or a recorded ignore, never an unhandled error.
 */

const recorder = new Recorder('events');
let app: LocalOrchestrator;
let restoreManifest: () => void = () => undefined;

beforeAll(async () => {
  app = await startApp();
  // Several recreations happen in this file: the circuit breaker has its own tests (guardrails).
  restoreManifest = useProjectVariant(app, smallProjectDir(), (text) =>
    text.replace('maxRecreatesPer24h: 1', 'maxRecreatesPer24h: 24'),
  );
}, 300_000);
afterAll(async () => {
  restoreManifest();
  await app?.close();
});

/** The classes the event table's wording calls for (reference/aws-zero-etl-facts.md §1.2). */
const EXPECTED: Record<EventClass, string[]> = {
  recreate: ['0006', '0007', '0009', '0012', '0014'],
  notify: [
    '0004',
    '0005',
    '0008',
    '0018',
    '0019',
    '0020',
    '0025',
    '1000',
    '1001',
    '1002',
    '1003',
    '1004',
    '1005',
    '1006',
  ],
  informational: ['0000', '0001', '0002', '0003', '0013', '0016', '0017'],
};

const META: Record<EventClass, { description: string; bound: string }> = {
  recreate: {
    description:
      'An event the docs answer with "delete and recreate the integration" (internal errors, create failures, limits, restore). Defined outcome: reconcile re-reads RDS, integration-recovery recreates the integration with the same configuration, re-creates the landing database and rebuilds everything, and announces "Integration Recreated".',
    bound: 'one reconcile and one integration-recovery execution per failure',
  },
  notify: {
    description:
      'An event that needs a human first (table without a primary key, unsupported type, revoked permissions, paused cluster, restored namespace, source configuration, filter syntax). Defined outcome: recovery is blocked by the guardrails, "Integration Recovery Blocked" is announced, no RDS mutating call is made.',
    bound: 'one reconcile and one (blocked) integration-recovery execution; zero mutating RDS calls',
  },
  informational: {
    description:
      'A status event (created, deleted, deleting, syncing, active, modifying, modified). Defined outcome: reconcile re-reads the state, finds nothing to recover, and records its decision.',
    bound: 'one reconcile execution; zero recoveries; zero mutating RDS calls',
  },
};

const ADVERSE = {
  description:
    'Events EventBridge may deliver twice, late, out of order, malformed or about an integration this project does not manage. Defined outcome: one correct recovery at most (deterministic execution names), otherwise a recorded ignore; every reconcile execution succeeds.',
  bound: 'one recovery per failure; zero unhandled errors',
};

const since = (n: number, machine: string) =>
  app.sfn.executions.slice(n).filter((e) => e.machine === machine);
const orchestratorEvents = (type: string, from: number) =>
  app.stack.events.log
    .slice(from)
    .filter((e) => e.source === 'zero-etl-orchestrator' && e['detail-type'] === type);

async function reconcileLog(): Promise<{ route: string; note: string }[]> {
  const found = await rows(app, 'SELECT route, note FROM zeo.reconcile_log ORDER BY ctid');
  return found.map((r) => ({ route: String(r.route), note: String(r.note) }));
}

function managed() {
  const live = app.stack.integrations.describe().filter((i) => i.status !== 'deleting');
  const current = live[live.length - 1];
  if (!current) throw new Error('no integration');
  return current;
}

/** An aws.redshift integration event as the simulator emits them (the detail is undocumented by AWS). */
function integrationEvent(code: string, arn: string, overrides: Partial<LocalEvent> = {}): LocalEvent {
  const spec = INTEGRATION_EVENTS[code];
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': `Redshift Integration ${spec?.category ?? 'Monitoring'}`,
    source: 'aws.redshift',
    account: app.stack.account,
    time: `${app.stack.clock.now().toISOString().slice(0, 19)}Z`,
    region: app.stack.region,
    resources: [arn],
    detail: {
      eventId: `REDSHIFT-INTEGRATION-EVENT-${code}`,
      severity: spec?.severity ?? 'ERROR',
      eventDescription: spec?.message ?? 'configuration error',
      integrationArn: arn,
    },
    ...overrides,
  };
}

interface Observation {
  reconciles: ExecutionRecord[];
  recoveries: ExecutionRecord[];
  mutating: number;
  decisions: { route: string; note: string }[];
  recreated: number;
  blocked: number;
}

async function observe(act: () => Promise<void> | void): Promise<Observation> {
  const n = app.sfn.executions.length;
  const mutating = app.stack.rds.mutatingCalls().length;
  const logged = (await reconcileLog()).length;
  const events = app.stack.events.log.length;
  await act();
  await app.settle();
  return {
    reconciles: since(n, 'ReconcileStateMachine'),
    recoveries: since(n, 'IntegrationRecoveryStateMachine'),
    mutating: app.stack.rds.mutatingCalls().length - mutating,
    decisions: (await reconcileLog()).slice(logged),
    recreated: orchestratorEvents('Integration Recreated', events).length,
    blocked: orchestratorEvents('Integration Recovery Blocked', events).length,
  };
}

/** Puts the managed integration into a failed state for `code` and emits the event AWS would. */
async function fail(code: string): Promise<void> {
  if (INTEGRATION_EVENTS[code]) {
    await app.stack.simulator.failIntegration(code, {
      message: `${INTEGRATION_EVENTS[code]?.message ?? ''} (${randomUUID().slice(0, 8)})`,
    });
    return;
  }
  // 1003-1005 are MySQL binlog settings the simulator does not emit; set RDS as AWS would and deliver it.
  const integration = managed();
  app.stack.integrations.setStatus(integration.id, 'failed', {
    errors: [
      {
        ErrorCode: `REDSHIFT-INTEGRATION-EVENT-${code}`,
        ErrorMessage: `configuration (${randomUUID().slice(0, 8)})`,
      },
    ],
  });
  app.stack.integrations.drainTransitions();
  app.deliver(
    integrationEvent(code, integration.arn, { 'detail-type': 'Redshift Integration Configuration' }),
  );
}

async function heal(): Promise<void> {
  const integration = managed();
  if (integration.status !== 'active') {
    await app.stack.simulator.recoverIntegration({ integrationId: integration.id });
    await app.settle();
  }
}

const allDefined = (o: Observation) => [...o.reconciles, ...o.recoveries].every((e) => isDefinedOutcome(e));

describe('Every documented REDSHIFT-INTEGRATION-EVENT id is classified', () => {
  it('the classification matches the wording of the event table, for all 26 ids', () => {
    const covered = Object.values(EXPECTED).flat().sort();
    expect(covered).toEqual(DOCUMENTED_EVENT_IDS.map((id) => id.slice(-4)).sort());
    for (const [cls, codes] of Object.entries(EXPECTED)) {
      for (const code of codes) expect(classifyEventId(`REDSHIFT-INTEGRATION-EVENT-${code}`), code).toBe(cls);
    }
  });

  it('recreate class: each id leads to one recovery that recreates the integration', async () => {
    for (const code of EXPECTED.recreate) {
      const before = managed().arn;
      const o = await observe(() => fail(code));
      const recovery = o.recoveries[0];
      const ok =
        o.recoveries.length === 1 &&
        recovery?.status === 'SUCCEEDED' &&
        o.recreated === 1 &&
        managed().arn !== before;
      recorder.fault('Integration events: recreate class', META.recreate, {
        outcome: ok
          ? 'recovered: integration recreated, landing re-created, all models rebuilt'
          : `unexpected: ${recovery?.status} ${recovery?.cause}`,
        dataLost: (await checksum(app, 'fct_orders')) === undefined,
        unhandled: !allDefined(o),
      });
      expect(
        o.recoveries.map((r) => r.status),
        code,
      ).toEqual(['SUCCEEDED']);
      expect(o.recreated, code).toBe(1);
      expect(managed().arn, code).not.toBe(before);
      expect(o.reconciles.length, code).toBeGreaterThanOrEqual(1);
      expect(allDefined(o)).toBe(true);
    }
  });

  it('notify class: each id is announced as blocked and nothing is deleted', async () => {
    for (const code of EXPECTED.notify) {
      const o = await observe(() => fail(code));
      const ok =
        o.recoveries.length === 1 &&
        o.recoveries[0]?.error === 'RecoveryBlockedError' &&
        o.blocked >= 1 &&
        o.mutating === 0;
      recorder.fault('Integration events: notify-only class', META.notify, {
        outcome: ok
          ? 'blocked by the guardrails, announced, zero mutating RDS calls'
          : `unexpected: ${o.recoveries.map((r) => r.error).join(',')} mutating=${o.mutating}`,
        unhandled: !allDefined(o),
      });
      expect(
        o.recoveries.map((r) => r.error),
        code,
      ).toEqual(['RecoveryBlockedError']);
      expect(o.blocked, code).toBeGreaterThanOrEqual(1);
      expect(o.mutating, code).toBe(0);
      expect(allDefined(o)).toBe(true);
      await heal();
    }
  });

  it('informational class: each id is re-checked against the real state and recorded, nothing started', async () => {
    for (const code of EXPECTED.informational) {
      const o = await observe(() => app.deliver(integrationEvent(code, managed().arn)));
      const decided = o.decisions.map((d) => d.route);
      const ok =
        o.reconciles.length === 1 && o.recoveries.length === 0 && o.mutating === 0 && decided.length === 1;
      recorder.fault('Integration events: informational class', META.informational, {
        outcome: ok
          ? `recorded (${decided[0]}), nothing to recover`
          : `unexpected: recoveries=${o.recoveries.length} decisions=${decided.join(',')}`,
        unhandled: !allDefined(o),
      });
      expect(
        o.reconciles.map((r) => r.status),
        code,
      ).toEqual(['SUCCEEDED']);
      expect(o.recoveries, code).toEqual([]);
      expect(o.mutating, code).toBe(0);
      expect(decided, code).toHaveLength(1);
      expect(['none', 'ignore']).toContain(decided[0]);
    }
  });
});

/** The id of the event a rule-started execution was given as its input. */
const eventIdOf = (execution: { input: unknown }): string | undefined =>
  (execution.input as { id?: string } | undefined)?.id;

describe('Duplicated, reordered, stale, malformed and foreign events', () => {
  const record = (outcome: string, ok: boolean, o: Observation) =>
    recorder.fault('Duplicated, reordered, stale, malformed and foreign events', ADVERSE, {
      outcome: ok ? outcome : `unexpected: ${outcome}`,
      unhandled: !allDefined(o),
    });

  it('the same failure event delivered three times (same id) starts three reconciles and one recovery', async () => {
    let event: LocalEvent | undefined;
    const o = await observe(async () => {
      const from = app.stack.events.log.length;
      await fail('0007');
      event = app.stack.events.log.slice(from).find((e) => e.source === 'aws.redshift');
      if (event) {
        app.deliver(event);
        app.deliver(event);
      }
    });
    // Recovery itself makes AWS announce more (deleting, deleted, created): count the failure's own.
    // EventBridge gives every delivery its own execution name, so each starts a reconcile; only the
    // deterministic name of the recovery it starts keeps the three from recovering three times.
    const forEvent = o.reconciles.filter((r) => event !== undefined && eventIdOf(r) === event.id);
    const ok = forEvent.length === 3 && o.recoveries.length === 1 && o.recoveries[0]?.status === 'SUCCEEDED';
    record('duplicate ids: three reconciles (generated names), one recovery', ok, o);
    expect(event).toBeDefined();
    expect(forEvent.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(o.recoveries.map((r) => r.status)).toEqual(['SUCCEEDED']);
  });

  it('one failure announced under three different event ids converges on one recovery', async () => {
    const ids: string[] = [];
    const o = await observe(async () => {
      const from = app.stack.events.log.length;
      await fail('0012');
      const original = app.stack.events.log.slice(from).find((e) => e.source === 'aws.redshift');
      if (original) {
        ids.push(original.id);
        for (const copy of [
          { ...original, id: randomUUID() },
          { ...original, id: randomUUID() },
        ]) {
          ids.push(copy.id);
          app.deliver(copy);
        }
      }
    });
    const forEvents = o.reconciles.filter((r) => ids.includes(eventIdOf(r) ?? ''));
    const notes = o.decisions.map((d) => d.note).join(' | ');
    const ok = forEvents.length === 3 && o.recoveries.length === 1 && o.recoveries[0]?.status === 'SUCCEEDED';
    record('re-announced failure: three reconciles, one recovery (deterministic name)', ok, o);
    expect(forEvents.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(o.recoveries.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(notes).toMatch(/duplicate|stale|ignored/);
  });

  it('reordered: an ACTIVE event that arrives before the failure event does not hide the failure', async () => {
    const integration = managed();
    const o = await observe(async () => {
      app.stack.integrations.setStatus(integration.id, 'failed', {
        errors: [
          {
            ErrorCode: 'REDSHIFT-INTEGRATION-EVENT-0014',
            ErrorMessage: `internal (${randomUUID().slice(0, 8)})`,
          },
        ],
      });
      app.stack.integrations.drainTransitions();
      const failure = integrationEvent('0014', integration.arn);
      const active = integrationEvent('0013', integration.arn, {
        time: `${new Date(app.stack.clock.now().getTime() + 1000).toISOString().slice(0, 19)}Z`,
      });
      app.deliver(active);
      await app.settle();
      app.deliver(failure);
    });
    const ok = o.recoveries.length === 1 && o.recoveries[0]?.status === 'SUCCEEDED';
    record('reordered: the real state decides, one recovery', ok, o);
    expect(o.recoveries.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(o.reconciles.every((r) => r.status === 'SUCCEEDED')).toBe(true);
  });

  it('stale: a failure event older than the current integration is ignored and recorded', async () => {
    const o = await observe(() =>
      app.deliver(
        integrationEvent('0007', app.manifest.project.landing.integrationArn, {
          time: '2025-06-01T00:00:00Z',
        }),
      ),
    );
    const ok =
      o.recoveries.length === 0 && o.decisions.some((d) => d.route === 'ignore' && /stale/.test(d.note));
    record('stale: recorded ignore', ok, o);
    expect(o.recoveries).toEqual([]);
    expect(o.decisions.map((d) => d.route)).toEqual(['ignore']);
    expect(o.decisions[0]?.note).toMatch(/stale/);
  });

  it('foreign: an event about another integration is ignored and recorded', async () => {
    const foreign = 'arn:aws:rds:us-east-1:123456789012:integration:ffffffff-1111-2222-3333-444444444444';
    const o = await observe(() => app.deliver(integrationEvent('0007', foreign)));
    const ok =
      o.recoveries.length === 0 &&
      o.decisions.some((d) => d.route === 'ignore' && /another integration/.test(d.note));
    record('foreign: recorded ignore', ok, o);
    expect(o.recoveries).toEqual([]);
    expect(o.decisions.map((d) => d.route)).toEqual(['ignore']);
    expect(o.decisions[0]?.note).toMatch(/another integration/);
    expect(o.mutating).toBe(0);
  });

  it('malformed: events that match the rule but not the schema are ignored and recorded', async () => {
    const fixture = JSON.parse(readFileSync('test/fixtures/events/malformed.json', 'utf8')) as LocalEvent;
    const base = integrationEvent('0007', managed().arn);
    const malformed: LocalEvent[] = [
      { ...fixture, id: randomUUID() },
      { ...base, id: randomUUID(), resources: 'not-a-list' as unknown as string[] },
      { ...base, id: randomUUID(), detail: 'oops' as unknown as Record<string, unknown> },
      { ...base, id: randomUUID(), 'detail-type': 'Redshift Integration Monitoring', id2: 1 } as LocalEvent,
      { ...base, id: '' },
      { ...base, id: randomUUID(), time: 'yesterday' },
      { ...base, id: randomUUID(), resources: [`${managed().arn}'; DROP TABLE zeo.run_log; --`] },
    ];
    for (const event of malformed) {
      const o = await observe(() => app.deliver(event));
      const routes = o.decisions.map((d) => d.route);
      const ok = o.recoveries.length === 0 && o.reconciles.every((r) => r.status === 'SUCCEEDED');
      record(`malformed: ${routes.join(',') || 'no reconcile (rule did not match)'}`, ok, o);
      expect(o.recoveries).toEqual([]);
      expect(o.reconciles.every((r) => r.status === 'SUCCEEDED')).toBe(true);
      expect(o.mutating).toBe(0);
    }
    expect(await rows(app, 'SELECT count(*)::int AS n FROM zeo.run_log')).not.toEqual([{ n: 0 }]);
  });

  it('the fixtures of test/fixtures/events reach one outcome each', async () => {
    for (const file of [
      'configuration-1001',
      'foreign-integration',
      'integration-failed-0007',
      'malformed',
      'operation-0016',
      'stale-before-recreation',
    ]) {
      const event = {
        ...(JSON.parse(readFileSync(`test/fixtures/events/${file}.json`, 'utf8')) as LocalEvent),
        id: randomUUID(),
      };
      const o = await observe(() => app.deliver(event));
      const ok =
        o.reconciles.every((r) => r.status === 'SUCCEEDED') && o.recoveries.every((r) => isDefinedOutcome(r));
      record(`fixture ${file}: ${o.decisions.map((d) => d.route).join(',') || 'not routed'}`, ok, o);
      expect(
        o.reconciles.every((r) => r.status === 'SUCCEEDED'),
        file,
      ).toBe(true);
      expect(allDefined(o)).toBe(true);
      await heal();
    }
  });
});
