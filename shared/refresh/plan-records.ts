import { bookkeeping } from '../sql/bookkeeping.js';
import { literal } from '../sql/identifiers.js';
import type { Row } from '../warehouse/warehouse.js';
import type { BuiltState, ChangeDecision } from './change-detection.js';
import { chunkedInsert, printable } from './chunked-insert.js';

/** What the bookkeeping knows about every model's current table (the second read of a refresh's decision). */
export function builtStatesSql(): string {
  return `SELECT "model", TRIM("definition_hash") AS "definition_hash", "build_id", TRIM("inputs_hash") AS "inputs_hash", "last_success_at" FROM ${bookkeeping.modelState}`;
}

export function parseBuiltStates(rows: readonly Row[]): Map<string, BuiltState> {
  const built = new Map<string, BuiltState>();
  for (const row of rows) {
    const last =
      row.last_success_at === null ? null : new Date(`${String(row.last_success_at).replace(' ', 'T')}Z`);
    built.set(String(row.model), {
      definitionHash: String(row.definition_hash ?? ''),
      buildId: row.build_id === null ? null : String(row.build_id),
      inputsHash: row.inputs_hash === null || row.inputs_hash === '' ? null : String(row.inputs_hash),
      lastSuccessAt: last && !Number.isNaN(last.getTime()) ? last : null,
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
