import { randomUUID } from 'node:crypto';
import '../polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, allStates, childMachineOf, functionKeyOf } from './definitions.js';

/**
 * Runs the project's real ASL files with aws-local-stepfunctions: Lambda tasks call the real handlers
 * in-process, startExecution(.sync) tasks start local child executions (with AWS's name semantics),
 * Wait states and retry intervals are shortened. Every execution is kept with its event log, so the
 * CLI, tests and benchmarks can count state transitions and read outcomes.
 */

export type LocalFunction = (payload: unknown) => Promise<unknown>;

/** An entry of aws-local-stepfunctions' event log (the library does not export its type). */
export interface EventLog {
  type: string;
  timestamp?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: string;
  [key: string]: unknown;
}

type RunOverrides = NonNullable<NonNullable<Parameters<StateMachine['run']>[1]>['overrides']>;
type TaskHandler = (input: unknown) => Promise<unknown>;

export interface ExecutionRecord {
  executionArn: string;
  machine: string;
  name: string;
  input: unknown;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: Date;
  stoppedAt?: Date;
  parentArn?: string;
  events: EventLog[];
  /** States entered (Step Functions bills state transitions; this is the local count). */
  transitions: number;
  lambdaInvocations: number;
  done: Promise<ExecutionRecord>;
}

