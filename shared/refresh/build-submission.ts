import { createHash } from 'node:crypto';
import { StatementStillRunningError } from '../errors.js';
import type { IndexedManifest } from '../graph/plan.js';
import { type BuildMode, buildBatch, dropSwappedOutSql, type TargetState } from '../sql/build.js';
import { literal } from '../sql/identifiers.js';
import { acquireLeasesStatements, type LeaseOutcome, leaseOutcome, leaseStatusesSql } from '../sql/lease.js';
import type { Row, WarehousePort } from '../warehouse/warehouse.js';

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

export interface LeaseAnswer {
  model: string;
  lease: LeaseOutcome;
  /** Definition the model's current table was built from (model_state), if any. */
  definitionHash: string | undefined;
}

/**
 * Takes the build leases of several models in one transaction and reads back, in one query, who holds
 * each, and whether the current table already holds what this run planned (see leaseOutcome).
 */
export async function acquireLeases(
  models: readonly string[],
  runId: string,
  deps: { index: IndexedManifest; warehouse: Pick<WarehousePort, 'runTransaction' | 'query'> },
  fullRefresh = false,
): Promise<LeaseAnswer[]> {
  if (models.length === 0) return [];
  const timeout = deps.index.manifest.project.refresh.leaseTimeoutMinutes;
  const name = `zeo:${runId}:leases`;
  await deps.warehouse.runTransaction(acquireLeasesStatements(models, runId, timeout), {
    statementName: name,
  });
  const rows = await deps.warehouse.query(leaseStatusesSql(models, runId), {
    statementName: `${name}:status`,
  });
  const byModel = new Map(rows.map((r) => [String(r.model), r]));
  return models.map((model) => {
    const row: Row = byModel.get(model) ?? {};
    return {
      model,
      lease: leaseOutcome([row], runId, fullRefresh),
      definitionHash:
        row.definition_hash === null || row.definition_hash === undefined
          ? undefined
          : String(row.definition_hash).trim(),
    };
  });
}

/**
 * Whether the tables of incremental models that have a recorded build are still there (one read of
 * information_schema, only when such a model is about to build): a merge into a dropped table would fail.
 * Materialized views and plain tables need no read (views: the bookkeeping row is enough; tables are
 * always rebuilt). information_schema lives on the leader node and cannot be joined with user tables
 * (Developer Guide "Querying the catalog tables"), hence a read of its own.
 */
export async function targetStates(
  answers: readonly LeaseAnswer[],
  runId: string,
  deps: { index: IndexedManifest; warehouse: Pick<WarehousePort, 'query'> },
): Promise<Map<string, TargetState>> {
  const states = new Map<string, TargetState>();
  const check = answers.filter(
    (a) => a.definitionHash !== undefined && deps.index.model(a.model).materialized === 'incremental',
  );
  const present = await presentTables(
    check.map((a) => a.model),
    `zeo:${runId}:targets`,
    deps,
  );
  for (const a of answers) {
    if (a.definitionHash === undefined) continue;
    const model = deps.index.model(a.model);
    if (model.materialized === 'table') continue;
    const exists = model.materialized === 'materialized_view' || present.has(`${model.schema}.${model.name}`);
    states.set(a.model, { exists, definitionHash: a.definitionHash });
  }
  return states;
}

/**
 * Which of these models' tables exist, as `schema.name` (one read of information_schema; none for no
 * models). information_schema lives on the leader node and cannot be joined with user tables
 * (Developer Guide "Querying the catalog tables"), hence a read of its own.
 */
export async function presentTables(
  models: readonly string[],
  statementName: string,
  deps: { index: IndexedManifest; warehouse: Pick<WarehousePort, 'query'> },
): Promise<Set<string>> {
  if (models.length === 0) return new Set();
  const targets = models.map((m) => deps.index.model(m));
  const names = [...new Set(targets.map((m) => literal(m.name)))].join(', ');
  const schemas = [...new Set(targets.map((m) => literal(m.schema)))].join(', ');
  const rows = await deps.warehouse.query(
    `SELECT "table_schema", "table_name" FROM "information_schema"."tables" WHERE "table_schema" IN (${schemas}) AND "table_name" IN (${names})`,
    { statementName },
  );
  return new Set(rows.map((t) => `${String(t.table_schema)}.${String(t.table_name)}`));
}

/** Submits a model's build as one Data API batch (one transaction) and returns at once. */
export async function submitBuild(
  model: string,
  mode: BuildMode,
  run: { runId: string; trigger: string },
  deps: { index: IndexedManifest; warehouse: Pick<WarehousePort, 'submitTransaction'> },
  resubmission = 0,
): Promise<string> {
  const batch = buildBatch(deps.index.model(model), mode, run);
  return deps.warehouse.submitTransaction(batch.sqls, {
    statementName: batch.statementName,
    clientToken: buildClientToken(run.runId, model, mode, resubmission),
  });
}

/**
 * After a full rebuild committed: drops the table it swapped out, outside the build's transaction (see
 * dropSwappedOutSql). The DROP waits for queries still reading that table; when that takes longer than
 * the step's synchronous wait it is left to finish on its own (the statement stays queued in the
 * warehouse), as the build is done either way and the model's next build drops the table first.
 */
export async function dropSwappedOut(
  event: { runId: string; model: string },
  deps: { index: Pick<IndexedManifest, 'model'>; warehouse: Pick<WarehousePort, 'runStatement'> },
): Promise<'dropped' | 'pending'> {
  try {
    await deps.warehouse.runStatement(dropSwappedOutSql(deps.index.model(event.model)), {
      statementName: `zeo:${event.runId}:${event.model}:drop-old`,
    });
    return 'dropped';
  } catch (error) {
    // AWS-ASSUMPTION: drop-waits-then-completes
    if (error instanceof StatementStillRunningError) return 'pending';
    throw error;
  }
}

/**
 * The tables several finished full rebuilds swapped out, dropped by one batch submitted without
 * waiting (a DROP waits for readers of the old table; the dispatcher must not). Should it not run to
 * the end, each model's next build drops its leftover first.
 */
export async function dropSwappedOutLater(
  models: readonly string[],
  runId: string,
  tick: string,
  deps: { index: Pick<IndexedManifest, 'model'>; warehouse: Pick<WarehousePort, 'submitTransaction'> },
): Promise<void> {
  for (let i = 0; i < models.length; i += 40) {
    const sqls = models.slice(i, i + 40).map((m) => dropSwappedOutSql(deps.index.model(m)));
    await deps.warehouse.submitTransaction(sqls, {
      statementName: `zeo:${runId}:drop-old:${tick}:${i / 40}`,
      // A retried tick drops the same tables with the same request, not twice.
      clientToken: buildClientToken(runId, `drop-old-${tick}-${i / 40}`, models.slice(i, i + 40).join(',')),
    });
  }
}
