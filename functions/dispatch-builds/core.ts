import { InvalidInputError, StatementStillRunningError } from '../../shared/errors.js';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import {
  type FailedBuild,
  MAX_FAILURES_PER_TICK,
  recordBuildFailure,
} from '../../shared/refresh/build-failure.js';
import {
  acquireLeases,
  dropSwappedOutLater,
  submitBuild,
  targetStates,
} from '../../shared/refresh/build-submission.js';
import {
  continuationName,
  DispatchState,
  decodeBitset,
  decodeDurations,
  encodeBitset,
  encodeDurations,
  type InFlightBuild,
  manifestFingerprint,
  positionsOf,
  type TickReport,
} from '../../shared/refresh/dispatch-state.js';
import { REPORT_STATEMENT_CHARS, STATEMENT_MARKER } from '../../shared/refresh/failure-report.js';
import { skippedDescendants } from '../../shared/refresh/gating.js';
import {
  DATA_API_MAX_STATEMENT_SECONDS,
  LEASE_RETRY_SECONDS,
  MAX_WAIT_SECONDS,
  nextLookSeconds,
  TICKS_PER_EXECUTION,
} from '../../shared/refresh/polling.js';
import { schemaDriftError, schemaDriftOf } from '../../shared/refresh/schema-drift.js';
import { buildStatementPrefix, chooseBuildMode } from '../../shared/sql/build.js';
import { releaseLeasesSql } from '../../shared/sql/lease.js';
import { insertOutcomesOnceSql, type RecordedOutcome } from '../../shared/sql/run-log.js';
import { isSerializationConflict } from '../../shared/warehouse/serialization.js';
import {
  runInTransactions,
  type StatementDescription,
  type WarehousePort,
} from '../../shared/warehouse/warehouse.js';

export const DispatchBuildsEvent = DispatchState;

/**
 * How often a build rolled back by a serialization conflict (ERROR 1023) is submitted again before it
 * counts as failed. The conflicting transaction has committed by the time Redshift stops this one, so
 * a resubmission starts from a snapshot that includes it; only a model whose commits keep colliding
 * with others' (many overlapping builds on a SERIALIZABLE database) exhausts this.
 */
// AWS-ASSUMPTION: resubmission-bounds
export const MAX_CONFLICT_RESUBMISSIONS = 3;

/** How soon a failed refresh_view batch that is still running is looked at again. */
const REFRESH_OUTCOME_LOOK_SECONDS = 5;

/** Describes at once: well under the Data API's DescribeStatement rate, and short for a Lambda. */
const PARALLEL_CALLS = 8;

export interface DispatchDeps {
  index: IndexedManifest;
  warehouse: WarehousePort;
  now: () => Date;
}

