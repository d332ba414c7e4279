import type { PGliteInterface } from '@electric-sql/pglite';
import { resetClients } from '../shared/aws/identity.js';
import { indexManifest } from '../shared/graph/plan.js';
import { loadProject } from '../shared/project/load.js';
import type { Manifest } from '../shared/project/manifest.js';
import { EXAMPLE_PROJECT } from '../shared/runtime/package-root.js';
import type { StepWiring } from '../shared/runtime/wiring/step-wiring.js';
import { type SnsMessage, startEventBridgeEndpoint, startSnsEndpoint } from './bus/endpoints.js';
import { type LocalRule, loadRules, rulesMatching } from './bus/rules.js';
import { firingsBetween } from './bus/schedules.js';
import { ManualClock } from './clock.js';
import type { LocalEvent } from './events.js';
import { freshPGlite } from './pglite.js';
import { type AslDefinition, loadDefinitions, STATE_MACHINE_NAMES } from './sfn/definitions.js';
import { type FunctionInstrument, localFunctions } from './sfn/functions.js';
import { type ExecutionRecord, LocalStepFunctions, type LocalStepFunctionsOptions } from './sfn/runner.js';
import { applyLocalStackEnvironment, type LocalStack, startLocalStack } from './stack.js';
import { loadSourceSql, type SkippedStatement, type SourceStatement } from './zero-etl/source-sql.js';

/**
 * The whole orchestrator on the embedded stack: the real ASL files and Lambda handlers (in-process),
 * the EventBridge rules and schedules of serverless.yml, the Data API / RDS / EventBridge / SNS
 * endpoints, the Aurora source and the zero-ETL simulator — all on one simulated clock, which every
 * Wait state moves forward instead of sleeping.
 */

export interface LocalOrchestratorOptions {
  /** The curated project to compile and run (default: the shop example). */
  projectDir?: string;
  /** Where simulated time starts (default: now). A fixed start makes schedule firings reproducible. */
  startAt?: Date;
  /** Real milliseconds a Wait state takes (default 0: waits only move the simulated clock). */
  waitMs?: number;
  /** Called for every execution started from outside (CLI, rules, schedules). */
  onExecution?: (record: ExecutionRecord) => void;
  /** Every event of every execution, children included (progress displays, benchmarks). */
  onEvent?: LocalStepFunctionsOptions['onEvent'];
  /**
   * The Aurora source's schema and data as SQL statements (`splitSourceSql` of the user's file),
   * loaded instead of the shop example.
   */
  source?: readonly SourceStatement[];
  /**
   * The warehouse's superusers (default: the warehouse role's user and the operator's, as after the
   * setup SQL of docs/deploy.md); `[]` plays a deployment whose setup SQL was never run.
   */
  superusers?: readonly string[];
  /** Wraps every Lambda function's invocation (tests that count or scope what each step does). */
  instrument?: FunctionInstrument;
}

