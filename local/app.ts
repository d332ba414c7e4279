import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetClients } from '../shared/aws/clients.js';
import { serializeManifest } from '../shared/project/compile.js';
import { loadProject } from '../shared/project/load.js';
import type { Manifest } from '../shared/project/manifest.js';
import { clock } from '../shared/runtime/clock.js';
import { type SnsMessage, startEventBridgeEndpoint, startSnsEndpoint } from './bus/endpoints.js';
import { type LocalRule, loadRules, rulesMatching } from './bus/rules.js';
import { firingsBetween } from './bus/schedules.js';
import { ManualClock } from './clock.js';
import type { LocalEvent } from './events.js';
import type { LocalEndpoint } from './http.js';
import { loadDefinitions, STATE_MACHINE_NAMES } from './sfn/definitions.js';
import { localFunctions } from './sfn/functions.js';
import { type ExecutionRecord, LocalStepFunctions, type LocalStepFunctionsOptions } from './sfn/runner.js';
import { applyLocalStackEnvironment, type LocalStack, startLocalStack } from './stack.js';

/**
 * The whole orchestrator on the embedded stack: the real ASL files and Lambda handlers (in-process),
 * the EventBridge rules and schedules of serverless.yml, the Data API / RDS / EventBridge / SNS
 * endpoints, the Aurora source and the zero-ETL simulator — all on one simulated clock, which every
 * Wait state moves forward instead of sleeping.
 */

export interface LocalOrchestratorOptions {
  /** The curated project to compile and run (default: the shop example). */
  projectDir?: string;
  /** Real milliseconds a Wait state takes (default 0: waits only move the simulated clock). */
  waitMs?: number;
  /** Called for every execution started from outside (CLI, rules, schedules). */
  onExecution?: (record: ExecutionRecord) => void;
  /** Every event of every execution, children included (progress displays, benchmarks). */
  onEvent?: LocalStepFunctionsOptions['onEvent'];
}

