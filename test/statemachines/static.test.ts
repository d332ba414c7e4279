import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import validate from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  allStates,
  loadDefinitions,
  STATE_MACHINE_FILES,
  STATE_MACHINE_NAMES,
} from '../../local/sfn/definitions.js';
import { FUNCTIONS } from '../../local/sfn/functions.js';
import { STATE_MACHINE_INPUTS } from '../../shared/contracts/state-machine-inputs.js';
import * as errors from '../../shared/errors.js';

const require = createRequire(import.meta.url);
const { MACHINE_FILES } = require('../../scripts/serverless-config.cjs') as {
  MACHINE_FILES: Record<string, string>;
};

interface ServerlessConfig {
  functions: Record<string, { handler: string }>;
  stepFunctions: { stateMachines: Record<string, { id: string; definition: string }> };
}

const serverless = parse(readFileSync('serverless.yml', 'utf8')) as ServerlessConfig;
const definitions = loadDefinitions();
const functionLogicalIds = new Set(
  Object.keys(serverless.functions).map((k) => `${k.charAt(0).toUpperCase()}${k.slice(1)}LambdaFunction`),
);
const machineIds = new Set(Object.values(serverless.stepFunctions.stateMachines).map((m) => m.id));
const errorNames = new Set(
  Object.values(errors).flatMap((value) => {
    if (typeof value !== 'function' || !(value.prototype instanceof Error)) return [];
    return [(Reflect.construct(value, [[]]) as Error).name];
  }),
);
const LAMBDA_RETRY: string[] = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
// Sandbox.Timedout: a Lambda timeout as the Lambda runtime names it (next to Lambda.Unknown).
const AWS_ERROR = /^(States|Lambda|StepFunctions|Sandbox)\./;

describe.each(Object.entries(definitions))('State machine %s (static)', (id, definition) => {
  const states = [...allStates(definition)];

  it('is valid ASL (asl-validator, JSONPath)', () => {
    const result = validate(structuredClone(definition), { checkPaths: true, checkArn: false });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
    expect(JSON.stringify(definition)).not.toContain('JSONata');
  });

  it('is a state machine of serverless.yml, and references only its functions and state machines', () => {
    expect(machineIds.has(id)).toBe(true);
    const file = STATE_MACHINE_FILES[id];
    // Deployed through the config script, which reads this very file (and writes its partition).
    const [key, machine] =
      Object.entries(serverless.stepFunctions.stateMachines).find(([, m]) => m.id === id) ?? [];
    expect(machine?.definition).toBe(`\${file(./scripts/serverless-config.cjs):definitions.${key}}`);
    expect(MACHINE_FILES[key ?? '']).toBe(file);
    for (const [name, state] of states) {
      const getAtt = (state.Parameters?.FunctionName as { 'Fn::GetAtt'?: string[] } | undefined)?.[
        'Fn::GetAtt'
      ]?.[0];
      if (getAtt) expect(functionLogicalIds.has(getAtt), `${name} → ${getAtt}`).toBe(true);
      const ref = (state.Parameters?.StateMachineArn as { Ref?: string } | undefined)?.Ref;
      if (ref) expect(machineIds.has(ref), `${name} → ${ref}`).toBe(true);
    }
  });

  it('uses only error names that are exported error classes (or AWS names)', () => {
    for (const [name, state] of states) {
      const used = [
        ...((state.Retry as { ErrorEquals: string[] }[] | undefined) ?? []).flatMap((r) => r.ErrorEquals),
        ...((state.Catch as { ErrorEquals: string[] }[] | undefined) ?? []).flatMap((c) => c.ErrorEquals),
        ...(state.Type === 'Fail' && typeof state.Error === 'string' ? [state.Error] : []),
      ];
      for (const error of used) {
        if (AWS_ERROR.test(error)) continue;
        expect(errorNames.has(error), `${name}: ${error} is not an exported error class`).toBe(true);
      }
    }
  });

  it('gives every Lambda task the standard Lambda retry, and every Catch keeps the input', () => {
    for (const [name, state] of states) {
      if (state.Resource === 'arn:aws:states:::lambda:invoke') {
        const retry = (state.Retry as { ErrorEquals: string[] }[] | undefined) ?? [];
        expect(
          retry.some((r) => LAMBDA_RETRY.every((e) => r.ErrorEquals.includes(e))),
          name,
        ).toBe(true);
      }
      for (const c of (state.Catch as { ResultPath?: unknown }[] | undefined) ?? []) {
        expect(
          typeof c.ResultPath === 'string' && c.ResultPath.startsWith('$.'),
          `${name} Catch ResultPath`,
        ).toBe(true);
      }
    }
  });
});

describe('Lambda steps', () => {
  it('the error vocabulary is read from shared/errors.ts', () => {
    expect(errorNames).toContain('DataApiThrottledError');
    expect(errorNames).toContain('CuratedRefreshFailedError');
  });

  it('every serverless.yml function has a handler module with a handler and a createHandler, and every handler module is in serverless.yml', async () => {
    for (const [key, fn] of Object.entries(serverless.functions)) {
      const path = fn.handler.replace(/\.handler$/, '.ts');
      expect(existsSync(path), key).toBe(true);
      const module = (await import(`../../${path}`)) as Record<string, unknown>;
      expect(typeof module.handler, `${path} handler`).toBe('function');
      expect(typeof module.createHandler, `${path} createHandler`).toBe('function');
    }
    // The local stack's table is derived from serverless.yml: a step folder missing there runs nowhere.
    const folders = readdirSync('functions').filter((d) => existsSync(`functions/${d}/handler.ts`));
    expect(folders.map((d) => `functions/${d}/handler`).sort()).toEqual(
      FUNCTIONS.map((f) => f.module).sort(),
    );
    expect(FUNCTIONS.map((f) => f.key).sort()).toEqual(Object.keys(serverless.functions).sort());
  });

  it('the local stack runs exactly the state machines of serverless.yml, and every one has an input schema', () => {
    const ids = Object.values(serverless.stepFunctions.stateMachines).map((m) => m.id);
    expect(Object.keys(STATE_MACHINE_FILES).sort()).toEqual([...ids].sort());
    expect(Object.keys(STATE_MACHINE_NAMES).sort()).toEqual(Object.keys(STATE_MACHINE_INPUTS).sort());
  });
});
