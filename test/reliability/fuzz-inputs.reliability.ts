import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../local/app.js';
import { localFunctions } from '../../local/sfn/functions.js';
import type { LocalFunction } from '../../local/sfn/runner.js';
import { InvalidInputError } from '../../shared/errors.js';
import { isDefinedOutcome, SMALL_MODELS, startApp } from './support/local.js';
import { Recorder } from './support/results.js';
import { canary, canaryPattern, checkStatements } from './support/sql-taint.js';

/**
 * Property-based tests over the console inputs of the four public state machines (and the events
 * reconcile receives). Each generated input goes to the state machine's first Lambda step — the real
 * handler, talking to the embedded stack's Data API and RDS endpoints — as Step Functions would pass it;
 * a sample also runs through the whole state machine. Every input is either accepted or rejected with
 * an InvalidInputError naming the field; nothing else may be thrown; and in every statement the Data
 * API endpoint received, tainted input appears only inside a validated quoted identifier or a literal.
 */

const recorder = new Recorder('fuzz-inputs');
const SEED = Number(process.env.ZEO_RELIABILITY_SEED ?? 20261123);
const RUNS = Number(process.env.ZEO_RELIABILITY_FUZZ_SCALE ?? 1);

let app: LocalOrchestrator;
let fns: Record<string, LocalFunction>;
let logStart = 0;

beforeAll(async () => {
  app = await startApp();
  fns = localFunctions(undefined, app.wiring);
  logStart = app.stack.dataApi.log.length;
}, 300_000);
afterAll(async () => {
  await app?.close();
});

// ---- Generators ---------------------------------------------------------------------------------------

let seq = 1;
/** A hostile string carrying a canary (lower-case, so it also passes loose patterns and reaches SQL). */
const tainted = fc
  .tuple(
    fc.constantFrom(
      '',
      "'",
      '"',
      ';',
      ' ',
      '--',
      '/*',
      '\\',
      '.',
      ':',
      '-',
      '_x',
      ')',
      "'; DROP TABLE zeo.run_log; --",
      '\n',
      '$$',
      'é',
    ),
    fc.constantFrom('', "'", '+', '.', '_', ' '),
  )
  .map(([a, b]) => `${canary(seq++)}${a}${b}`);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A canary that passes the loose patterns (run ids, triggers), so accepted input carries it into SQL. */
const plainCanary = fc.nat().map(() => canary(seq++));

