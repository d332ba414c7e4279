import type { BuiltState, ChangeDecision } from '../refresh/change-detection.js';
import { parseWarehouseTimestamp } from '../warehouse/timestamp.js';
import type { Row } from '../warehouse/warehouse.js';
import { bookkeeping } from './bookkeeping.js';
import { chunkedInsert, printable } from './chunked.js';
import { literal } from './identifiers.js';

/**
 * What each model's current table was built from, and how long its last successful build took (the
 * dispatcher waits for a build until just after its expected finish). Durations come from the run log
 * of the last 35 days only, which keeps the read small however long the log grows (SORTKEY started_at).
 */
export function builtStatesSql(): string {
  return `SELECT s."model", TRIM(s."definition_hash") AS "definition_hash", s."build_id", TRIM(s."inputs_hash") AS "inputs_hash", s."last_success_at", d."started_at" AS "last_build_started_at", d."finished_at" AS "last_build_finished_at"
FROM ${bookkeeping.modelState} AS s
LEFT JOIN (SELECT "model", "started_at", "finished_at", ROW_NUMBER() OVER (PARTITION BY "model" ORDER BY "finished_at" DESC) AS "zeo_rank"
  FROM ${bookkeeping.runLog} WHERE "status" = 'success' AND "finished_at" IS NOT NULL AND "started_at" > GETDATE() - INTERVAL '35 days') AS d
ON d."model" = s."model" AND d."zeo_rank" = 1`;
}

export function parseBuiltStates(rows: readonly Row[]): Map<string, BuiltState> {
  const built = new Map<string, BuiltState>();
  for (const row of rows) {
    const last = parseWarehouseTimestamp(row.last_success_at);
    const started = parseWarehouseTimestamp(row.last_build_started_at);
    const finished = parseWarehouseTimestamp(row.last_build_finished_at);
    const duration =
      started && finished && finished >= started
        ? (finished.getTime() - started.getTime()) / 1000
        : undefined;
    built.set(String(row.model), {
      ...(duration === undefined ? {} : { lastDurationSeconds: duration }),
      definitionHash: String(row.definition_hash ?? ''),
      buildId: row.build_id === null ? null : String(row.build_id),
      inputsHash: row.inputs_hash === null || row.inputs_hash === '' ? null : String(row.inputs_hash),
      lastSuccessAt: last,
    });
  }
  return built;
}

/** The inputs in readable form for `zeo status` and the run plan; the hash is what is compared. */
function describeInputs(decision: Extract<ChangeDecision, { action: 'build' }>): string {
  const sources = Object.entries(decision.inputs.sources).map(([t, p]) => `${t}=${p}`);
  const upstream = Object.entries(decision.inputs.upstream).map(([m, h]) => `${m}=${h.slice(0, 12)}`);
  return printable(
    `definition=${decision.inputs.definition.slice(0, 12)}; sources: ${sources.join(', ') || 'none'}; upstream: ${upstream.join(', ') || 'none'}; why: ${decision.reason}`,
  );
}

export function insertRunPlanSql(runId: string, decisions: readonly ChangeDecision[]): string[] {
  const rows = decisions.flatMap((d) =>
    d.action === 'build'
      ? [
          `(${literal(runId)}, ${literal(d.model)}, ${literal(d.buildId)}, ${literal(d.inputsHash)}, ${literal(describeInputs(d))}, GETDATE())`,
        ]
      : [],
  );
  return chunkedInsert(
    `INSERT INTO ${bookkeeping.runPlan} ("run_id", "model", "build_id", "inputs_hash", "inputs", "planned_at") VALUES`,
    rows,
  );
}
