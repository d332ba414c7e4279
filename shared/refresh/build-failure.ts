import { StatementStillRunningError } from '../errors.js';
import type { IndexedManifest } from '../graph/plan.js';
import { type BuildMode, refreshCommitted } from '../sql/build.js';
import { buildCommittedSql, fenceBuildStatements } from '../sql/lease.js';
import { insertCommittedRefreshSql, insertFailureSql } from '../sql/run-log.js';
import { isTerminal, type WarehousePort } from '../warehouse/warehouse.js';
import { dropSwappedOut } from './build-submission.js';

/** Failures the dispatcher fences and records per tick (each is three short statements). */
export const MAX_FAILURES_PER_TICK = 4;

/** A build the dispatcher saw fail (FAILED, ABORTED, timed out, or never able to take its lease). */
export interface FailedBuild {
  runId: string;
  trigger: string;
  model: string;
  mode: BuildMode;
  statementId: string | null;
  submittedAt: string;
  /** What failed, first the status or error class, e.g. `FAILED: ERROR: …`. */
  error: string;
}

/**
 * failed: recorded in the run log. built: the build had committed after all (e.g. its poll Lambda
 * died, or the statement id expired, after the batch finished), so nothing is recorded against it —
 * or its REFRESH MATERIALIZED VIEW had committed on its own, and that refresh is recorded as a success.
 */
export interface RecordedFailure {
  model: string;
  status: 'failed' | 'built';
  error: string;
}

/**
 * Writes the failed build to the run log (its own transaction rolled back), so the dispatcher skips its
 * descendants — unless it committed: a failure seen by a Lambda (a timeout after submitting, an
 * expired statement id) says nothing about the batch. The fence first makes the answer final.
 */
export async function recordBuildFailure(
  event: FailedBuild,
  deps: { warehouse: WarehousePort; now: () => Date; index: Pick<IndexedManifest, 'model'> },
): Promise<RecordedFailure> {
  const error = event.error.slice(0, 4000);
  const name = `zeo:${event.runId}:${event.model}`;
  // The lease goes with the failure too, so the next refresh need not wait for it to expire.
  await deps.warehouse.runTransaction(fenceBuildStatements(event.model, event.runId), {
    statementName: `${name}:fence`,
  });
  const [committed] = await deps.warehouse.query(buildCommittedSql(event.model, event.runId), {
    statementName: `${name}:committed`,
  });
  if (Number(committed?.committed ?? 0) > 0) {
    // It committed, but the step that drops the table a swap left behind never saw it finish.
    if (event.mode !== 'create_view' && event.mode !== 'refresh_view') await dropSwappedOut(event, deps);
    return { model: event.model, status: 'built', error };
  }
  // AWS-ASSUMPTION: refresh-mv-commits-alone
  // A refresh_view batch's REFRESH commits on its own (SQL reference "REFRESH MATERIALIZED VIEW"): when
  // it finished, the view IS refreshed though the batch failed after it, and "failed" would be untrue.
  // After the fence the batch can no longer pass its lease check; one that already did may still be
  // refreshing, so its outcome is awaited (the dispatcher looks again at its next tick when this throws StatementStillRunningError).
  if (event.mode === 'refresh_view' && event.statementId) {
    const described = await deps.warehouse.describe(event.statementId);
    if (!isTerminal(described.status)) {
      throw new StatementStillRunningError(
        `build of ${event.model} is still ${described.status}: whether its REFRESH commits is not known yet`,
      );
    }
    if (refreshCommitted(described.subStatements ?? [])) {
      await deps.warehouse.runStatement(
        insertCommittedRefreshSql(
          event.runId,
          event.trigger,
          deps.index.model(event.model),
          event.submittedAt,
        ),
        {
          statementName: `${name}:refreshed`,
          parameters: {
            statement_id: event.statementId,
            note: `REFRESH MATERIALIZED VIEW committed on its own; the rest of its batch did not (${error})`.slice(
              0,
              4000,
            ),
          },
        },
      );
      return { model: event.model, status: 'built', error };
    }
  }
  await deps.warehouse.runStatement(
    insertFailureSql(event.runId, event.trigger, event.model, event.submittedAt),
    {
      statementName: `${name}:failed`,
      parameters: { statement_id: event.statementId ?? 'none', error },
    },
  );
  return { model: event.model, status: 'failed', error };
}