export interface LocalStepFunctionsOptions {
  definitions: Record<string, AslDefinition>;
  functions: Record<string, LocalFunction>;
  /** Milliseconds a Wait state really waits (default 0). */
  waitMs?: (state: string, machine: string) => number;
  /** Called when a Wait state is entered with the seconds it would wait on AWS (for simulated clocks). */
  onWait?: (seconds: number, machine: string) => void | Promise<void>;
  region?: string;
  account?: string;
  onEvent?: (record: ExecutionRecord, event: EventLog) => void;
}

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class LocalStepFunctions {
  readonly executions: ExecutionRecord[] = [];
  private readonly region: string;
  private readonly account: string;
  /** Executions stopped by a rule AWS enforces and no Catch handles: the error, and how to stop them. */
  private readonly terminal = new Map<string, { error: string; cause: string }>();
  private readonly aborts = new Map<string, () => void>();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
  }

  /** The execution and every execution it started, and they started, in start order. */
  runTree(record: ExecutionRecord): ExecutionRecord[] {
    const arns = new Set([record.executionArn]);
    return this.executions.filter((e) => {
      if (!arns.has(e.executionArn) && !(e.parentArn !== undefined && arns.has(e.parentArn))) return false;
      arns.add(e.executionArn);
      return true;
    });
  }

  stateMachineArn(machine: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${machine}`;
  }

  /** Starts an execution; the returned record's `done` settles when it stops. Names behave as on AWS. */
  start(machine: string, input: unknown, name: string = randomUUID(), parentArn?: string): ExecutionRecord {
    const definition = this.options.definitions[machine];
    if (!definition) throw new NamedError('StateMachineDoesNotExist', `unknown state machine ${machine}`);
    const invalid = invalidExecutionName(name);
    if (invalid)
      throw new NamedError('StepFunctions.InvalidNameException', `Invalid Name: '${name}' (${invalid})`);
    const inputBytes = jsonBytes(input ?? {});
    if (inputBytes > MAX_STATE_DATA_BYTES)
      throw new NamedError(
        'StepFunctions.InvalidExecutionInputException',
        `the execution input is ${inputBytes} bytes, over StartExecution's ${MAX_STATE_DATA_BYTES}`,
      );
    const existing = this.executions.find((e) => e.machine === machine && e.name === name);
    if (existing) {
      // StartExecution is idempotent for a running execution with the same name and input.
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input))
        return existing;
      throw new NamedError(
        'StepFunctions.ExecutionAlreadyExistsException',
        `Execution Already Exists: '${name}'`,
      );
    }
    const record: ExecutionRecord = {
      executionArn: `arn:aws:states:${this.region}:${this.account}:execution:${machine}:${name}`,
      machine,
      name,
      input,
      status: 'RUNNING',
      startedAt: new Date(),
      ...(parentArn ? { parentArn } : {}),
      events: [],
      transitions: 0,
      lambdaInvocations: 0,
      done: Promise.resolve(undefined as unknown as ExecutionRecord),
    };
    this.executions.push(record);
    record.done = this.run(record, definition);
    return record;
  }

  private overrides(record: ExecutionRecord, definition: AslDefinition) {
    const taskResourceLocalHandlers: Record<string, TaskHandler> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [stateName, state] of allStates(definition)) {
      if (state.Retry) retryIntervalOverrides[stateName] = 0;
      if (state.Type === 'Wait')
        waitTimeOverrides[stateName] = this.options.waitMs?.(stateName, record.machine) ?? 0;
      if (state.Type !== 'Task') continue;
      const fnKey = functionKeyOf(state);
      const child = childMachineOf(state, record.machine);
      if (fnKey) {
        taskResourceLocalHandlers[stateName] = async (input) => {
          const params = input as { Payload?: unknown };
          const fn = this.options.functions[fnKey];
          if (!fn) throw new NamedError('Lambda.ResourceNotFoundException', `no local handler for ${fnKey}`);
          record.lambdaInvocations++;
          try {
            const result = { Payload: await fn(params.Payload) };
            this.checkSize(record, `the result of task ${stateName}`, result);
            return result;
          } catch (error) {
            // Lambda reports errorType = the error's name, and a JSON Cause, as on AWS.
            const e = error instanceof Error ? error : new Error(String(error));
            throw new NamedError(e.name, JSON.stringify({ errorType: e.name, errorMessage: e.message }));
          }
        };
      } else if (child && state.Resource?.includes(':states:startExecution')) {
        const sync = state.Resource.includes('.sync');
        taskResourceLocalHandlers[stateName] = async (input) => {
          const params = input as { Name?: string; Input?: unknown };
          const childRecord = this.start(
            child,
            params.Input ?? {},
            params.Name ?? randomUUID(),
            record.executionArn,
          );
          if (!sync)
            return { ExecutionArn: childRecord.executionArn, StartDate: childRecord.startedAt.toISOString() };
          const finished = await childRecord.done;
          if (finished.status !== 'SUCCEEDED') {
            throw new NamedError(
              'States.TaskFailed',
              JSON.stringify({
                ExecutionArn: finished.executionArn,
                Status: 'FAILED',
                Error: finished.error,
                Cause: finished.cause,
              }),
            );
          }
          return {
            ExecutionArn: finished.executionArn,
            Status: 'SUCCEEDED',
            Output: finished.output ?? null,
          };
        };
      }
    }
    return {
      taskResourceLocalHandlers,
      waitTimeOverrides,
      retryIntervalOverrides,
    } as unknown as RunOverrides;
  }

  /** Stops the execution with States.DataLimitExceeded when `data` is over MAX_STATE_DATA_BYTES. */
  private checkSize(record: ExecutionRecord, what: string, data: unknown): void {
    const bytes = jsonBytes(data);
    if (bytes <= MAX_STATE_DATA_BYTES) return;
    this.stop(
      record,
      'States.DataLimitExceeded',
      `${what} is ${bytes} bytes, over the ${MAX_STATE_DATA_BYTES} bytes Step Functions allows`,
    );
  }

  private stop(record: ExecutionRecord, error: string, cause: string): void {
    if (this.terminal.has(record.executionArn)) return;
    this.terminal.set(record.executionArn, { error, cause });
    this.aborts.get(record.executionArn)?.();
  }

  private async run(record: ExecutionRecord, definition: AslDefinition): Promise<ExecutionRecord> {
    const machine = new StateMachine(structuredClone(definition) as never, {
      validationOptions: { checkArn: false, checkPaths: true },
      awsConfig: {
        region: this.region,
        credentials: { accessKeys: { accessKeyId: 'local', secretAccessKey: 'local' } },
      },
    });
    const execution = machine.run(record.input as never, {
      overrides: this.overrides(record, definition),
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: `arn:aws:iam::${this.account}:role/local`,
        },
        StateMachine: { Id: this.stateMachineArn(record.machine), Name: record.machine },
      } as never,
    });
    this.aborts.set(record.executionArn, () => execution.abort());
    const collecting = (async () => {
      for await (const logged of execution.eventLogs) {
        const event = logged as unknown as EventLog;
        record.events.push(event);
        if (event.type === 'StateEntered' && event.state)
          this.checkSize(record, `the input of state ${event.state.name}`, event.state.input);
        if (event.type === 'StateExited' && event.state)
          this.checkSize(record, `the output of state ${event.state.name}`, event.state.output);
        if (event.type === 'StateEntered') {
          record.transitions++;
          const state = event.state;
          if (state?.type === 'Wait') {
            const stateDef = [...allStates(definition)].find(([n]) => n === state.name)?.[1];
            const seconds = waitSecondsOf(stateDef, state.input);
            const invalid =
              typeof stateDef?.SecondsPath === 'string' ? invalidWaitSeconds(seconds) : undefined;
            if (invalid)
              this.stop(record, 'States.Runtime', `Wait state ${state.name}: SecondsPath ${invalid}`);
            else if (seconds !== undefined && this.options.onWait)
              await this.options.onWait(seconds, record.machine);
          }
        }
        this.options.onEvent?.(record, event);
      }
    })();
    let failure: unknown;
    try {
      record.output = await execution.result;
    } catch (error) {
      failure = error ?? new Error('execution failed');
    }
    // The event log may still be draining when the result settles; read the failure from it after.
    await collecting;
    this.aborts.delete(record.executionArn);
    const terminal = this.terminal.get(record.executionArn);
    if (terminal !== undefined) {
      // Not a failure any Catch handles: the execution fails with it (checkSize, the Wait rule).
      record.status = 'FAILED';
      record.error = terminal.error;
      record.cause = terminal.cause;
      record.output = undefined;
    } else if (failure === undefined) {
      record.status = 'SUCCEEDED';
    } else {
      record.status = 'FAILED';
      const failed = [...record.events].reverse().find((e) => e.type === 'ExecutionFailed');
      record.error = failed?.Error ?? (failure instanceof Error ? failure.name : 'Error');
      record.cause =
        failed?.Cause === undefined
          ? failure instanceof Error
            ? failure.message
            : String(failure)
          : String(failed.Cause);
    }
    record.stoppedAt = new Date();
    return record;
  }
}