export interface LocalOrchestrator {
  manifest: Manifest;
  /**
   * What the handlers are given on this stack (its project, its simulated clock): a second runner
   * over the same stack passes it to `localFunctions` so its handlers see the same.
   */
  wiring: Partial<StepWiring>;
  /**
   * Puts another compiled project in front of the handlers, as a new deployment would (the stack and
   * its data stay); returns a function that puts the previous one back.
   */
  deploy(manifest: Manifest): () => void;
  stack: LocalStack;
  sfn: LocalStepFunctions;
  rules: LocalRule[];
  snsMessages: SnsMessage[];
  /** Statements of `options.source` the embedded engine could not run and skipped (pg_dump extras). */
  sourceWarnings: SkippedStatement[];
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

export const DEFAULT_LOCAL_PROJECT = EXAMPLE_PROJECT;

export async function startLocalOrchestrator(
  options: LocalOrchestratorOptions = {},
): Promise<LocalOrchestrator> {
  const manifest = loadProject(options.projectDir ?? DEFAULT_LOCAL_PROJECT);
  // Everything read from files comes first, so a missing file fails before anything listens.
  const definitions = loadDefinitions();
  // What has been started, closed in reverse order by close() or by a start that fails half-way.
  const opened: { close: () => Promise<void> }[] = [];
  const closeAll = async () => {
    const failures: unknown[] = [];
    for (const part of opened.splice(0).reverse()) await part.close().catch((e: unknown) => failures.push(e));
    if (failures.length > 0) throw failures[0];
  };
  try {
    return await startWith(manifest, definitions, options, opened, closeAll);
  } catch (error) {
    // Nothing that was started may outlive a failed start: open endpoints would keep the process alive.
    await closeAll().catch(() => undefined);
    throw error;
  }
}

function restoreEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

async function startWith(
  manifest: Manifest,
  definitions: Record<string, AslDefinition>,
  options: LocalOrchestratorOptions,
  opened: { close: () => Promise<void> }[],
  closeAll: () => Promise<void>,
): Promise<LocalOrchestrator> {
  const rules = loadRules(manifest);
  let sourceWarnings: SkippedStatement[] = [];
  let sourceDb: PGliteInterface | undefined;
  if (options.source) {
    const db = await freshPGlite();
    sourceDb = db;
    opened.push({ close: () => db.close() });
    sourceWarnings = await loadSourceSql(db, options.source);
    // pg_dump empties search_path for its session; the simulator and injected DDL expect the defaults.
    await db.exec('RESET ALL');
    // From here on the stack owns the source database and closes it.
    opened.pop();
  }

  const simulated = new ManualClock(options.startAt ?? Date.now());
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
      ...(options.superusers ? { superusers: options.superusers } : {}),
    },
    source: {
      database: project.landing.sourceDatabase,
      ...(sourceDb ? { db: sourceDb, seed: 'empty' as const } : {}),
    },
    // zero-ETL replicates continuously: every step of simulated time applies the source's changes.
    autoReplicate: true,
  });
  opened.push(stack);
  const snsMessages: SnsMessage[] = [];
  const eventBridge = await startEventBridgeEndpoint(stack.events, simulated);
  opened.push(eventBridge);
  const sns = await startSnsEndpoint(snsMessages, simulated);
  opened.push(sns);
  const restoreStackEnv = applyLocalStackEnvironment(stack);
  const previousBus = { eb: process.env.AWS_ENDPOINT_URL_EVENTBRIDGE, sns: process.env.AWS_ENDPOINT_URL_SNS };
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = eventBridge.endpoint;
  process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
  resetClients();
  opened.push({
    close: async () => {
      restoreStackEnv();
      restoreEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', previousBus.eb);
      restoreEnv('AWS_ENDPOINT_URL_SNS', previousBus.sns);
      resetClients();
    },
  });

  await stack.bootstrap({
    integrationArn: project.landing.integrationArn,
    landingDatabase: project.landing.database,
    settings: project.landing.settings,
  });

  // The handlers run with this project and on the simulated clock, given to them (not patched in).
  let deployed = indexManifest(manifest);
  const wiring: Partial<StepWiring> = { manifest: () => deployed, now: () => simulated.now() };
  const sfn = new LocalStepFunctions({
    definitions,
    functions: localFunctions(stack.identities, wiring, options.instrument),
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
  const deliver = (event: LocalEvent) => {
    for (const rule of rulesMatching(rules, event)) {
      // EventBridge starts a rule's target execution without a name, so Step Functions generates one:
      // a redelivered event starts a second execution, and only the state machines' own deterministic
      // child names (reconcile → recovery) keep it from acting twice.
      started(sfn.start(rule.machine, event));
    }
  };
  const unsubscribe = stack.events.onEvent(deliver);
  opened.push({ close: async () => unsubscribe() });
  const origin = simulated.now();

  return {
    manifest,
    wiring,
    deploy(next) {
      const previous = deployed;
      deployed = indexManifest(next);
      return () => {
        deployed = previous;
      };
    },
    stack,
    sfn,
    rules,
    snsMessages,
    sourceWarnings,
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
        // Schedules are rules too: the execution name is generated.
        fired.push(started(sfn.start(rule.machine, rule.input ?? {})));
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
    close: closeAll,
  };
}
