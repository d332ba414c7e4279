import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AslDefinition, type AslState, loadDefinitions, waitLoop } from '../../local/sfn/definitions.js';
import { localFunctions } from '../../local/sfn/functions.js';
import { historyWeight, stateIndex } from '../../local/sfn/history.js';
import { type EventLog, type ExecutionRecord, LocalStepFunctions } from '../../local/sfn/runner.js';
import { HISTORY_EVENTS_PER_TICK, HISTORY_LIMIT, TICKS_PER_EXECUTION } from '../../shared/refresh/polling.js';
import { createFakeAws, type FakeAws } from '../helpers/fake-aws.js';
import { localStepFunctions, runToEnd } from '../helpers/local-sfn.js';

/**
 * A curated-refresh execution runs one dispatcher tick (WaitForBuilds → DispatchBuilds → NextStep) per
 * look at the builds in flight, and continues as a new execution after TICKS_PER_EXECUTION ticks; AWS
 * fails an execution whose history reaches 25,000 events. The tick cost the product budgets with
 * (HISTORY_EVENTS_PER_TICK) is counted here from the ASL as it is — statically, and from the event log
 * of a real execution — so a new state in the loop cannot silently break the bound.
 */

const definition = loadDefinitions().CuratedRefreshStateMachine as AslDefinition;
const states = stateIndex(definition);
const BUDGET = HISTORY_LIMIT * 0.4;

const weightOf = (name: string, state: AslState) =>
  historyWeight({ type: 'StateEntered', state: { name, type: state.Type } }, states) +
  historyWeight({ type: 'StateExited', state: { name, type: state.Type } }, states);

const tickCycle = () => waitLoop(definition);

const weigh = (events: readonly EventLog[]) => events.reduce((n, e) => n + historyWeight(e, states), 0);

/** AWS history events of each tick of an execution: from one WaitForBuilds to the next. */
function tickWeights(record: ExecutionRecord): number[] {
  const starts = record.events.flatMap((e, i) =>
    e.type === 'StateEntered' && e.state?.name === 'WaitForBuilds' ? [i] : [],
  );
  return starts.slice(0, -1).map((start, k) => weigh(record.events.slice(start, starts[k + 1])));
}

describe('History budget of a curated-refresh execution', () => {
  it('counts one tick of the ASL as it is: Wait → DispatchBuilds → NextStep, HISTORY_EVENTS_PER_TICK events', () => {
    const cycle = tickCycle();
    expect(cycle).toEqual(['WaitForBuilds', 'DispatchBuilds', 'NextStep']);
    const weight = cycle.reduce((n, name) => n + weightOf(name, states.get(name) as AslState), 0);
    expect(weight).toBe(HISTORY_EVENTS_PER_TICK);
    // The only Task of the loop calls the dispatcher (5 events a call), and the loop closes on it.
    expect(states.get('DispatchBuilds')?.Next).toBe('NextStep');
  });

  it('continues as a new execution before 40 % of 25,000 events, however many builds or retries', () => {
    // Everything outside the loop at most once (an over-estimate: no execution takes every branch).
    const outside = [...states]
      .filter(([name]) => !tickCycle().includes(name))
      .reduce((n, [name, state]) => n + weightOf(name, state), 0);
    const execution = 2; // ExecutionStarted, ExecutionSucceeded/Failed
    const worst = execution + outside + TICKS_PER_EXECUTION * HISTORY_EVENTS_PER_TICK;
    expect(worst).toBeLessThanOrEqual(BUDGET);
    // Leaves 60 % of the limit for retried attempts (3 events each): more than 4 per tick.
    expect((HISTORY_LIMIT - worst) / 3 / TICKS_PER_EXECUTION).toBeGreaterThan(4);
    // …and is not needlessly small: 12 more ticks would pass the budget.
    expect(worst + 12 * HISTORY_EVENTS_PER_TICK).toBeGreaterThan(BUDGET);
    expect(TICKS_PER_EXECUTION).toBeGreaterThanOrEqual(1000);
  });

  it('is described in docs/architecture.md with the figures the code computes', () => {
    const doc = readFileSync('docs/architecture.md', 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain(`A tick costs ${HISTORY_EVENTS_PER_TICK} events`);
    expect(doc).toContain(`\`TICKS_PER_EXECUTION\` = ${TICKS_PER_EXECUTION.toLocaleString('en-US')} ticks`);
  });
});

describe('History of a real curated-refresh execution (real ASL and handlers)', () => {
  let aws: FakeAws;
  beforeAll(async () => {
    aws = await createFakeAws();
  });
  afterAll(async () => {
    aws.restore();
    await aws.warehouse.close();
  });
  beforeEach(() => aws.reset());

  it('every tick costs HISTORY_EVENTS_PER_TICK events, whatever the number of builds in flight', async () => {
    aws.faults.pollsBeforeDone = 4;
    const run = await runToEnd(localStepFunctions(), 'CuratedRefreshStateMachine', {}, 'history-ticks');
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const ticks = tickWeights(run);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ticks)).toEqual(new Set([HISTORY_EVENTS_PER_TICK]));
    // The whole execution: ticks plus a bounded part outside the loop, far under the budget.
    const total = weigh(run.events);
    const outside = total - (ticks.length + 1) * HISTORY_EVENTS_PER_TICK;
    expect(outside).toBeGreaterThan(0);
    expect(outside).toBeLessThan(100);
  });

  it('a tick whose DispatchBuilds attempt is retried costs 3 events more, and nothing else', async () => {
    aws.faults.pollsBeforeDone = 3;
    // The second DispatchBuilds invocation (the first tick after a wait) is throttled by Lambda once.
    const functions = localFunctions();
    let calls = 0;
    const real = functions.dispatchBuilds;
    if (!real) throw new Error('no dispatchBuilds function');
    functions.dispatchBuilds = async (payload) => {
      if (++calls === 2)
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      return real(payload);
    };
    const sfn = new LocalStepFunctions({ definitions: loadDefinitions(), functions });
    const run = await runToEnd(
      sfn,
      'CuratedRefreshStateMachine',
      { select: 'dim_products' },
      'history-retried',
    );
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type === 'StateRetried').map((e) => e.state?.name)).toEqual([
      'DispatchBuilds',
    ]);
    // Four looks, three whole ticks between them (the last one ends in the summary).
    expect(tickWeights(run)).toEqual([
      HISTORY_EVENTS_PER_TICK + 3,
      HISTORY_EVENTS_PER_TICK,
      HISTORY_EVENTS_PER_TICK,
    ]);
  });
});
