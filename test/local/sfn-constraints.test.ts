import { describe, expect, it } from 'vitest';
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