export interface LocalOrchestrator {
  manifest: Manifest;
  stack: LocalStack;
  sfn: LocalStepFunctions;
  rules: LocalRule[];
  snsMessages: SnsMessage[];
  /** Starts an execution of a public state machine by its CLI name (`curated-refresh`, …). */
  start(stateMachine: string, input: unknown, name?: string): ExecutionRecord;
  /** Moves simulated time forward, firing the schedules that fall due, and lets the simulator catch up. */
  advance(ms: number): Promise<ExecutionRecord[]>;
  /** Hands an event to the EventBridge rules again, as a redelivery would. */
  deliver(event: LocalEvent): void;
  /** Resolves when every execution started so far (and those they started) has stopped. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_LOCAL_PROJECT = 'examples/shop/curated';

export async function startLocalOrchestrator(
  options: LocalOrchestratorOptions = {},
): Promise<LocalOrchestrator> {
  const manifest = loadProject(options.projectDir ?? DEFAULT_LOCAL_PROJECT);
  const manifestDir = mkdtempSync(join(tmpdir(), 'zeo-local-'));
  const manifestPath = join(manifestDir, 'manifest.json');
  writeFileSync(manifestPath, serializeManifest(manifest));
  const previousManifest = process.env.ZEO_MANIFEST_PATH;
  process.env.ZEO_MANIFEST_PATH = manifestPath;

  const simulated = new ManualClock();
  const { project } = manifest;
  const roles = [
    ...new Set(manifest.models.flatMap((m) => m.grants.filter((g) => g.kind === 'role').map((g) => g.name))),
  ];
  const stack = await startLocalStack({
    clock: simulated,
    warehouse: {
      database: project.warehouse.database,
      ...(project.warehouse.workgroupName ? { workgroupName: project.warehouse.workgroupName } : {}),
      ...(project.warehouse.clusterIdentifier
        ? { clusterIdentifier: project.warehouse.clusterIdentifier }
        : {}),
      roles,
    },
    source: { database: project.landing.sourceDatabase },
    // zero-ETL replicates continuously: every step of simulated time applies the source's changes.
    autoReplicate: true,
  });
  const snsMessages: SnsMessage[] = [];
  const endpoints: LocalEndpoint[] = [
    await startEventBridgeEndpoint(stack.events, simulated),
    await startSnsEndpoint(snsMessages, simulated),
  ];
  const restoreEnv = applyLocalStackEnvironment(stack);
  const previousBus = { eb: process.env.AWS_ENDPOINT_URL_EVENTBRIDGE, sns: process.env.AWS_ENDPOINT_URL_SNS };
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = endpoints[0]?.endpoint;
  process.env.AWS_ENDPOINT_URL_SNS = endpoints[1]?.endpoint;
  resetClients();
  const restoreClock = clock.use(simulated);

  await stack.bootstrap({
    integrationArn: project.landing.integrationArn,
    landingDatabase: project.landing.database,
    settings: project.landing.settings,
  });

  const sfn = new LocalStepFunctions({
    definitions: loadDefinitions(),
    functions: localFunctions(),
    region: stack.region,
    account: stack.account,
    waitMs: () => options.waitMs ?? 0,
    // A Wait state on AWS is time passing: here it moves the simulated clock and the simulator with it.
    onWait: (seconds) => stack.simulator.tick(seconds * 1000),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const started = (record: ExecutionRecord) => {
    options.onExecution?.(record);
    return record;
  };
  const rules = loadRules();
  const deliver = (event: LocalEvent) => {
    for (const rule of rulesMatching(rules, event)) {
      try {
        // The execution is named after the event, so a redelivered event cannot start a second one.
        started(sfn.start(rule.machine, event, `${rule.name}-${event.id}`.slice(0, 80)));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'StepFunctions.ExecutionAlreadyExistsException')) {
          console.error(`local rule ${rule.name} could not start ${rule.machine}`, error);
        }
      }
    }
  };
  const unsubscribe = stack.events.onEvent(deliver);
  const origin = simulated.now();

  const orchestrator: LocalOrchestrator = {
    manifest,
    stack,
    sfn,
    rules,
    snsMessages,
    deliver,
    start(stateMachine, input, name) {
      const machine = STATE_MACHINE_NAMES[stateMachine] ?? stateMachine;
      return started(sfn.start(machine, input, name));
    },
    async advance(ms) {
      const from = simulated.now();
      const to = new Date(from.getTime() + ms);
      const fired: ExecutionRecord[] = [];
      const due = rules
        .filter((r) => r.kind === 'schedule' && r.enabled && r.expression)
        .flatMap((r) => firingsBetween(r.expression ?? '', from, to, origin).map((at) => ({ rule: r, at })))
        .sort((a, b) => a.at.getTime() - b.at.getTime());
      for (const { rule, at } of due) {
        await stack.simulator.tick(at.getTime() - simulated.now().getTime());
        const name = `${rule.name}-${at.toISOString().replace(/[:.]/g, '-')}`.slice(0, 80);
        fired.push(started(sfn.start(rule.machine, rule.input ?? {}, name)));
      }
      await stack.simulator.tick(Math.max(0, to.getTime() - simulated.now().getTime()));
      return fired;
    },
    async settle() {
      for (let seen = -1; seen !== sfn.executions.length; ) {
        seen = sfn.executions.length;
        await Promise.all(sfn.executions.map((e) => e.done));
        await stack.simulator.settle();
      }
    },
    async close() {
      unsubscribe();
      restoreClock();
      restoreEnv();
      for (const [key, value] of [
        ['AWS_ENDPOINT_URL_EVENTBRIDGE', previousBus.eb],
        ['AWS_ENDPOINT_URL_SNS', previousBus.sns],
        ['ZEO_MANIFEST_PATH', previousManifest],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      resetClients();
      await Promise.all(endpoints.map((e) => e.close()));
      await stack.close();
      rmSync(manifestDir, { recursive: true, force: true });
    },
  };
  return orchestrator;
}