async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(PARALLEL_CALLS, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

const bounded = (names: readonly string[], max: number) => names.slice(0, max);

/**
 * Which statement of a failed build batch failed — the first one that did not finish — and its
 * beginning, after STATEMENT_MARKER (the failure report shows it beside the database's message).
 */
function failingStatement(d: StatementDescription): string {
  const subs = d.subStatements ?? [];
  const i = subs.findIndex((sub) => sub.status !== 'FINISHED');
  const sub = subs[i];
  if (sub === undefined) return '';
  const sql = (sub.queryString ?? '').replace(/\s+/g, ' ').trim().slice(0, REPORT_STATEMENT_CHARS);
  return `${STATEMENT_MARKER}${i + 1} of ${subs.length}] ${sql}`;
}

/**
 * One tick of a curated refresh: looks at every build in flight with one ListStatements (and a
 * DescribeStatement for each that stopped running), records what failed and skips its descendants,
 * submits every model whose upstreams are all built — up to refresh.maxConcurrency in flight across
 * the whole DAG, longest remaining chain first — and says how long to wait before the next tick.
 * Success is recorded by each build's own batch. Safe to run twice on the same state (a retried
 * Lambda): submissions carry ClientTokens, the lease read tells a committed build, records are once.
 */
export async function dispatchBuilds(state: DispatchState, deps: DispatchDeps): Promise<DispatchState> {
  const { index, warehouse } = deps;
  const { refresh } = state;
  const models = index.manifest.models;
  if (state.manifest !== manifestFingerprint(index)) {
    throw new InvalidInputError([
      {
        file: 'input',
        field: 'manifest',
        message: `the refresh was planned on another curated project (${state.manifest}, this code has ${manifestFingerprint(index)}); start a new refresh`,
      },
    ]);
  }
  const clock = () => Math.floor(deps.now().getTime() / 1000);
  const now = clock();
  const run = { runId: refresh.runId, trigger: refresh.trigger };
  const nameOf = (p: number) => models[p]?.name ?? `#${p}`;
  const pending = decodeBitset(state.pending, models.length);
  const expected = decodeDurations(state.expected, models.length);
  const report: TickReport = { started: [], finished: [], failed: [], skipped: 0, building: [], pending: 0 };
  const tickId = `${state.continuation}-${state.ticks}`;

  // 1. What the builds in flight are doing: one list of those still running, a describe of the rest.
  let inFlight: InFlightBuild[] = [];
  const failures: FailedBuild[] = [];
  const finishedFull: string[] = [];
  const submitted = state.inFlight.filter((b) => b.id !== null);
  const waiting = state.inFlight.filter((b) => b.id === null);
  // AWS-ASSUMPTION: liststatements-status-filter
  const running =
    submitted.length > 0
      ? new Set(await warehouse.listStatements(buildStatementPrefix(refresh.runId), 'STARTED'))
      : new Set<string>();
  const stopped = submitted.filter((b) => b.id !== null && !running.has(b.id));
  // A statement the Data API no longer knows (ResourceNotFoundException: its record expires 24 hours
  // after it ended) says nothing about its batch: like any other failure it is fenced first, which
  // finds a build that committed and records nothing against it.
  const unknown = new Map<string, string>();
  const described = await inParallel(stopped, async (b) => {
    try {
      return await warehouse.describe(b.id ?? '');
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
      unknown.set(b.id ?? '', error.message);
      return undefined;
    }
  });
  const descriptions = new Map<string, StatementDescription>(
    described.flatMap((d) => (d === undefined ? [] : [[d.id, d] as const])),
  );
  // A model input renamed or dropped at the source is named as such (shared/refresh/schema-drift.ts).
  const upstreamColumns = (upstream: string) => deps.index.model(upstream).columns.map((c) => c.name);
  const databaseFailure = (model: string, text: string, databaseError: string): string => {
    const drift = databaseError
      ? schemaDriftOf(deps.index.model(model), databaseError, upstreamColumns)
      : undefined;
    return drift ? schemaDriftError(model, drift, text) : text;
  };
  for (const build of submitted) {
    const model = nameOf(build.m);
    const d = build.id === null ? undefined : descriptions.get(build.id);
    const failed = (error: string, statementId = build.id) =>
      failures.push({
        ...run,
        model,
        mode: build.mode,
        statementId,
        submittedAt: new Date(build.at * 1000).toISOString(),
        error,
      });
    const gone = build.id === null ? undefined : unknown.get(build.id);
    if (gone !== undefined) {
      // No statement id to describe again (a refresh_view's outcome cannot be read): the id goes in the text.
      failed(`ResourceNotFoundException: the Data API no longer knows statement ${build.id}: ${gone}`, null);
      continue;
    }
    if (d === undefined || d.status === 'SUBMITTED' || d.status === 'PICKED' || d.status === 'STARTED') {
      if (now - build.at > DATA_API_MAX_STATEMENT_SECONDS + 600) {
        // The Data API ends statements after 24 hours; one still reported running is cancelled and failed.
        if (build.id) await warehouse.cancel(build.id);
        failed(
          `BuildTimeoutError: build still running after ${Math.round((now - build.at) / 3600)} hours; cancelled`,
        );
      } else {
        inFlight.push({ ...build, due: now + nextLookSeconds(now - build.at, expected.get(build.m)) });
      }
      continue;
    }
    if (d.status === 'FINISHED') {
      report.finished.push(model);
      if (build.mode === 'full') finishedFull.push(model);
      expected.delete(build.m);
      continue;
    }
    const conflicts = build.c ?? 0;
    if (d.status === 'FAILED' && isSerializationConflict(d.error) && conflicts < MAX_CONFLICT_RESUBMISSIONS) {
      // Rolled back for timing, not for its SQL (developer guide "Serializable isolation": retry the
      // transaction): submitted again under the lease this run still holds, never recorded as failed.
      const id = await submitBuild(model, build.mode, run, deps, conflicts + 1);
      const at = clock();
      inFlight.push({
        ...build,
        id,
        at,
        due: at + nextLookSeconds(0, expected.get(build.m)),
        c: conflicts + 1,
      });
      continue;
    }
    failed(
      d.status === 'FAILED' && isSerializationConflict(d.error)
        ? `FAILED: serialization conflict with concurrent transactions on every one of ${conflicts + 1} submissions (not an error of the model's SQL): ${d.error ?? ''}`
        : databaseFailure(
            model,
            `${d.status}: ${d.error ?? (d.status === 'ABORTED' ? 'statement was aborted' : 'no error message')}${failingStatement(d)}`,
            d.status === 'FAILED' ? (d.error ?? '') : '',
          ),
    );
  }

  // 2. Failures: fenced and recorded (or found committed after all), descendants skipped.
  const failedModels: string[] = [];
  // A bounded number per tick keeps the step's Data API waits (and so its timeout) bounded; the
  // rest stay in flight and are recorded by the next ticks.
  for (const failure of failures.splice(MAX_FAILURES_PER_TICK)) {
    const build = state.inFlight.find((b) => nameOf(b.m) === failure.model);
    if (build) inFlight.push({ ...build, due: now + 1 });
  }
  for (const failure of failures) {
    try {
      const outcome = await recordBuildFailure(failure, deps);
      if (outcome.status === 'built') report.finished.push(failure.model);
      else failedModels.push(failure.model);
    } catch (error) {
      // A refresh_view batch still running: whether its REFRESH commits decides; look again next tick.
      if (!(error instanceof StatementStillRunningError)) throw error;
      const build = state.inFlight.find((b) => nameOf(b.m) === failure.model);
      if (build) inFlight.push({ ...build, due: now + REFRESH_OUTCOME_LOOK_SECONDS });
    }
  }
  report.failed.push(...failedModels);
  /** Skips the pending descendants of failed models: no longer pending, no duration to keep. */
  const skipAfter = (failed: readonly string[]): RecordedOutcome[] => {
    const skipped = skippedDescendants(index, failed, (m) => pending.has(positionOf(index, m)));
    for (const s of skipped) {
      const p = positionOf(index, s.model);
      pending.delete(p);
      expected.delete(p);
    }
    report.skipped += skipped.length;
    return skipped;
  };
  const skipped = skipAfter(failedModels);

  // 3. Tables swapped out by the builds that finished: dropped without waiting.
  if (finishedFull.length > 0) await dropSwappedOutLater(finishedFull, refresh.runId, tickId, deps);

  // 4. Everything whose upstreams are all built, up to the concurrency limit, longest chain first.
  const busy = new Set([...inFlight, ...waiting].map((b) => b.m));
  const blocked = new Set([...pending, ...busy]);
  const ready = [...pending].filter((p) =>
    (index.dag.upstream.get(nameOf(p)) ?? []).every((u) => !blocked.has(positionOf(index, u))),
  );
  const retrying = waiting.filter((w) => w.due <= now);
  const stillWaiting = waiting.filter((w) => w.due > now);
  const capacity = Math.max(0, refresh.maxConcurrency - inFlight.length - stillWaiting.length);
  const priority = remainingChain(index, pending, expected);
  const candidates = [
    ...retrying.map((w) => w.m),
    ...ready.sort((a, b) => (priority.get(b) ?? 0) - (priority.get(a) ?? 0) || a - b),
  ].slice(0, capacity);
  const outcomes: RecordedOutcome[] = [...skipped];
  const release: string[] = [];
  const leaseTimeout = index.manifest.project.refresh.leaseTimeoutMinutes * 60 + 600;
  const answers = await acquireLeases(candidates.map(nameOf), refresh.runId, deps, refresh.fullRefresh);
  const targets = await targetStates(
    answers.filter((a) => a.lease.kind === 'acquired'),
    refresh.runId,
    deps,
  );
  const toSubmit: { p: number; model: string; mode: InFlightBuild['mode'] }[] = [];
  const builtMeanwhile: string[] = [];
  for (const [i, answer] of answers.entries()) {
    const p = candidates[i] ?? -1;
    const before = retrying.find((w) => w.m === p);
    pending.delete(p);
    switch (answer.lease.kind) {
      case 'held': {
        const since = before?.at ?? now;
        const givingUp = now - since > leaseTimeout;
        // Giving up is a recorded failure too, so it counts against the same per-tick bound; the
        // rest give up in the next ticks.
        if (givingUp && failures.length < MAX_FAILURES_PER_TICK) {
          const busy: FailedBuild = {
            ...run,
            model: answer.model,
            mode: before?.mode ?? 'full',
            statementId: null,
            submittedAt: new Date(since * 1000).toISOString(),
            error: `ModelBusyError: model ${answer.model} is still being built by ${answer.lease.holder}; gave up waiting after ${Math.round((now - since) / 60)} minutes`,
          };
          failures.push(busy);
          const outcome = await recordBuildFailure(busy, deps);
          if (outcome.status === 'failed') {
            report.failed.push(answer.model);
            outcomes.push(...skipAfter([answer.model]));
          }
        } else {
          stillWaiting.push({
            m: p,
            mode: before?.mode ?? 'full',
            id: null,
            at: since,
            due: now + (givingUp ? 1 : LEASE_RETRY_SECONDS),
          });
        }
        break;
      }
      case 'already_built':
        outcomes.push({
          model: answer.model,
          status: 'unchanged',
          reason: 'built meanwhile by another refresh from the same inputs',
        });
        release.push(answer.model);
        report.finished.push(answer.model);
        // Its builder may have stopped before it dropped what a full rebuild swapped out (a refresh
        // ended by an error while the batch ran on), and this run will not build the model.
        if (index.model(answer.model).materialized !== 'materialized_view') builtMeanwhile.push(answer.model);
        break;
      case 'built_by_this_run':
        // A retried tick whose first attempt's build has committed since: nothing to submit, but the
        // table a full rebuild swapped out is still there (no tick saw the build finish).
        release.push(answer.model);
        report.finished.push(answer.model);
        if (index.model(answer.model).materialized !== 'materialized_view') builtMeanwhile.push(answer.model);
        break;
      case 'acquired': {
        const mode = chooseBuildMode(
          index.model(answer.model),
          targets.get(answer.model) ?? { exists: false },
          refresh.fullRefresh,
        );
        toSubmit.push({ p, model: answer.model, mode });
        break;
      }
    }
  }
  // Submitted before the leases go (without waiting): no other run's build of these models is running.
  if (builtMeanwhile.length > 0)
    await dropSwappedOutLater(builtMeanwhile, refresh.runId, `${tickId}-built`, deps);
  if (outcomes.length > 0 || release.length > 0) {
    await runInTransactions(
      warehouse,
      [
        ...insertOutcomesOnceSql(refresh.runId, refresh.trigger, outcomes),
        ...(release.length > 0 ? [releaseLeasesSql(release, refresh.runId)] : []),
      ],
      `zeo:${refresh.runId}:outcomes:${tickId}`,
    );
  }
  // Each build's clock starts when its submit returns, not at the tick's start: the expected finish
  // (last duration) is then not early by the tick's own work.
  const submits = await inParallel(toSubmit, async (s) => {
    const id = await submitBuild(s.model, s.mode, run, deps);
    return { id, at: clock() };
  });
  for (const [i, s] of toSubmit.entries()) {
    const at = submits[i]?.at ?? now;
    inFlight.push({
      m: s.p,
      mode: s.mode,
      id: submits[i]?.id ?? null,
      at,
      due: at + nextLookSeconds(0, expected.get(s.p)),
    });
    report.started.push(s.model);
  }
  inFlight = [...inFlight, ...stillWaiting];

  // 5. What next: the summary when nothing is left, otherwise a wait until the earliest look.
  const done = pending.size === 0 && inFlight.length === 0;
  const earliest = Math.min(...inFlight.map((b) => b.due));
  const waitSeconds = done
    ? 0
    : Math.min(MAX_WAIT_SECONDS, Math.max(1, Number.isFinite(earliest) ? earliest - clock() : 1));
  const ticks = state.ticks + 1;
  report.building = bounded(
    inFlight.filter((b) => b.id !== null).map((b) => nameOf(b.m)),
    40,
  );
  report.pending = pending.size;
  report.finished = bounded(report.finished, 80);
  report.failed = bounded(report.failed, 80);
  const keep = new Set([...pending, ...inFlight.map((b) => b.m)]);
  const next = done ? 'summarize' : ticks >= TICKS_PER_EXECUTION ? 'continue' : 'wait';
  const { continueAs: _previous, ...rest } = state;
  return {
    ...rest,
    pending: encodeBitset(pending, models.length),
    expected: encodeDurations(new Map([...expected].filter(([p]) => keep.has(p))), models.length),
    inFlight,
    // A continuation starts counting its own history again.
    ...(next === 'continue'
      ? {
          ticks: 0,
          continuation: state.continuation + 1,
          continueAs: continuationName(refresh.runId, state.continuation + 1),
        }
      : { ticks }),
    next,
    waitSeconds,
    last: report,
  };
}

function positionOf(index: IndexedManifest, model: string): number {
  return positionsOf(index).get(model) ?? -1;
}

/** Longest chain of expected seconds from each pending model to the end of the DAG (60 s when unknown). */
function remainingChain(
  index: IndexedManifest,
  pending: ReadonlySet<number>,
  expected: ReadonlyMap<number, number>,
): Map<number, number> {
  const memo = new Map<number, number>();
  const models = index.manifest.models;
  const visit = (p: number): number => {
    const known = memo.get(p);
    if (known !== undefined) return known;
    memo.set(p, 0);
    let longest = 0;
    for (const down of index.dag.downstream.get(models[p]?.name ?? '') ?? []) {
      const q = positionOf(index, down);
      if (pending.has(q)) longest = Math.max(longest, visit(q));
    }
    const total = (expected.get(p) ?? 60) + longest;
    memo.set(p, total);
    return total;
  };
  for (const p of pending) visit(p);
  return memo;
}
