import { z } from 'zod';
import { BuildTimeoutError, ModelBusyError } from '../../shared/errors.js';
import { MAX_POLLS, nextPollSeconds } from '../../shared/refresh/polling.js';
import { BuildModeInput, IsoTimestamp, ModelNameInput, RunId, Trigger } from '../../shared/runtime/inputs.js';
import { isSerializationConflict } from '../../shared/warehouse/serialization.js';
import { isTerminal, type StatementStatus } from '../../shared/warehouse/warehouse.js';
import { acquireAndSubmit, type BuildDeps, dropSwappedOut } from '../submit-build/core.js';

/**
 * How often a build rolled back by a serialization conflict (ERROR 1023) is submitted again before it
 * counts as failed. The conflicting transaction has committed by the time Redshift stops this one, so
 * a resubmission starts from a snapshot that includes it; only a model whose commits keep colliding
 * with others' (many overlapping builds on a SERIALIZABLE database) exhausts this.
 */
// AWS-ASSUMPTION: resubmission-bounds
export const MAX_CONFLICT_RESUBMISSIONS = 3;

export const CheckBuildEvent = z.strictObject({
  runId: RunId,
  trigger: Trigger,
  model: ModelNameInput,
  mode: BuildModeInput,
  statementId: z.string().min(1).max(128).nullable(),
  submittedAt: IsoTimestamp,
  status: z.string().max(32),
  poll: z.strictObject({
    attempt: z.number().int().min(0),
    waitSeconds: z.number().int().min(0),
    /** Submissions of this build rolled back by a serialization conflict so far (absent: none). */
    conflicts: z.number().int().min(0).max(MAX_CONFLICT_RESUBMISSIONS).optional(),
  }),
});
export type CheckBuildEvent = z.infer<typeof CheckBuildEvent>;

export interface CheckedBuild extends CheckBuildEvent {
  status: StatementStatus | 'SUBMITTED' | 'WAITING' | 'UNCHANGED';
  error?: string;
  rows?: number;
  durationMs?: number;
}

/**
 * Looks at a build once. Terminal statement states go to the Choice state (FINISHED / FAILED /
 * ABORTED); a build still waiting for the model's lease tries to take it again; anything else comes
 * back with the next wait, which grows with the build's age.
 */
export async function checkBuild(event: CheckBuildEvent, deps: BuildDeps): Promise<CheckedBuild> {
  if (event.status === 'UNCHANGED') return { ...event, status: 'UNCHANGED' };
  const attempt = event.poll.attempt + 1;
  const elapsed = (deps.now().getTime() - Date.parse(event.submittedAt)) / 1000;
  const next = { attempt, waitSeconds: nextPollSeconds(elapsed) };
  if (event.statementId === null) {
    const { status, statementId, holder } = await acquireAndSubmit(event, deps);
    if (
      status === 'WAITING' &&
      elapsed > deps.index.manifest.project.refresh.leaseTimeoutMinutes * 60 + 600
    ) {
      throw new ModelBusyError(
        `model ${event.model} is still being built by ${holder}; gave up waiting after ${Math.round(elapsed / 60)} minutes`,
      );
    }
    return { ...event, statementId, status, poll: next };
  }
  const d = await deps.warehouse.describe(event.statementId);
  if (d.status === 'FAILED' && isSerializationConflict(d.error)) {
    // Rolled back for timing, not for its SQL (developer guide "Serializable isolation": retry the
    // transaction): submitted again under the lease this run still holds, never recorded as failed —
    // unless it keeps colliding, then it fails saying so.
    const conflicts = (event.poll.conflicts ?? 0) + 1;
    if (conflicts <= MAX_CONFLICT_RESUBMISSIONS) {
      const again = await acquireAndSubmit(event, deps, conflicts);
      return {
        ...event,
        statementId: again.statementId,
        status: again.status,
        submittedAt: deps.now().toISOString(),
        poll: { attempt, waitSeconds: nextPollSeconds(0), conflicts },
      };
    }
    return {
      ...event,
      status: 'FAILED',
      error:
        `serialization conflict with concurrent transactions on every one of ${conflicts} submissions (not an error of the model's SQL): ${d.error ?? ''}`.slice(
          0,
          2000,
        ),
    };
  }
  if (d.status === 'FINISHED' && event.mode === 'full') await dropSwappedOut(event, deps);
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
  if (attempt > MAX_POLLS) {
    await deps.warehouse.cancel(event.statementId);
    throw new BuildTimeoutError(
      `build of ${event.model} still ${d.status} after ${MAX_POLLS} polls; cancelled`,
    );
  }
  return { ...event, status: d.status, poll: next };
}
