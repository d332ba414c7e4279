import * as z from 'zod';
import { RefreshStoppedError } from '../../shared/errors.js';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { type FailedBuild, recordBuildFailure } from '../../shared/refresh/build-failure.js';
import { InFlightBuild, RefreshContext } from '../../shared/refresh/dispatch-state.js';
import { buildStatementPrefix } from '../../shared/sql/build.js';
import { leasesHeldBySql } from '../../shared/sql/lease.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

/**
 * What the state machine hands over when the dispatcher failed for good: the refresh, the builds in
 * flight as of the last tick that completed, and the error (its Catch's `$.error`).
 */
export const StopBuildsEvent = z.strictObject({
  refresh: RefreshContext,
  inFlight: z.array(InFlightBuild).max(40),
  error: z.object({ Error: z.string().max(1000).optional(), Cause: z.string().optional() }),
});
export type StopBuildsEvent = z.infer<typeof StopBuildsEvent>;

/** Leases given up per invocation: each costs three waited statements (fence, committed?, record). */
export const MAX_STOPS_PER_INVOCATION = 4;

export interface StopBuildsResult {
  /** Models recorded failed (their builds will never commit). */
  failed: string[];
  /** Models whose build had committed after all (nothing recorded against them). */
  built: string[];
  /** Build statements still running that were asked to cancel. */
  cancelled: number;
  /** Whether this run still holds leases: the state machine calls the step again. */
  more: boolean;
}

export interface StopBuildsDeps {
  index: IndexedManifest;
  warehouse: WarehousePort;
  now: () => Date;
}

/**
 * A refresh whose dispatcher cannot go on (its Lambda failed beyond the ASL's retries) stops its
 * builds before it reports the failure: it cancels the run's build statements still running, then
 * gives up every lease the run holds — each through the same fence as any failed build, so a batch
 * that has not committed never will, one that has is found and left alone, and the next refresh does
 * not wait for the leases to expire. At most MAX_STOPS_PER_INVOCATION leases per call (the step's
 * waits stay bounded); `more` says whether to call again. Safe to repeat: a lease given up is gone.
 */
export async function stopBuilds(event: StopBuildsEvent, deps: StopBuildsDeps): Promise<StopBuildsResult> {
  const { refresh } = event;
  const { warehouse, index } = deps;
  const models = index.manifest.models;
  // The builds of the last completed tick, and any the failed tick submitted (listed by name).
  // AWS-ASSUMPTION: liststatements-status-filter
  const running = new Set(await warehouse.listStatements(buildStatementPrefix(refresh.runId), 'STARTED'));
  for (const b of event.inFlight) if (b.id) running.add(b.id);
  await Promise.all([...running].map((id) => warehouse.cancel(id)));

  const held = (
    await warehouse.query(leasesHeldBySql(refresh.runId), {
      statementName: `zeo:${refresh.runId}:stop:leases`,
    })
  ).map((r) => String(r.model));
  const why = `${event.error.Error ?? 'error'}${event.error.Cause ? `: ${causeText(event.error.Cause)}` : ''}`;
  const result: StopBuildsResult = { failed: [], built: [], cancelled: running.size, more: false };
  for (const model of held.slice(0, MAX_STOPS_PER_INVOCATION)) {
    const build = event.inFlight.find((b) => models[b.m]?.name === model);
    const failure: FailedBuild = {
      runId: refresh.runId,
      trigger: refresh.trigger,
      model,
      mode:
        build?.mode ?? (index.model(model).materialized === 'materialized_view' ? 'refresh_view' : 'full'),
      statementId: build?.id ?? null,
      submittedAt: new Date(
        (build?.at ?? Math.floor(Date.parse(refresh.startedAt) / 1000)) * 1000,
      ).toISOString(),
      error: describe(
        new RefreshStoppedError(
          `the refresh stopped while this build was in flight (${why}); the build was cancelled`,
        ),
      ),
    };
    const outcome = await recordBuildFailure(failure, deps);
    (outcome.status === 'built' ? result.built : result.failed).push(model);
  }
  result.more = held.length > MAX_STOPS_PER_INVOCATION;
  return result;
}

/** How the run log names the failure: its class, then its message (bounded like every recorded error). */
function describe(error: Error): string {
  return `${error.name}: ${error.message}`.slice(0, 4000);
}

/** A Lambda error's Cause is its JSON ({ errorType, errorMessage, trace }): the message, first line, bounded. */
function causeText(cause: string): string {
  let text = cause;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      text = String(parsed.errorMessage);
    }
  } catch {
    // Not JSON: the Cause as it is.
  }
  return (text.split('\n')[0] ?? '').slice(0, 500);
}
