import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { nextPollSeconds } from '../../shared/refresh/polling.js';
import { BuildModeInput, ModelNameInput, RunId, Trigger } from '../../shared/runtime/inputs.js';
import { buildBatch } from '../../shared/sql/build.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const SubmitBuildEvent = z.strictObject({
  runId: RunId,
  trigger: Trigger,
  model: ModelNameInput,
  mode: BuildModeInput,
});

export interface SubmittedBuild {
  runId: string;
  trigger: string;
  model: string;
  mode: string;
  statementId: string;
  submittedAt: string;
  poll: { attempt: number; waitSeconds: number };
}

/** A UUID-shaped token derived from the run and the model: a retried submission is the same request. */
export function buildClientToken(runId: string, model: string, mode: string): string {
  const hex = createHash('sha256').update(`${runId}\0${model}\0${mode}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Submits one model's build as one Data API batch (one transaction) and returns immediately. */
export async function submitBuild(
  event: z.infer<typeof SubmitBuildEvent>,
  deps: { index: IndexedManifest; warehouse: WarehousePort; now: () => Date },
): Promise<SubmittedBuild> {
  const submittedAt = deps.now().toISOString();
  const batch = buildBatch(deps.index.model(event.model), event.mode, {
    runId: event.runId,
    trigger: event.trigger,
    startedAt: submittedAt,
  });
  const statementId = await deps.warehouse.submitBatch(batch.sqls, {
    statementName: batch.statementName,
    clientToken: buildClientToken(event.runId, event.model, event.mode),
  });
  return { ...event, statementId, submittedAt, poll: { attempt: 0, waitSeconds: nextPollSeconds(0) } };
}
