import { z } from 'zod';
import { releaseLeaseSql } from '../../shared/refresh/lease.js';
import { insertFailureSql } from '../../shared/refresh/run-log.js';
import { BuildModeInput, IsoTimestamp, ModelNameInput, RunId, Trigger } from '../../shared/runtime/inputs.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

/**
 * Input of RecordBuildFailure: whatever state the build was in when it failed — a FAILED/ABORTED
 * status from CheckBuild, or a caught Lambda error ({Error, Cause} under `failure`).
 */
export const RecordBuildFailureEvent = z.object({
  runId: RunId,
  trigger: Trigger,
  model: ModelNameInput,
  mode: BuildModeInput.optional(),
  statementId: z.string().max(128).optional(),
  submittedAt: IsoTimestamp.optional(),
  status: z.string().max(32).optional(),
  error: z.string().optional(),
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export interface RecordedFailure {
  model: string;
  status: 'failed';
  error: string;
}

function describeFailure(event: z.infer<typeof RecordBuildFailureEvent>): string {
  if (event.error) return `${event.status ?? 'FAILED'}: ${event.error}`;
  const failure = event.failure;
  if (failure) {
    let cause = failure.Cause ?? '';
    try {
      // Lambda errors arrive as a JSON Cause {errorType, errorMessage, ...}.
      const parsed = JSON.parse(cause) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') cause = parsed.errorMessage;
    } catch {
      // not JSON: keep the text
    }
    return `${failure.Error ?? 'Error'}: ${cause}`;
  }
  return 'build failed without an error message';
}

/** Writes the failed build to the run log (its own transaction rolled back), so later levels skip its descendants. */
export async function recordBuildFailure(
  event: z.infer<typeof RecordBuildFailureEvent>,
  deps: { warehouse: WarehousePort; now: () => Date },
): Promise<RecordedFailure> {
  const error = describeFailure(event).slice(0, 4000);
  await deps.warehouse.execute(
    insertFailureSql(event.runId, event.trigger, event.model, event.submittedAt ?? deps.now().toISOString()),
    {
      statementName: `zeo:${event.runId}:${event.model}:failed`,
      parameters: { statement_id: event.statementId ?? 'none', error },
    },
  );
  // The model's build lease goes with the failure, so the next refresh need not wait for it to expire.
  await deps.warehouse.execute(releaseLeaseSql(event.model, event.runId), {
    statementName: `zeo:${event.runId}:${event.model}:release`,
  });
  return { model: event.model, status: 'failed', error };
}
