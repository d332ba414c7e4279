import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { allStates, childMachineOf, functionKeyOf, loadDefinitions } from '../../local/sfn/definitions.js';
import type { EventLog, ExecutionRecord } from '../../local/sfn/runner.js';
import { LATENCY_MS } from '../lib/assumptions.js';
import type { ReactionResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { max, sum } from '../lib/stats.js';

/**
 * Reaction latency on the embedded local stack (real ASL, real handlers, the zero-ETL simulator, the
 * rules and schedules of serverless.yml), in simulated time:
 *
 * 1. an integration failure event (REDSHIFT-INTEGRATION-EVENT-0007) → the first state of
 *    integration-recovery (and its first destructive step). No Wait state lies on that path, so the
 *    simulated latency is 0 s by construction; the path is counted (transitions, Lambda invocations,
 *    Data API statements, RDS calls) and converted into an AWS estimate with the modeled latencies.
 * 2. a landing table returning to Synced → the start of its downstream rebuild, for several watchdog
 *    intervals and several moments at which the resync begins relative to the watchdog's ticks.
 *    Simulated time moves in `step`-second increments (the resolution of the figure) and by the
 *    Wait states of the running state machines.
 */

const TABLE = { schema: 'public', table: 'orders' };

interface Seen {
  at: number;
  record: ExecutionRecord;
}

/**
 * Resync step lengths used in turn: not multiples of the 60 s WaitForSync poll, so a table turns
 * Synced somewhere inside a poll interval, as on AWS (the simulator only moves when time does).
 */
const RESYNC_STEPS_MS = [75_000, 95_000, 115_000];

await runSection(async (args): Promise<ReactionResult> => {
  const realStart = performance.now();
  const stepSeconds = args.number('step', 10);
  const intervals = (args.get('intervals') ?? '1,5,15').split(',').map(Number);
  const phases = (args.get('phases') ?? '0.15,0.5,0.85').split(',').map(Number);
  const firstEvent = new Map<ExecutionRecord, number>();
  let app: LocalOrchestrator | undefined;
  const now = () => app?.stack.clock.now().getTime() ?? 0;
  let rdsCalls = 0;
  /** Armed just before the failure: the first state integration-recovery enters, with counts at that moment. */
  let armed: { executions: number; statements: Set<string>; rds: number } | undefined;
  let pathOwner: ExecutionRecord | undefined;
  let reached:
    | {
        at: number;
        realMs: number;
        state: string;
        statementIds: number;
        rds: number;
        transitions: number;
        lambdas: number;
      }
    | undefined;
  app = await startLocalOrchestrator({
    onEvent: (record: ExecutionRecord, event: EventLog) => {
      if (!firstEvent.has(record)) firstEvent.set(record, now());
      if (
        armed &&
        !reached &&
        event.type === 'StateEntered' &&
        record.machine === 'IntegrationRecoveryStateMachine' &&
        app
      ) {
        const since = app.sfn.executions.slice(armed.executions);
        const reconciles = since.filter((e) => e.machine === 'ReconcileStateMachine');
        const ids = new Set(app.stack.dataApi.log.map((l) => l.statementId));
        for (const id of armed.statements) ids.delete(id);
        reached = {
          at: now(),
          realMs: performance.now(),
          state: event.state?.name ?? '?',
          statementIds: ids.size,
          rds: rdsCalls - armed.rds,
          transitions: 0,
          lambdas: 0,
        };
        pathOwner = reconciles.find((e) => e.status === 'RUNNING') ?? reconciles[0];
      }
    },
  });
  const orchestrator = app;
  try {
    // Only the watchdog schedule fires: group refreshes would only add noise.
    const watchdog = orchestrator.rules.find(
      (r) => r.kind === 'schedule' && r.machine === 'ReconcileStateMachine',
    );
    if (!watchdog) throw new Error('serverless.yml has no watchdog schedule for reconcile');
    for (const r of orchestrator.rules) if (r.kind === 'schedule' && r !== watchdog) r.enabled = false;
    const initial = orchestrator.start('curated-refresh', { trigger: 'manual' }, 'reaction-initial');
    await initial.done;
    if (initial.status !== 'SUCCEEDED') throw new Error(`initial refresh failed: ${initial.cause ?? ''}`);

    const rds = orchestrator.stack.rds;
    const handle = rds.handle.bind(rds);
    rds.handle = async (params) => {
      rdsCalls++;
      return handle(params);
    };

    // 1. Integration event → first recovery step.
    let emitted: { at: number; realMs: number } | undefined;
    const unsubscribe = orchestrator.stack.events.onEvent((e) => {
      if (e.source === 'aws.redshift' && !emitted) emitted = { at: now(), realMs: performance.now() };
    });
    armed = {
      executions: orchestrator.sfn.executions.length,
      statements: new Set(orchestrator.stack.dataApi.log.map((l) => l.statementId)),
      rds: rdsCalls,
    };
    await orchestrator.stack.simulator.failIntegration('0007');
    // Let the rule, reconcile and the recovery's first state happen before time moves on.
    for (let waited = 0; !reached && waited < 60_000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await orchestrator.advance(60_000);
    await orchestrator.settle();
    unsubscribe();
    const step = reached;
    if (!step || !emitted) throw new Error('the integration failure did not start integration-recovery');
    // The path, read back from the reconcile execution's event log: its states up to the Task that
    // started integration-recovery, plus entering the recovery's first state.
    const states = new Map(allStates(loadDefinitions().ReconcileStateMachine ?? { StartAt: '', States: {} }));
    const enteredStates = (pathOwner?.events ?? []).flatMap((e) =>
      e.type === 'StateEntered' && e.state ? [e.state.name] : [],
    );
    const starter = enteredStates.findIndex((name) => {
      const def = states.get(name);
      return def !== undefined && childMachineOf(def) === 'IntegrationRecoveryStateMachine';
    });
    const onPath = enteredStates.slice(0, starter + 1);
    step.transitions = onPath.length + 1;
    step.lambdas = onPath.filter(
      (name) => functionKeyOf(states.get(name) ?? { Type: '' }) !== undefined,
    ).length;
    const path: ReactionResult['event'] = {
      simulatedSeconds: (step.at - emitted.at) / 1000,
      realMs: step.realMs - emitted.realMs,
      pathTransitions: step.transitions,
      pathLambdaInvocations: step.lambdas,
      pathDataApiStatements: step.statementIds,
      pathRdsCalls: step.rds,
      modeledAwsSeconds:
        (LATENCY_MS.eventBridgeDelivery +
          step.transitions * LATENCY_MS.stateTransition +
          step.lambdas * (LATENCY_MS.lambdaInvoke + LATENCY_MS.lambdaCompute) +
          step.statementIds * (LATENCY_MS.dataApiSubmit + LATENCY_MS.bookkeepingStatement) +
          step.rds * LATENCY_MS.dataApiDescribe +
          LATENCY_MS.childStart) /
        1000,
      firstStep: step.state,
    };

    // 2. Table Synced again → downstream rebuild, per watchdog interval.
    const timings = orchestrator.stack.simulator.timings;
    let trialNo = 0;
    const advanceStep = async () => {
      await orchestrator.advance(stepSeconds * 1000);
      await orchestrator.settle();
    };
    const reconciles = () =>
      orchestrator.sfn.executions.filter((e) => e.machine === 'ReconcileStateMachine').length;
    const watchdogResults: ReactionResult['watchdog'] = [];
    for (const minutes of intervals) {
      watchdog.expression = `rate(${minutes} minute${minutes === 1 ? '' : 's'})`;
      const trials: ReactionResult['watchdog'][number]['trials'] = [];
      for (const phase of phases) {
        // Line up on a watchdog tick (found in 1-minute jumps; its exact time is the first event of
        // the reconcile it started), then wait `phase` of the interval: nothing happens meanwhile.
        const ticks = reconciles();
        for (let i = 0; reconciles() === ticks && i <= minutes + 1; i++) {
          await orchestrator.advance(60_000);
          await orchestrator.settle();
        }
        const tick = orchestrator.sfn.executions
          .filter((e) => e.machine === 'ReconcileStateMachine')
          .map((e) => firstEvent.get(e) ?? 0)
          .reduce((a, b) => Math.max(a, b), 0);
        const offset = Math.round((phase * minutes * 60) / stepSeconds) * stepSeconds;
        const wait = tick + offset * 1000 - now();
        if (wait > 0) {
          await orchestrator.advance(wait);
          await orchestrator.settle();
        }
        const resyncStepMs = RESYNC_STEPS_MS[trialNo++ % RESYNC_STEPS_MS.length] ?? 60_000;
        timings.resyncStepMs = resyncStepMs;
        const executionsBefore = orchestrator.sfn.executions.length;
        const resyncStarted = now();
        await orchestrator.stack.simulator.resyncTable(TABLE.schema, TABLE.table, { reason: 'benchmark' });
        let rebuild: Seen | undefined;
        const deadline = resyncStarted + (3 * minutes + 15) * 60_000;
        while (!rebuild && now() < deadline) {
          await advanceStep();
          const record = orchestrator.sfn.executions
            .slice(executionsBefore)
            .find((e) => e.machine === 'CuratedRefreshStateMachine' && e.name.endsWith('-rebuild'));
          const at = record ? firstEvent.get(record) : undefined;
          if (record && at !== undefined) rebuild = { at, record };
        }
        if (!rebuild)
          throw new Error(
            `no downstream rebuild within ${3 * minutes + 15} minutes (watchdog ${minutes} min)`,
          );
        await orchestrator.settle();
        const changes = (await orchestrator.stack.warehouse.query(
          `SELECT trim(new_state) AS s, record_time AS t FROM sys_integration_table_state_change
           WHERE trim(table_name) = '${TABLE.table}' ORDER BY record_time`,
        )) as { s: string; t: Date | string }[];
        const initiated = changes.filter((c) => c.s === 'ResyncInitiated').at(-1);
        const initiatedAt = initiated
          ? new Date(
              `${String(initiated.t instanceof Date ? initiated.t.toISOString() : initiated.t)
                .replace(' ', 'T')
                .replace(/Z?$/, 'Z')}`,
            ).getTime()
          : resyncStarted;
        const syncedDue = initiatedAt + resyncStepMs;
        const viaRecovery = orchestrator.sfn.executions
          .slice(executionsBefore)
          .find((e) => e.machine === 'ResyncRecoveryStateMachine');
        const recoveryStart = viaRecovery ? firstEvent.get(viaRecovery) : undefined;
        trials.push({
          phaseSeconds: (resyncStarted - tick) / 1000,
          resyncSeconds: (syncedDue - resyncStarted) / 1000,
          latencySeconds: (rebuild.at - syncedDue) / 1000,
          path:
            recoveryStart !== undefined && recoveryStart < syncedDue
              ? 'resync-recovery was already polling (WaitForSync)'
              : 'next watchdog tick after Synced',
        });
      }
      const latencies = trials.map((t) => t.latencySeconds);
      watchdogResults.push({
        intervalMinutes: minutes,
        trials,
        meanSeconds: sum(latencies) / latencies.length,
        maxSeconds: max(latencies),
      });
    }
    return {
      event: path,
      watchdog: watchdogResults,
      stepSeconds,
      resyncStepSeconds: RESYNC_STEPS_MS.map((ms) => ms / 1000),
      realSeconds: (performance.now() - realStart) / 1000,
    };
  } finally {
    await orchestrator.close();
  }
});
