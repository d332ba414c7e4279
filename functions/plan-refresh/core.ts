import * as z from 'zod';
import { IsoTimestamp, RunId } from '../../shared/contracts/fields.js';
import { CuratedRefreshInput } from '../../shared/contracts/state-machine-inputs.js';
import { InvalidInputError, SelectorError } from '../../shared/errors.js';
import { topologicalLevels } from '../../shared/graph/dag.js';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { presentTables } from '../../shared/refresh/build-submission.js';
import { decideChanges } from '../../shared/refresh/change-detection.js';
import {
  type DispatchState,
  encodeBitset,
  encodeDurations,
  manifestFingerprint,
  positionsOf,
  type RefreshContext,
} from '../../shared/refresh/dispatch-state.js';
import {
  deferredModels,
  skippedDescendants,
  unbuiltUpstreamFailures,
  upstreamsOutside,
} from '../../shared/refresh/gating.js';
import { selectedModels } from '../../shared/refresh/selection.js';
import { parseInput } from '../../shared/runtime/parse-input.js';
import { parseTableStates, tableStatesSql } from '../../shared/sql/landing-state.js';
import { builtStatesSql, insertRunPlanSql, parseBuiltStates } from '../../shared/sql/plan-records.js';
import { insertOutcomesSql, type RecordedOutcome } from '../../shared/sql/run-log.js';
import { ensureBookkeeping } from '../../shared/warehouse/bookkeeping.js';
import { runInTransactions, type WarehousePort } from '../../shared/warehouse/warehouse.js';

export const PlanRefreshEvent = z.strictObject({
  input: z.unknown(),
  executionName: z.string().min(1).max(80),
  startTime: z.string().min(1),
});

export interface PlanDeps {
  index: IndexedManifest;
  warehouse: WarehousePort;
  now: () => Date;
}

