import { describe, expect, it, vi } from 'vitest';
import { loadDefinitions } from '../../local/sfn/definitions.js';
import {
  invalidExecutionName,
  LocalStepFunctions,
  MAX_STATE_DATA_BYTES,
  MAX_WAIT_SECONDS,
} from '../../local/sfn/runner.js';

/**
 * The local Step Functions runner refuses what StartExecution refuses, so a state machine that builds
 * an invalid child name fails here as it would on AWS. Source: Step Functions API reference,
 * StartExecution, Request Parameters, `name` — "Length Constraints: Minimum length of 1. Maximum length
 * of 80", and a name must not contain white space, brackets, wildcard characters, the special
 * characters " # % \ ^ | ~ ` $ & , ; : / or control characters.
 */
describe('Local Step Functions: execution names as StartExecution checks them', () => {
  it('accepts 1 to 80 letters, digits, - and _ (and other printable characters the rule allows)', () => {
    expect(invalidExecutionName('a')).toBeUndefined();
    expect(invalidExecutionName('x'.repeat(80))).toBeUndefined();
    expect(invalidExecutionName('resync-orders_2026.12.03')).toBeUndefined();
  });

  it.each([
    ['', /0 characters/],
    ['x'.repeat(81), /81 characters; 1 to 80/],
    ['has space', /' ' is not allowed/],
    ['a/b', /'\/' is not allowed/],
    ['a:b', /':' is not allowed/],
    ['a*', /'\*' is not allowed/],
    ['a{b}', /'\{' is not allowed/],
    ['tab\there', /'\t' is not allowed/],
  ])('refuses %j', (name, why) => {
    expect(invalidExecutionName(name)).toMatch(why);
  });

  it('a start with an invalid name fails with InvalidName and starts nothing', () => {
    const sfn = new LocalStepFunctions({ definitions: loadDefinitions(), functions: {} });
    expect(() => sfn.start('CuratedRefreshStateMachine', {}, 'x'.repeat(81))).toThrow(
      expect.objectContaining({ name: 'StepFunctions.InvalidNameException' }),
    );
    expect(sfn.executions).toEqual([]);
  });
});

/**
 * Step Functions' 256 KiB of data per state (developer guide, "Step Functions service quotas":
 * maximum input or output size for a task, state or execution, 256 KiB as a UTF-8 string) and its
 * error: States.DataLimitExceeded, "a terminal error that can't be caught by the States.ALL error type"
 * (developer guide, "Handling errors in Step Functions workflows", error names).
 */
describe('Local Step Functions: 256 KiB of data per state, failing as States.DataLimitExceeded', () => {
  const caught = {
    big: {
      StartAt: 'Produce',
      States: {
        Produce: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: { 'Fn::GetAtt': ['ProduceLambdaFunction', 'Arn'] }, 'Payload.$': '$' },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Handled' }],
          Next: 'Done',
        },
        Handled: { Type: 'Pass', End: true },
        Done: { Type: 'Succeed' },
      },
    },
  };
  const runner = (bytes: number) =>
    new LocalStepFunctions({
      definitions: caught as never,
      functions: { produce: async () => ({ text: 'x'.repeat(bytes) }) },
    });

  it('a task result over 256 KiB fails the execution, and States.ALL does not catch it', async () => {
    const sfn = runner(MAX_STATE_DATA_BYTES);
    const run = await sfn.start('big', {}, 'too-big').done;
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.DataLimitExceeded');
    expect(run.cause).toMatch(/the result of task Produce is \d+ bytes, over the 262144 bytes/);
    expect(run.events.some((e) => e.type === 'StateEntered' && e.state?.name === 'Handled')).toBe(false);
  });

  it('a result just under the limit passes', async () => {
    const run = await runner(MAX_STATE_DATA_BYTES - 100).start('big', {}, 'fits').done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
  });

  it('an execution input over 256 KiB is refused by StartExecution', () => {
    const sfn = runner(1);
    expect(() => sfn.start('big', { text: 'x'.repeat(MAX_STATE_DATA_BYTES) }, 'big-input')).toThrow(
      expect.objectContaining({ name: 'StepFunctions.InvalidExecutionInputException' }),
    );
    expect(sfn.executions).toEqual([]);
  });
});

/**
 * A Wait state's SecondsPath must select a non-negative integer (developer guide, "Wait workflow
 * state"), within what a standard workflow can run (a year, "Step Functions service quotas");
 * otherwise the execution fails with States.Runtime ("Error names": not retriable, not caught by
 * States.ALL). The runner skips the wait (simulated time) but checks the value.
 */