/** Mostly valid values, sometimes a hostile or wrongly typed one: most inputs get past validation. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: invalid });

/** Step Functions execution names: 1-80 characters, no whitespace or the reserved punctuation. */
const executionName = fc.oneof(
  { weight: 3, arbitrary: plainCanary.map((c) => `run-${c}`) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_'.!@()=+-]{1,40}$/) },
  {
    weight: 1,
    arbitrary: tainted.map((s) => s.replace(/[\s"<>{}[\]?*#%\\^|~`$&,;:/]/g, '').slice(0, 80) || 'x'),
  },
);

const MODELS = SMALL_MODELS;
const validSelector = fc.constantFrom(
  ...MODELS,
  ...MODELS.map((m) => `${m}+`),
  ...MODELS.map((m) => `+${m}`),
  'source:public.orders+',
  'group:hourly',
  '*',
  'dim_customers, dim_products',
);
const selector = mostly(
  validSelector,
  fc.oneof(
    tainted,
    tainted.map((t) => `${t}+`),
    tainted.map((t) => `source:public.${t}+`),
    fc.string({ maxLength: 30 }),
    fc.string({ minLength: 4001, maxLength: 4100 }),
    wrongType,
  ),
);
const trigger = mostly(
  fc.oneof(fc.constantFrom('manual', 'schedule', 'resync'), plainCanary),
  fc.oneof(tainted, fc.string({ maxLength: 70 }), wrongType),
);
const groupName = mostly(
  fc.constantFrom('hourly', 'nightly'),
  fc.oneof(fc.constant('weekly'), tainted, fc.string({ maxLength: 45 }), wrongType),
);
const extraKey = fc.record({ zz_extra: anyJson });

const withExtra = <T>(record: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 12, arbitrary: record },
    { weight: 1, arbitrary: fc.tuple(record, extraKey).map(([r, e]) => ({ ...r, ...e })) },
    { weight: 1, arbitrary: anyJson },
  );

const curatedRefreshInput = withExtra(
  fc.record(
    { select: selector, group: groupName, fullRefresh: mostly(fc.boolean(), wrongType), trigger },
    { requiredKeys: [] },
  ),
);

const table = mostly(
  fc.constantFrom('public.orders', 'public.customers', 'public.payments', 'public.shipments'),
  fc.oneof(
    fc.constantFrom('public.nope', 'orders', 'a.b.c'),
    tainted.map((t) => `public.${t}`),
    tainted,
    wrongType,
  ),
);
const resyncInput = withExtra(
  fc.record(
    {
      tables: mostly(
        fc.array(table, { minLength: 1, maxLength: 4 }),
        fc.oneof(wrongType, fc.array(fc.constant('public.orders'), { minLength: 501, maxLength: 502 })),
      ),
      requestRefresh: mostly(fc.boolean(), wrongType),
      trigger,
    },
    { requiredKeys: ['tables'] },
  ),
);

const CONFIGURED = 'arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11';
const integrationArn = mostly(
  fc.constantFrom(
    CONFIGURED,
    'arn:aws:rds:us-east-1:123456789012:integration:ffffffff-1111-2222-3333-444444444444',
  ),
  fc.oneof(
    fc.constant('arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora'),
    tainted.map((t) => `arn:aws:rds:us-east-1:123456789012:integration:${t}`),
    tainted,
    wrongType,
  ),
);
const recoveryInput = withExtra(
  fc.record(
    {
      integrationArn,
      reason: mostly(
        fc.record(
          {
            eventId: mostly(
              fc.constantFrom('REDSHIFT-INTEGRATION-EVENT-0007', 'REDSHIFT-INTEGRATION-EVENT-1001'),
              fc.oneof(fc.constant('REDSHIFT-INTEGRATION-EVENT-99999'), tainted, wrongType),
            ),
            detailType: mostly(
              plainCanary,
              fc.oneof(wrongType, fc.string({ minLength: 129, maxLength: 140 })),
            ),
            status: mostly(fc.constantFrom('failed', 'needs_attention'), fc.oneof(tainted, wrongType)),
            message: mostly(tainted, fc.string({ minLength: 1001, maxLength: 1100 })),
          },
          { requiredKeys: [] },
        ),
        wrongType,
      ),
      dryRun: mostly(fc.boolean(), wrongType),
    },
    { requiredKeys: ['integrationArn'] },
  ),
);

const detailTypes = fc.constantFrom(
  'Redshift Integration Monitoring',
  'Redshift Integration Configuration',
  'Redshift Integration Operation',
  'Something Else',
);
const reconcileEvent = fc.oneof(
  fc.constant({ trigger: 'watchdog' }),
  fc.constant({}),
  anyJson,
  fc.record(
    {
      version: fc.constant('0'),
      id: mostly(fc.uuid(), fc.oneof(tainted, fc.constant(''), wrongType)),
      'detail-type': mostly(detailTypes, fc.oneof(tainted, wrongType)),
      source: mostly(fc.constant('aws.redshift'), fc.oneof(fc.constant('aws.rds'), tainted)),
      time: mostly(
        fc.constantFrom('2026-11-23T10:00:00Z', '2020-01-01T00:00:00Z', '2099-01-01T00:00:00Z'),
        fc.oneof(fc.constant('yesterday'), tainted, wrongType),
      ),
      resources: mostly(fc.array(integrationArn, { maxLength: 3 }), wrongType),
      detail: mostly(
        fc.record(
          {
            eventId: mostly(
              fc.constantFrom(
                'REDSHIFT-INTEGRATION-EVENT-0007',
                'REDSHIFT-INTEGRATION-EVENT-0013',
                'REDSHIFT-INTEGRATION-EVENT-1001',
              ),
              fc.oneof(tainted, wrongType),
            ),
            severity: mostly(fc.constantFrom('ERROR', 'INFO'), wrongType),
            eventDescription: fc.oneof(tainted, fc.string({ maxLength: 300 })),
            integrationArn,
          },
          { requiredKeys: [] },
        ),
        anyJson,
      ),
    },
    { requiredKeys: ['source'] },
  ),
);

// ---- Running inputs against the first step ----------------------------------------------------------------

interface Surface {
  name: string;
  machine: string;
  /** The Lambda the state machine starts with, and the payload the ASL gives it. */
  fn: string;
  payload(input: unknown, name: string): unknown;
  /** The first step may reject the input; reconcile's AssessState must accept anything. */
  mayReject: boolean;
}

const SURFACES: Surface[] = [
  {
    name: 'console input: curated-refresh',
    machine: 'curated-refresh',
    fn: 'planRefresh',
    payload: (input, name) => ({ input, executionName: name, startTime: new Date().toISOString() }),
    mayReject: true,
  },
  {
    name: 'console input: resync-recovery',
    machine: 'resync-recovery',
    fn: 'checkTableStates',
    payload: (input, name) => ({ input, executionName: name }),
    mayReject: true,
  },
  {
    name: 'console input: integration-recovery',
    machine: 'integration-recovery',
    fn: 'checkRecoveryGuardrails',
    payload: (input, name) => ({ input, executionName: name }),
    mayReject: true,
  },
  {
    name: 'console input: reconcile (events)',
    machine: 'reconcile',
    fn: 'assessState',
    payload: (input, name) => ({ event: input, executionName: name }),
    mayReject: false,
  },
];

interface Tally {
  cases: number;
  accepted: number;
  rejected: number;
  unhandled: number;
  unnamed: number;
  sql_leaks: number;
  statements_checked: number;
}
const tallies = new Map<string, Tally>();
const problems: string[] = [];

/** Fields the input schemas require: a missing one is named although the input does not have it. */
const REQUIRED = ['integrationArn', 'tables'];

/** Does every issue name a field of the input (or the root, for input that is not an object)? */
function namesInputFields(error: InvalidInputError, input: unknown, extraFields: readonly string[]): boolean {
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  const keys = isObject ? Object.keys(input as Record<string, unknown>) : [];
  return (
    error.issues.length > 0 &&
    error.issues.every((issue) => {
      const field = issue.field ?? '';
      if (field.length === 0) return false;
      // Unknown keys are reported on the object that has them, with the keys in the message.
      const unknown = /^unknown key\(s\): (.+)$/.exec(issue.message);
      if (unknown) return (unknown[1] ?? '').split(', ').every((k) => keys.includes(k) || field !== '(root)');
      // null/undefined input counts as {} (the ASL passes $ even when the console sent nothing).
      if (!isObject)
        return field === '(root)' || [...extraFields, ...REQUIRED].some((f) => field.startsWith(f));
      const top = field.split(/[.[]/)[0] ?? '';
      return keys.includes(top) || extraFields.includes(top) || REQUIRED.includes(top);
    }) &&
    error.message.length > 0
  );
}

async function exercise(surface: Surface, input: unknown, name: string): Promise<boolean> {
  const t = tallies.get(surface.name) ?? {
    cases: 0,
    accepted: 0,
    rejected: 0,
    unhandled: 0,
    unnamed: 0,
    sql_leaks: 0,
    statements_checked: 0,
  };
  tallies.set(surface.name, t);
  t.cases++;
  const fn = fns[surface.fn];
  if (!fn) throw new Error(`no function ${surface.fn}`);
  try {
    await fn(surface.payload(input, name));
    t.accepted++;
    return true;
  } catch (error) {
    if (surface.mayReject && error instanceof InvalidInputError) {
      t.rejected++;
      if (!namesInputFields(error, input, surface.fn === 'planRefresh' ? ['executionName'] : [])) {
        t.unnamed++;
        problems.push(`${surface.name}: ${JSON.stringify(input)?.slice(0, 200)} → ${error.message}`);
        return false;
      }
      return true;
    }
    t.unhandled++;
    problems.push(
      `${surface.name}: ${JSON.stringify(input)?.slice(0, 200)} (name ${name}) → unhandled ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return false;
  }
}

describe('Fuzz: console inputs of the four state machines, at their first step', () => {
  const inputs = [curatedRefreshInput, resyncInput, recoveryInput, reconcileEvent];
  for (const [i, surface] of SURFACES.entries()) {
    it(`${surface.name}: accepted, or rejected naming the field; never another error`, async () => {
      problems.length = 0;
      const arbitrary = inputs[i];
      if (!arbitrary) throw new Error('no generator');
      await fc.assert(
        fc.asyncProperty(arbitrary, executionName, (input, name) => exercise(surface, input, name)),
        { numRuns: 550 * RUNS, seed: SEED + 10 + i, endOnFailure: true },
      );
      expect(problems.slice(0, 5)).toEqual([]);
    });
  }
});

/**
 * Every console input but `null`: aws-local-stepfunctions cannot evaluate "$" on a null input (States.Runtime
 * "Path expression '$' does not point to a value"), where AWS passes null on and the first step reads
 * it as {}. Arrays and scalars are included (they used to end in States.ResultPathMatchFailure).
 */
const notNull = (input: unknown) => input !== null;

describe('Fuzz: console inputs through the whole state machines', () => {
  it('every execution reaches a defined outcome (success, or a Fail state of the ASL)', async () => {
    problems.length = 0;
    const machineInputs: [string, fc.Arbitrary<unknown>][] = [
      [
        'curated-refresh',
        fc.oneof(
          { weight: 6, arbitrary: curatedRefreshInput },
          {
            weight: 1,
            arbitrary: fc.record({
              select: fc.constantFrom('dim_products', 'mv_payment_methods'),
              trigger: trigger,
            }),
          },
        ),
      ],
      [
        'resync-recovery',
        fc.oneof(
          { weight: 6, arbitrary: resyncInput },
          { weight: 1, arbitrary: fc.constant({ tables: ['public.products'] }) },
        ),
      ],
      ['integration-recovery', recoveryInput],
      ['reconcile', reconcileEvent],
    ];
    const t = {
      cases: 0,
      accepted: 0,
      rejected: 0,
      unhandled: 0,
      unnamed: 0,
      sql_leaks: 0,
      statements_checked: 0,
    };
    for (const [k, [machine, arbitrary]] of machineInputs.entries()) {
      const samples = fc.sample(arbitrary.filter(notNull), { numRuns: 20 * RUNS, seed: SEED + 20 + k });
      for (const [j, input] of samples.entries()) {
        t.cases++;
        const execution = app.start(machine, input, `fuzz-${machine}-${j}`);
        await execution.done;
        await app.settle();
        if (!isDefinedOutcome(execution)) {
          t.unhandled++;
          problems.push(
            `${machine} ${JSON.stringify(input)?.slice(0, 200)} → ${execution.error}: ${execution.cause}`,
          );
        } else if (execution.status === 'SUCCEEDED') t.accepted++;
        else t.rejected++;
      }
    }
    tallies.set('console input: whole state machines', t);
    expect(problems.slice(0, 5)).toEqual([]);
  });
});

/** Console input that is not a JSON object: [1], 42, "text", true, ["a","b"]. */
const NOT_OBJECTS: unknown[] = [[1], 42, 'text', true, ['a', 'b']];

describe('Console input that is not a JSON object', () => {
  // Was a bug: the first Task's Catch of InvalidInputError put the error at "$.error", which cannot be
  // applied to an array or a scalar, so the execution ended in States.ResultPathMatchFailure.
  it('ends the execution with InvalidInputError for every state machine, naming the input and touching nothing', async () => {
    await app.settle();
    const statementsBefore = app.stack.dataApi.log.length;
    const rdsCallsBefore = app.stack.rds.log.length;
    const outcomes: string[] = [];
    const unnamed: string[] = [];
    for (const machine of ['curated-refresh', 'resync-recovery', 'integration-recovery']) {
      for (const [j, input] of NOT_OBJECTS.entries()) {
        const execution = app.start(machine, input, `not-object-${machine}-${j}`);
        await execution.done;
        outcomes.push(`${machine} ${JSON.stringify(input)}: ${execution.error}`);
        // The first step's rejection names the input (its root): "(root): … expected object, received …".
        const caught = execution.events.find((e) => e.type === 'StateCaught' || e.type === 'StateFailed');
        if (!/invalid input: \(root\): .*expected object/.test(JSON.stringify(caught) ?? ''))
          unnamed.push(`${machine} ${JSON.stringify(input)}: ${JSON.stringify(caught)?.slice(0, 300)}`);
      }
    }
    await app.settle();
    const wrong = outcomes.filter((o) => !o.endsWith(': InvalidInputError'));
    expect(wrong, wrong.join('\n')).toEqual([]);
    expect(unnamed, unnamed.join('\n')).toEqual([]);
    expect(app.stack.dataApi.log.slice(statementsBefore).map((r) => r.sql)).toEqual([]);
    expect(app.stack.rds.log.slice(rdsCallsBefore)).toEqual([]);
  });

  it('reconcile records such an event as ignored and starts nothing', async () => {
    await app.settle();
    const started = app.sfn.executions.length;
    for (const [j, input] of NOT_OBJECTS.entries()) {
      const execution = app.start('reconcile', input, `not-object-reconcile-${j}`);
      await execution.done;
      expect(
        execution.status,
        `reconcile ${JSON.stringify(input)}: ${execution.error}: ${execution.cause}`,
      ).toBe('SUCCEEDED');
      expect(execution.output).toMatchObject({ route: 'ignore' });
    }
    await app.settle();
    expect(app.sfn.executions.length).toBe(started + NOT_OBJECTS.length);
  });
});

describe('Tainted input never reaches SQL unquoted', () => {
  it('every statement the Data API endpoint received during the fuzzing is safe', () => {
    const received = app.stack.dataApi.log.slice(logStart);
    const report = checkStatements(received, canaryPattern);
    const t = tallies.get('console input: SQL received by the Data API') ?? {
      cases: 0,
      accepted: 0,
      rejected: 0,
      unhandled: 0,
      unnamed: 0,
      sql_leaks: 0,
      statements_checked: 0,
    };
    t.statements_checked = report.statements;
    t.sql_leaks = report.leaks.length + report.structural.length;
    tallies.set('console input: SQL received by the Data API', t);
    const tainted = received.filter((r) => canaryPattern.test(r.sql)).length;
    recorder.finding(
      `console-input fuzzing: ${report.statements} statements received by the Data API endpoint, ${tainted} of them carrying fuzzed text, ${report.leaks.length} leaks`,
    );
    expect(report.statements).toBeGreaterThan(1000);
    expect(report.structural).toEqual([]);
    expect(report.leaks).toEqual([]);
  });
});

afterAll(() => {
  for (const [surface, t] of tallies) recorder.fuzz(surface, t);
});
