import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../local/sfn/definitions.js';
import { invalidExecutionName, LocalStepFunctions, MAX_STATE_DATA_BYTES } from '../../local/sfn/runner.js';

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
