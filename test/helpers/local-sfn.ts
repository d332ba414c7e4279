import { loadDefinitions } from '../../local/sfn/definitions.js';
import { localFunctions } from '../../local/sfn/functions.js';
import {
  type ExecutionRecord,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
} from '../../local/sfn/runner.js';

/** The real ASL files and the real handlers, Wait states shortened to nothing. */
export function localStepFunctions(
  options: Pick<LocalStepFunctionsOptions, 'onWait'> = {},
): LocalStepFunctions {
  return new LocalStepFunctions({ definitions: loadDefinitions(), functions: localFunctions(), ...options });
}

/** Waits for every execution started so far (children started without .sync included). */
export async function settle(sfn: LocalStepFunctions): Promise<void> {
  for (let seen = -1; seen !== sfn.executions.length; ) {
    seen = sfn.executions.length;
    await Promise.all(sfn.executions.map((e) => e.done));
  }
}

export async function runToEnd(
  sfn: LocalStepFunctions,
  machine: string,
  input: unknown,
  name?: string,
): Promise<ExecutionRecord> {
  return sfn.start(machine, input, name).done;
}

/** Names of the states an execution entered, in order (nested Map states included). */
export function statesEntered(record: ExecutionRecord): string[] {
  return record.events.flatMap((e) => (e.type === 'StateEntered' && e.state ? [e.state.name] : []));
}