/**
 * Step Functions fails an execution whose state input, state output or task result passes 256 KiB
 * with States.DataLimitExceeded — a terminal error no Retry or Catch handles, `States.ALL` included
 * (developer guide, "Step Functions service quotas": maximum input or output size for a task, state or
 * execution, 256 KiB of data as a UTF-8 string; "Error names": States.DataLimitExceeded). The local
 * runner stops the execution the same way, so a payload that grows with the project fails here first.
 */
export const MAX_STATE_DATA_BYTES = 256 * 1024;

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null));

/** A standard workflow runs at most a year (developer guide, "Step Functions service quotas"). */
export const MAX_WAIT_SECONDS = 365 * 24 * 3600;

/**
 * What a Wait state's SecondsPath must select: a non-negative integer number of seconds (developer
 * guide, "Wait workflow state": SecondsPath "must be a positive integer", read from the state's
 * input), at most a year. Otherwise the execution fails with States.Runtime, which no Catch handles.
 * The local runner then skips the wait itself (simulated time), but never the check.
 */
export function invalidWaitSeconds(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value))
    return `selects ${JSON.stringify(value) ?? 'nothing'}, not an integer`;
  if (value < 0) return `selects ${value}, a negative number of seconds`;
  if (value > MAX_WAIT_SECONDS) return `selects ${value} seconds, longer than a standard workflow can run`;
  return undefined;
}

function waitSecondsOf(
  state: { Seconds?: unknown; SecondsPath?: unknown; [key: string]: unknown } | undefined,
  input: unknown,
): number | undefined {
  if (!state) return undefined;
  if (typeof state.Seconds === 'number') return state.Seconds;
  if (typeof state.SecondsPath === 'string' && state.SecondsPath.startsWith('$.')) {
    let value: unknown = input;
    for (const key of state.SecondsPath.slice(2).split('.')) {
      value =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    }
    return typeof value === 'number' ? value : undefined;
  }
  return undefined;
}

/**
 * StartExecution's rule for `name` (Step Functions API reference, StartExecution, Request Parameters
 * `name`): 1–80 characters, and none of white space, brackets `< > { } [ ]`, wildcards `? *`, the
 * special characters `" # % ^ | ~ $ & , ; : /`, the backslash and the backtick, or control characters. Returns why a name
 * breaks it, or undefined.
 */
export function invalidExecutionName(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return `${name.length} characters; 1 to 80 are allowed`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects.
  const bad = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.exec(name);
  return bad ? `'${bad[0]}' is not allowed in an execution name` : undefined;
}
