import { z } from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { skippedModels } from '../../shared/refresh/gating.js';
import { insertOutcomesSql, runOutcomesSql } from '../../shared/refresh/run-log.js';
import { bookkeeping } from '../../shared/sql/bookkeeping.js';
import { type BuildMode, chooseBuildMode, type TargetState } from '../../shared/sql/build.js';
import { literal } from '../../shared/sql/identifiers.js';
import { runInBatches, type WarehousePort } from '../../shared/warehouse/warehouse.js';
import { CHUNK_SIZE, RefreshContext, selectedLevels } from '../plan-refresh/core.js';

export const PrepareLevelEvent = z.strictObject({
  refresh: RefreshContext,
  level: z.number().int().min(0),
});

export interface BuildItem {
  model: string;
  mode: BuildMode;
}

export interface LevelChunk {
  /** Deterministic child execution name: a retried Map iteration does not start a second child. */
  name: string;
  runId: string;
  trigger: string;
  maxConcurrency: number;
  items: BuildItem[];
}

export interface PreparedLevel {
  level: number;
  chunks: LevelChunk[];
  buildCount: number;
  skippedCount: number;
}

export interface PrepareLevelDeps {
  index: IndexedManifest;
  warehouse: WarehousePort;
}

/**
 * Decides what a level builds: drops models deferred or skipped (an upstream failed, was deferred or
 * skipped in this run — read back from the run log, one query), records the new skips, and picks each
 * model's build mode from what the warehouse holds (merge vs full rebuild, refresh vs re-create).
 */
export async function prepareLevel(
  { refresh, level: levelIndex }: z.infer<typeof PrepareLevelEvent>,
  deps: PrepareLevelDeps,
): Promise<PreparedLevel> {
  const { index, warehouse } = deps;
  const event = { ...refresh, level: levelIndex };
  const { levels } = selectedLevels(index, refresh);
  const level = levels[event.level] ?? [];
  const name = (suffix: string) => `zeo:${event.runId}:level-${event.level}:${suffix}`;
  const decidedRows = await warehouse.query(
    runOutcomesSql(event.runId, ['failed', 'deferred', 'skipped', 'unchanged', 'within_tolerance']),
    { statementName: name('outcomes') },
  );
  const decided = new Map(decidedRows.map((r) => [String(r.model), String(r.status)]));
  // Only a model that did not build blocks its descendants; an unchanged one is simply current.
  const blocked = new Map(
    [...decided].filter(([, status]) => ['failed', 'deferred', 'skipped'].includes(status)),
  );
  const skipped = skippedModels(index, level, blocked);
  await runInBatches(warehouse, insertOutcomesSql(event.runId, event.trigger, skipped), name('skipped'));
  const skippedNames = new Set(skipped.map((s) => s.model));
  const toBuild = level.filter((m) => !decided.has(m) && !skippedNames.has(m));
  const targets = await readTargetStates(index, toBuild, warehouse, name('targets'));
  const items = toBuild.map((model) => ({
    model,
    mode: chooseBuildMode(index.model(model), targets.get(model) ?? { exists: false }, event.fullRefresh),
  }));
  const chunks: LevelChunk[] = [];
  for (let i = 0; i < items.length; i += CHUNK_SIZE) {
    chunks.push({
      name: `${event.runId.slice(0, 60)}-l${event.level}-c${i / CHUNK_SIZE}`,
      runId: event.runId,
      trigger: event.trigger,
      maxConcurrency: event.maxConcurrency,
      items: items.slice(i, i + CHUNK_SIZE),
    });
  }
  return { level: event.level, chunks, buildCount: items.length, skippedCount: skipped.length };
}

/**
 * What exists for the models whose build mode depends on it (incremental, materialized views): the
 * last successful definition from the bookkeeping schema, and whether the table is still there.
 * Tables are plain models: always rebuilt, so they cost no read.
 */
async function readTargetStates(
  index: IndexedManifest,
  models: readonly string[],
  warehouse: WarehousePort,
  statementName: string,
): Promise<Map<string, TargetState>> {
  const relevant = models.map((m) => index.model(m)).filter((m) => m.materialized !== 'table');
  const states = new Map<string, TargetState>();
  if (relevant.length === 0) return states;
  const names = relevant.map((m) => literal(m.name)).join(', ');
  const schemas = [...new Set(relevant.map((m) => literal(m.schema)))].join(', ');
  // Two reads, never one join: information_schema lives on Redshift's leader node and cannot be joined
  // with user tables such as zeo.model_state (Developer Guide "Querying the catalog tables").
  const rows = await warehouse.query(
    `SELECT "model", "definition_hash" FROM ${bookkeeping.modelState} WHERE "model" IN (${names})`,
    { statementName },
  );
  if (rows.length === 0) return states;
  const present = await warehouse.query(
    `SELECT "table_schema", "table_name" FROM "information_schema"."tables" WHERE "table_schema" IN (${schemas}) AND "table_name" IN (${names})`,
    { statementName: `${statementName}:tables` },
  );
  const exists = new Set(present.map((t) => `${String(t.table_schema)}.${String(t.table_name)}`));
  for (const model of relevant) {
    const row = rows.find((r) => r.model === model.name);
    if (!row) continue;
    // information_schema does not list materialized views everywhere; the bookkeeping row is enough for them.
    const there = model.materialized === 'materialized_view' || exists.has(`${model.schema}.${model.name}`);
    states.set(model.name, { exists: there, definitionHash: String(row.definition_hash).trim() });
  }
  return states;
}