describe('Local Step Functions: Wait SecondsPath is read and checked', () => {
  const definitions = {
    waiting: {
      StartAt: 'Pause',
      States: { Pause: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Done' }, Done: { Type: 'Succeed' } },
    },
  };
  const waited: number[] = [];
  const sfn = new LocalStepFunctions({
    definitions: definitions as never,
    functions: {},
    onWait: (seconds) => void waited.push(seconds),
  });

  it('waits the seconds it selects', async () => {
    const run = await sfn.start('waiting', { seconds: 42 }, 'wait-42').done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(waited).toContain(42);
  });

  it.each([
    [{ seconds: -1 }, /negative/],
    [{ seconds: 1.5 }, /not an integer/],
    [{ seconds: '10' }, /not an integer/],
    [{}, /selects nothing/],
    [{ seconds: MAX_WAIT_SECONDS + 1 }, /longer than a standard workflow can run/],
  ])('fails the execution with States.Runtime for %j', async (input, why) => {
    const run = await sfn.start('waiting', input, `wait-bad-${waited.length}-${JSON.stringify(input).length}`)
      .done;
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Runtime');
    expect(run.cause).toMatch(why);
    // The runner checks the value from the event stream, so the (zero-length) wait may have ended and
    // the next state begun before the stop lands; the execution's outcome is AWS's.
  });
});

/**
 * A Task state without TimeoutSeconds has no state timeout on AWS: "By default, the Amazon States
 * Language doesn't specify timeouts" (developer guide, "Using timeouts to avoid stuck Step Functions
 * workflow executions"; "Task workflow state": TimeoutSeconds defaults to 99999999). A Lambda task is
 * bounded by the function's own timeout instead. aws-local-stepfunctions 3.0.0 imposed 60 s, so a
 * step slower than that locally failed with States.Timeout where AWS would wait; patches/ removes
 * that default and keeps an explicit TimeoutSeconds.
 */
describe('Local Step Functions: no default task timeout', () => {
  const definitionWith = (timeout?: number) => ({
    slow: {
      StartAt: 'Slow',
      States: {
        Slow: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: { 'Fn::GetAtt': ['SlowLambdaFunction', 'Arn'] }, 'Payload.$': '$' },
          ...(timeout === undefined ? {} : { TimeoutSeconds: timeout }),
          End: true,
        },
      },
    },
  });
  const runSlow = async (taskSeconds: number, timeout?: number) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const sfn = new LocalStepFunctions({
        definitions: definitionWith(timeout) as never,
        functions: {
          slow: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), taskSeconds * 1000)),
        },
      });
      const run = sfn.start('slow', {}, `slow-${taskSeconds}-${timeout ?? 'none'}`).done;
      await vi.advanceTimersByTimeAsync(taskSeconds * 1000 + 1000);
      return await run;
    } finally {
      vi.useRealTimers();
    }
  };

  it('a task that runs 10 minutes without TimeoutSeconds succeeds', async () => {
    const run = await runSlow(600);
    expect(run.status, run.cause).toBe('SUCCEEDED');
  });

  it('an explicit TimeoutSeconds still fails a slower task with States.Timeout', async () => {
    const run = await runSlow(10, 5);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Timeout');
  });
});

/**
 * Intrinsic functions (developer guide, "Intrinsic functions for JSONPath states", "Reserved
 * characters in intrinsic functions"): in a literal string argument ' { } and \ are escaped with a
 * backslash to stand for themselves, so "\{\}" in a States.Format template is text, not a
 * placeholder. Values taken from paths are inserted as they are, and States.JsonToString returns
 * JSON (quotes and backslashes escaped), which States.StringToJson reads back. aws-local-stepfunctions
 * 3.0.0 removed every backslash from every string result — mangling inserted values and making
 * JsonToString's output invalid JSON; patches/ unescapes literal arguments only.
 */
describe('Local Step Functions: intrinsic functions keep escapes as AWS does', () => {
  const definitions = {
    format: {
      StartAt: 'Shape',
      States: {
        Shape: {
          Type: 'Pass',
          Parameters: {
            'json.$': 'States.JsonToString($.value)',
            'text.$': "States.Format('reason: {}', $.reason)",
            'literal.$': String.raw`States.Format('literal \{\} and it\'s {}', $.n)`,
            'nested.$': "States.Format('tables: {}', States.JsonToString($.tables))",
            'roundTrip.$': 'States.StringToJson(States.JsonToString($.value))',
          },
          End: true,
        },
      },
    },
  };
  const value = { quote: 'say "hi"', path: String.raw`C:\tmp\new`, tab: 'a\tb' };
  const input = {
    value,
    reason: String.raw`relation "public.x\y" does not exist`,
    n: 7,
    tables: ['public."Odd"'],
  };

  it('formats and serializes without losing or adding characters', async () => {
    const sfn = new LocalStepFunctions({ definitions: definitions as never, functions: {} });
    const run = await sfn.start('format', input, 'format-escapes').done;
    expect(run.status, run.cause).toBe('SUCCEEDED');
    const output = run.output as Record<string, unknown>;
    expect(JSON.parse(String(output.json))).toEqual(value);
    expect(output.text).toBe(String.raw`reason: relation "public.x\y" does not exist`);
    expect(output.literal).toBe("literal {} and it's 7");
    expect(output.nested).toBe(`tables: ${JSON.stringify(input.tables)}`);
    expect(output.roundTrip).toEqual(value);
  });

  it('a template whose placeholders do not match its arguments fails with States.Runtime', async () => {
    const sfn = new LocalStepFunctions({
      definitions: {
        bad: {
          StartAt: 'Shape',
          States: {
            Shape: { Type: 'Pass', Parameters: { 'x.$': String.raw`States.Format('\{\} {}')` }, End: true },
          },
        },
      } as never,
      functions: {},
    });
    const run = await sfn.start('bad', {}, 'format-mismatch').done;
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Runtime');
  });
});
