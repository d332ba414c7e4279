import type { AslDefinition } from '../../local/sfn/definitions.js';
import { allStates, childMachineOf } from '../../local/sfn/definitions.js';
import type { ExecutionRecord, LocalFunction, LocalStepFunctions } from '../../local/sfn/runner.js';
import { LATENCY_MS } from './assumptions.js';
import type { VirtualTime } from './virtual-time.js';

/**
 * Puts a LocalStepFunctions runner on virtual time without changing it:
 *
 * - The runner shortens every Wait state to a fixed override. Here the override is removed, so
 *   aws-local-stepfunctions waits the real `Seconds`/`SecondsPath` of the ASL — through the virtual
 *   `setTimeout`, i.e. the discrete-event clock.
 * - startExecution(.sync) tasks get the modeled StartExecution latency and the delay before the parent
 *   notices the child's end.
 *
 * The runner keeps no public hook for either, so its private `overrides()` is wrapped per instance; if
 * the runner changes shape this fails loudly instead of measuring the wrong thing.
 */

type TaskHandler = (input: unknown) => Promise<unknown>;
interface RunOverrides {
  taskResourceLocalHandlers: Record<string, TaskHandler>;
  waitTimeOverrides: Record<string, number>;
  retryIntervalOverrides: Record<string, number>;
}
type OverridesFn = (record: ExecutionRecord, definition: AslDefinition) => RunOverrides;

export function onVirtualTime(sfn: LocalStepFunctions, vt: VirtualTime): void {
  const target = sfn as unknown as { overrides?: OverridesFn };
  const original = target.overrides;
  if (typeof original !== 'function')
    throw new Error('LocalStepFunctions has no overrides() to wrap; update bench/lib/sim-runner.ts');
  const bound = original.bind(sfn);
  target.overrides = (record, definition) => {
    const overrides = bound(record, definition);
    if (
      typeof overrides.waitTimeOverrides !== 'object' ||
      typeof overrides.taskResourceLocalHandlers !== 'object'
    )
      throw new Error('LocalStepFunctions overrides changed shape; update bench/lib/sim-runner.ts');
    overrides.waitTimeOverrides = {};
    for (const [name, state] of allStates(definition)) {
      const handler = overrides.taskResourceLocalHandlers[name];
      if (!handler || !childMachineOf(state, record.machine)) continue;
      overrides.taskResourceLocalHandlers[name] = async (input) => {
        await vt.sleep(LATENCY_MS.childStart);
        const result = await handler(input);
        await vt.sleep(LATENCY_MS.childCompletionNotice);
        return result;
      };
    }
    return overrides;
  };
}

export interface FunctionUsage {
  invocations: number;
  /** Modeled billed duration (virtual ms inside the handler, at least 1 ms per invocation). */
  billedMs: number;
}

/**
 * The real handlers with modeled Lambda latencies: invoke overhead (plus the Choice or Wait transition
 * that follows the Task) before the handler runs, a few ms of compute, and whatever Data API time the
 * handler spends (virtual, from the modeled Data API). Billed time is what passes inside the handler.
 */
export function timedFunctions(
  functions: Record<string, LocalFunction>,
  vt: VirtualTime,
  usage: Map<string, FunctionUsage>,
  onReturn?: (key: string) => void,
): Record<string, LocalFunction> {
  return Object.fromEntries(
    Object.entries(functions).map(([key, fn]) => [
      key,
      async (payload: unknown) => {
        await vt.sleep(LATENCY_MS.lambdaInvoke + LATENCY_MS.stateTransition);
        const start = vt.now();
        try {
          await vt.sleep(LATENCY_MS.lambdaCompute);
          return await fn(payload);
        } finally {
          const u = usage.get(key) ?? { invocations: 0, billedMs: 0 };
          u.invocations++;
          u.billedMs += Math.max(1, Math.ceil(vt.now() - start));
          usage.set(key, u);
          onReturn?.(key);
        }
      },
    ]),
  );
}
