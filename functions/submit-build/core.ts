import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import {
  acquireLeaseStatements,
  leaseOutcome,
  leaseStatusSql,
  releaseLeaseSql,
} from '../../shared/refresh/lease.js';
import { nextPollSeconds } from '../../shared/refresh/polling.js';
import { insertOutcomesSql } from '../../shared/refresh/run-log.js';
import { BuildModeInput, ModelNameInput, RunId, Trigger } from '../../shared/runtime/inputs.js';
import { buildBatch } from '../../shared/sql/build.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const SubmitBuildEvent = z.strictObject({
  runId: RunId,
  trigger: Trigger,
  model: ModelNameInput,
  mode: BuildModeInput,
});

/**
 * SUBMITTED: the build batch is running. WAITING: another execution holds the model's lease; look
 * again later. UNCHANGED: the other execution built exactly what this one planned; nothing to do.
 */
export type BuildProgress = 'SUBMITTED' | 'WAITING' | 'UNCHANGED';

export interface SubmittedBuild {
  runId: string;
  trigger: string;
  model: string;
  mode: z.infer<typeof BuildModeInput>;
  statementId: string | null;
  submittedAt: string;
  status: BuildProgress;
  poll: { attempt: number; waitSeconds: number };
}

export interface BuildDeps {
  index: IndexedManifest;
  warehouse: WarehousePort;
  now: () => Date;
}

/** A UUID-shaped token derived from the run and the model: a retried submission is the same request. */
export function buildClientToken(runId: string, model: string, mode: string): string {
  const hex = createHash('sha256').update(`${runId}\0${model}\0${mode}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Takes the model's build lease and submits its build as one Data API batch (one transaction),
 * returning at once; or reports that another execution is building it, or already has.
 */
export async function acquireAndSubmit(
  event: z.infer<typeof SubmitBuildEvent>,
  deps: BuildDeps,
): Promise<{ status: BuildProgress; statementId: string | null; holder?: string }> {
  const { warehouse, index } = deps;
  const name = `zeo:${event.runId}:${event.model}`;
  await warehouse.run(
    acquireLeaseStatements(event.model, event.runId, index.manifest.project.refresh.leaseTimeoutMinutes),
    { statementName: `${name}:lease` },
  );
  const lease = leaseOutcome(
    await warehouse.query(leaseStatusSql(event.model, event.runId), {
      statementName: `${name}:lease-status`,
    }),
    event.runId,
  );
  if (lease.kind === 'held') return { status: 'WAITING', statementId: null, holder: lease.holder };
  if (lease.kind === 'built_by_this_run') {
    // A retry of this step after its first batch committed: the run log already says success.
    await warehouse.execute(releaseLeaseSql(event.model, event.runId), { statementName: `${name}:release` });
    return { status: 'UNCHANGED', statementId: null };
  }
  if (lease.kind === 'already_built') {
    await warehouse.run(
      [
        ...insertOutcomesSql(event.runId, event.trigger, [
          {
            model: event.model,
            status: 'unchanged',
            reason: 'built meanwhile by another refresh from the same inputs',
          },
        ]),
        releaseLeaseSql(event.model, event.runId),
      ],
      { statementName: `${name}:unchanged` },
    );
    return { status: 'UNCHANGED', statementId: null };
  }
  const batch = buildBatch(index.model(event.model), event.mode, {
    runId: event.runId,
    trigger: event.trigger,
  });
  const statementId = await warehouse.submitBatch(batch.sqls, {
    statementName: batch.statementName,
    clientToken: buildClientToken(event.runId, event.model, event.mode),
  });
  return { status: 'SUBMITTED', statementId };
}

export async function submitBuild(
  event: z.infer<typeof SubmitBuildEvent>,
  deps: BuildDeps,
): Promise<SubmittedBuild> {
  const submittedAt = deps.now().toISOString();
  const { status, statementId } = await acquireAndSubmit(event, deps);
  return {
    ...event,
    statementId,
    submittedAt,
    status,
    poll: { attempt: 0, waitSeconds: nextPollSeconds(0) },
  };
}
