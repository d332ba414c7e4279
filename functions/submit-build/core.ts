import { createHash } from 'node:crypto';
import { z } from 'zod';
import { StatementStillRunningError } from '../../shared/errors.js';
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
import { buildBatch, dropSwappedOutSql } from '../../shared/sql/build.js';
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

/**
 * A UUID-shaped token derived from the run and the model: a retried submission is the same request.
 * A resubmission after a serialization conflict is a new request (`resubmission` > 0): under the first
 * token the Data API would hand back the failed statement.
 */
export function buildClientToken(runId: string, model: string, mode: string, resubmission = 0): string {
  const key =
    resubmission > 0 ? `${runId}\0${model}\0${mode}\0${resubmission}` : `${runId}\0${model}\0${mode}`;
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Takes the model's build lease and submits its build as one Data API batch (one transaction),
 * returning at once; or reports that another execution is building it, or already has. `resubmission`
 * counts the submissions of this build that a serialization conflict rolled back (see CheckBuild).
 */
export async function acquireAndSubmit(
  event: z.infer<typeof SubmitBuildEvent>,
  deps: BuildDeps,
  resubmission = 0,
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
    // A retry of this step after its first batch committed: the run log already says success, and
    // nothing has dropped the table that batch swapped out.
    await warehouse.execute(releaseLeaseSql(event.model, event.runId), { statementName: `${name}:release` });
    if (event.mode === 'full') await dropSwappedOut(event, deps);
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
    clientToken: buildClientToken(event.runId, event.model, event.mode, resubmission),
  });
  return { status: 'SUBMITTED', statementId };
}

/**
 * After a full rebuild committed: drops the table it swapped out, outside the build's transaction (see
 * dropSwappedOutSql). The DROP waits for queries still reading that table; when that takes longer than
 * the step's synchronous wait it is left to finish on its own (the statement stays queued in the
 * warehouse), as the build is done either way and the model's next build drops the table first.
 */
export async function dropSwappedOut(
  event: Pick<z.infer<typeof SubmitBuildEvent>, 'runId' | 'model'>,
  deps: { index: Pick<IndexedManifest, 'model'>; warehouse: Pick<WarehousePort, 'execute'> },
): Promise<'dropped' | 'pending'> {
  try {
    await deps.warehouse.execute(dropSwappedOutSql(deps.index.model(event.model)), {
      statementName: `zeo:${event.runId}:${event.model}:drop-old`,
    });
    return 'dropped';
  } catch (error) {
    // AWS-ASSUMPTION: drop-waits-then-completes
    if (error instanceof StatementStillRunningError) return 'pending';
    throw error;
  }
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
