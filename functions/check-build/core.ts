import { z } from 'zod';
import { BuildTimeoutError } from '../../shared/errors.js';
import { MAX_POLLS, nextPollSeconds } from '../../shared/refresh/polling.js';
import { BuildModeInput, IsoTimestamp, ModelNameInput, RunId, Trigger } from '../../shared/runtime/inputs.js';
import { isTerminal, type StatementStatus, type WarehousePort } from '../../shared/warehouse/warehouse.js';

export const CheckBuildEvent = z.strictObject({
  runId: RunId,
  trigger: Trigger,
  model: ModelNameInput,
  mode: BuildModeInput,
  statementId: z.string().min(1).max(128),
  submittedAt: IsoTimestamp,
  poll: z.strictObject({ attempt: z.number().int().min(0), waitSeconds: z.number().int().min(0) }),
});
export type CheckBuildEvent = z.infer<typeof CheckBuildEvent>;

export interface CheckedBuild extends CheckBuildEvent {
  status: StatementStatus;
  error?: string;
  rows?: number;
  durationMs?: number;
}

/**
 * Looks at a submitted build once. Terminal states go to the Choice state (FINISHED / FAILED /
 * ABORTED); anything else comes back with the next wait, which grows with the statement's age.
 */
export async function checkBuild(
  event: CheckBuildEvent,
  deps: { warehouse: WarehousePort; now: () => Date },
): Promise<CheckedBuild> {
  const d = await deps.warehouse.describe(event.statementId);
  if (isTerminal(d.status)) {
    return {
      ...event,
      status: d.status,
      ...(d.error
        ? { error: d.error.slice(0, 2000) }
        : d.status === 'ABORTED'
          ? { error: 'statement was aborted' }
          : {}),
      ...(d.resultRows === undefined ? {} : { rows: d.resultRows }),
      ...(d.durationMs === undefined ? {} : { durationMs: d.durationMs }),
    };
  }
  const attempt = event.poll.attempt + 1;
  if (attempt > MAX_POLLS) {
    await deps.warehouse.cancel(event.statementId);
    throw new BuildTimeoutError(
      `build of ${event.model} still ${d.status} after ${MAX_POLLS} polls; cancelled`,
    );
  }
  const elapsed = (deps.now().getTime() - Date.parse(event.submittedAt)) / 1000;
  return { ...event, status: d.status, poll: { attempt, waitSeconds: nextPollSeconds(elapsed) } };
}
