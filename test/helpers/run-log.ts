import type { LocalOrchestrator } from '../../local/app.js';

/** What end-to-end tests read back from the local warehouse: outcomes of a run and table checksums. */

export const warehouseRows = (app: LocalOrchestrator, sql: string) =>
  app.stack.warehouse.query(sql) as Promise<Record<string, unknown>[]>;

/** Each model's outcome in one run (`zeo.run_log`), by model. */
export async function runOutcomes(
  app: LocalOrchestrator,
  runId: string,
): Promise<Record<string, { model: string; status: string; error: string }>> {
  const rows = await warehouseRows(
    app,
    `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${runId}'`,
  );
  return Object.fromEntries(
    rows.map((r) => [
      String(r.model),
      { model: String(r.model), status: String(r.status), error: String(r.error ?? '') },
    ]),
  );
}

/** An order-independent checksum and the row count of a relation: equal means the same rows. */
export async function relationChecksum(app: LocalOrchestrator, relation: string) {
  return (
    await warehouseRows(
      app,
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum, count(*)::int AS n FROM ${relation} t`,
    )
  )[0];
}
