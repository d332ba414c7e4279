import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../local/sfn/definitions.js';
import { invalidExecutionName, LocalStepFunctions } from '../../local/sfn/runner.js';

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