export async function planRefresh(
  event: z.infer<typeof PlanRefreshEvent>,
  deps: PlanDeps,
): Promise<DispatchState> {
  const input = parseInput(CuratedRefreshInput, event.input ?? {});
  const runId = RunId.safeParse(event.executionName.slice(0, 80));
  if (!runId.success)
    throw new InvalidInputError([
      { file: 'input', field: 'executionName', message: 'execution names must be letters, digits, - and _' },
    ]);
  const ctx: RefreshContext = {
    runId: runId.data,
    trigger: input.trigger,
    startedAt: IsoTimestamp.parse(new Date(event.startTime).toISOString()),
    fullRefresh: input.fullRefresh,
    ...(input.select ? { select: input.select } : {}),
    ...(input.group ? { group: input.group } : {}),
    ...(input.sources ? { sources: [...new Set(input.sources)].sort() } : {}),
    maxConcurrency: deps.index.manifest.project.refresh.maxConcurrency,
  };
  const landing = new Set(
    Object.entries(deps.index.manifest.project.landing.tables).flatMap(([schema, tables]) =>
      tables.map((t) => `${schema}.${t}`),
    ),
  );
  const unknownSources = (input.sources ?? []).flatMap((t, i) => (landing.has(t) ? [] : [{ t, i }]));
  if (unknownSources.length > 0) {
    throw new InvalidInputError(
      unknownSources.map(({ t, i }) => ({
        file: 'input',
        field: `sources[${i}]`,
        message: `'${t}' is not a landing table of this project (project.yml landing.tables)`,
      })),
    );
  }
  let selected: Set<string>;
  try {
    selected = selectedModels(deps.index, ctx);
  } catch (error) {
    if (error instanceof SelectorError) {
      throw new InvalidInputError([
        { file: 'input', field: ctx.group && !ctx.select ? 'group' : 'select', message: error.message },
      ]);
    }
    throw error;
  }
  // Nothing is written before the input is known to be good.
  const { warehouse, index } = deps;
  // Set up or migrated only when missing or old: one SELECT of its version otherwise (issue #12, defect 10).
  await ensureBookkeeping(warehouse, { statementName: `zeo:${ctx.runId}` });
  const states = parseTableStates(
    await warehouse.query(tableStatesSql(index.manifest.project.landing.database), {
      statementName: `zeo:${ctx.runId}:table-states`,
    }),
  );
  const deferred = deferredModels(index, selected, states);
  const deferredNames = new Set(deferred.map((d) => d.model));
  // The decision for the whole DAG comes from two reads: the table states above and the model states here.
  const built = parseBuiltStates(
    await warehouse.query(builtStatesSql(), { statementName: `zeo:${ctx.runId}:model-states` }),
  );
  const decisions = [
    ...decideChanges({
      index,
      runId: ctx.runId,
      models: topologicalLevels(index.dag, selected)
        .flat()
        .filter((m) => !deferredNames.has(m)),
      states,
      built,
      fullRefresh: ctx.fullRefresh,
      now: deps.now(),
    }).values(),
  ];
  const notBuilt: RecordedOutcome[] = decisions.flatMap((d) =>
    d.action === 'build' ? [] : [{ model: d.model, status: d.action, reason: d.reason }],
  );
  // Descendants of deferred models are deferred too (deferredModels), so everything here can build —
  // unless it reads a model that is not in this refresh and was never built: failed now, not in SQL.
  const toBuild = new Set(decisions.flatMap((d) => (d.action === 'build' ? [d.model] : [])));
  const present = await presentTables(
    upstreamsOutside(index, toBuild),
    `zeo:${ctx.runId}:upstream-tables`,
    deps,
  );
  const unbuilt = unbuiltUpstreamFailures(index, toBuild, (m) => {
    const model = index.model(m);
    // AWS-ASSUMPTION: materialized-views-in-information-schema
    // Whether information_schema.tables lists materialized views is not documented: one zeo built
    // (it has a model_state row) counts as there, so the build's own SQL decides.
    if (present.has(`${model.schema}.${model.name}`)) return undefined;
    if (!built.has(m)) return 'has never been built';
    return model.materialized === 'materialized_view'
      ? undefined
      : 'was built, but its table is gone (dropped?)';
  });
  const unbuiltNames = unbuilt.map((f) => f.model);
  const skipped = skippedDescendants(index, unbuiltNames, (m) => toBuild.has(m));
  for (const outcome of [...unbuilt, ...skipped]) toBuild.delete(outcome.model);
  await runInTransactions(
    warehouse,
    [
      ...insertOutcomesSql(ctx.runId, ctx.trigger, [...deferred, ...notBuilt, ...unbuilt, ...skipped]),
      ...insertRunPlanSql(ctx.runId, decisions),
    ],
    `zeo:${ctx.runId}:plan`,
  );
  const count = (action: string) => decisions.filter((d) => d.action === action).length;
  const positions = positionsOf(index);
  const pending = [...toBuild].map((m) => positions.get(m) ?? -1).filter((p) => p >= 0);
  const expected = new Map<number, number>();
  for (const p of pending) {
    const seconds = built.get(index.manifest.models[p]?.name ?? '')?.lastDurationSeconds;
    if (seconds !== undefined) expected.set(p, seconds);
  }
  return {
    refresh: ctx,
    manifest: manifestFingerprint(index),
    pending: encodeBitset(pending, index.manifest.models.length),
    expected: encodeDurations(expected, index.manifest.models.length),
    inFlight: [],
    ticks: 0,
    continuation: 0,
    next: pending.length > 0 ? 'dispatch' : 'summarize',
    waitSeconds: 0,
    planned: {
      selected: selected.size,
      build: toBuild.size,
      deferred: deferred.length,
      skipped: skipped.length,
      unchanged: count('unchanged'),
      withinTolerance: count('within_tolerance'),
    },
    last: {
      started: [],
      finished: [],
      failed: unbuiltNames.slice(0, 80),
      skipped: skipped.length,
      building: [],
      pending: pending.length,
    },
  };
}
