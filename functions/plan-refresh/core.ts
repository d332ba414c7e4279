import { z } from 'zod';
import { InvalidInputError, SelectorError } from '../../shared/errors.js';
import { topologicalLevels } from '../../shared/graph/dag.js';
import { type IndexedManifest, selectForRequest } from '../../shared/graph/plan.js';
import { GroupName } from '../../shared/project/schema.js';
import { decideChanges } from '../../shared/refresh/change-detection.js';
import { deferredModels } from '../../shared/refresh/gating.js';
import { parseTableStates, tableStatesSql } from '../../shared/refresh/landing-state.js';
import { builtStatesSql, insertRunPlanSql, parseBuiltStates } from '../../shared/refresh/plan-records.js';
import { MAX_POLLS } from '../../shared/refresh/polling.js';
import { insertOutcomesSql, type RecordedOutcome } from '../../shared/refresh/run-log.js';
import { IsoTimestamp, RunId, Trigger } from '../../shared/runtime/inputs.js';
import { parseInput } from '../../shared/runtime/parse-input.js';
import { ensureBookkeeping } from '../../shared/warehouse/bookkeeping.js';
import { runInBatches, type WarehousePort } from '../../shared/warehouse/warehouse.js';

/** The console / CLI / schedule input of the curated-refresh state machine. */
export const CuratedRefreshInput = z.strictObject({
  select: z.string().min(1).max(4000).optional(),
  group: GroupName.optional(),
  fullRefresh: z.boolean().default(false),
  trigger: Trigger.default('manual'),
});
export type CuratedRefreshInput = z.infer<typeof CuratedRefreshInput>;

export const PlanRefreshEvent = z.strictObject({
  input: z.unknown(),
  executionName: z.string().min(1).max(80),
  startTime: z.string().min(1),
});

/** AWS fails an execution whose history reaches 25,000 events; a chunk plans for 80 % of that. */
export const HISTORY_LIMIT = 25_000;
const HISTORY_BUDGET = HISTORY_LIMIT * 0.8;
/** One poll round of curated-build: WaitForBuild (2) + CheckBuild, a Lambda Task (5) + BuildFinished (2). */
export const HISTORY_EVENTS_PER_POLL = 9;
/**
 * A model's events besides its polls: its Map iteration (2), SubmitBuild (5, and 3 per retry, at most
 * 14 retries), then Built (2) or the failure path (caught 1 + RecordBuildFailure 5 + ModelFailed 2).
 */
export const HISTORY_EVENTS_PER_MODEL = 2 + 5 + 14 * 3 + 8;
/** The chunk execution's own: started and succeeded, its Map state (4), ChunkBuilt (2), slack. */
const HISTORY_EVENTS_PER_CHUNK = 10;

/**
 * Models a curated-build child execution builds at most. Sized by history, not by count: every
 * model may be polled up to MAX_POLLS times (a 24-hour statement), and all of it lands in the
 * chunk's history, so a chunk of long builds stays inside the limit too.
 */
export const CHUNK_SIZE = Math.floor(
  (HISTORY_BUDGET - HISTORY_EVENTS_PER_CHUNK) /
    (MAX_POLLS * HISTORY_EVENTS_PER_POLL + HISTORY_EVENTS_PER_MODEL),
);

/** What every later step of a refresh needs to know about it; carried in the state as `refresh`. */
export const RefreshContext = z.strictObject({
  runId: RunId,
  trigger: Trigger,
  startedAt: IsoTimestamp,
  fullRefresh: z.boolean(),
  select: z.string().max(4000).optional(),
  group: GroupName.optional(),
  maxConcurrency: z.number().int().min(1).max(40),
});
export type RefreshContext = z.infer<typeof RefreshContext>;

export interface PlannedRefresh {
  refresh: RefreshContext;
  /** Level indexes to iterate (the levels themselves are recomputed from the manifest, keeping payloads small). */
  levels: number[];
  selectedCount: number;
  deferredCount: number;
  buildCount: number;
  unchangedCount: number;
  withinToleranceCount: number;
}

export interface PlanDeps {
  index: IndexedManifest;
  warehouse: WarehousePort;
  now: () => Date;
}

function requestOf(ctx: Pick<RefreshContext, 'select' | 'group'>) {
  return { ...(ctx.select ? { select: ctx.select } : {}), ...(ctx.group ? { group: ctx.group } : {}) };
}

/** The deterministic part of planning, shared by plan-refresh and prepare-level. */
export function selectedLevels(index: IndexedManifest, ctx: Pick<RefreshContext, 'select' | 'group'>) {
  const selected = selectForRequest(index, requestOf(ctx));
  return { selected, levels: topologicalLevels(index.dag, selected) };
}

export async function planRefresh(
  event: z.infer<typeof PlanRefreshEvent>,
  deps: PlanDeps,
): Promise<PlannedRefresh> {
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
    maxConcurrency: deps.index.manifest.project.refresh.maxConcurrency,
  };
  let plan: ReturnType<typeof selectedLevels>;
  try {
    plan = selectedLevels(deps.index, ctx);
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
  const deferred = deferredModels(index, plan.selected, states);
  const deferredNames = new Set(deferred.map((d) => d.model));
  // The decision for the whole DAG comes from two reads: the table states above and the model states here.
  const built = parseBuiltStates(
    await warehouse.query(builtStatesSql(), { statementName: `zeo:${ctx.runId}:model-states` }),
  );
  const decisions = [
    ...decideChanges({
      index,
      runId: ctx.runId,
      models: plan.levels.flat().filter((m) => !deferredNames.has(m)),
      states,
      built,
      fullRefresh: ctx.fullRefresh,
      now: deps.now(),
    }).values(),
  ];
  const skipped: RecordedOutcome[] = decisions.flatMap((d) =>
    d.action === 'build' ? [] : [{ model: d.model, status: d.action, reason: d.reason }],
  );
  await runInBatches(
    warehouse,
    [
      ...insertOutcomesSql(ctx.runId, ctx.trigger, [...deferred, ...skipped]),
      ...insertRunPlanSql(ctx.runId, decisions),
    ],
    `zeo:${ctx.runId}:plan`,
  );
  const count = (action: string) => decisions.filter((d) => d.action === action).length;
  // Levels where nothing is to be built are not visited at all (no step, no warehouse read).
  const toBuild = new Set(decisions.flatMap((d) => (d.action === 'build' ? [d.model] : [])));
  return {
    refresh: ctx,
    levels: plan.levels.flatMap((level, i) => (level.some((m) => toBuild.has(m)) ? [i] : [])),
    selectedCount: plan.selected.size,
    deferredCount: deferred.length,
    buildCount: count('build'),
    unchangedCount: count('unchanged'),
    withinToleranceCount: count('within_tolerance'),
  };
}
