import type { IndexedManifest } from '../shared/graph/plan.js';
import { resolveManagedIntegration } from '../shared/integration/managed.js';
import type { IntegrationsPort } from '../shared/integration/rds.js';
import { parseTableStates, SYNCED, tableStatesSql } from '../shared/refresh/landing-state.js';
import { bookkeeping } from '../shared/sql/bookkeeping.js';
import type { WarehousePort } from '../shared/warehouse/warehouse.js';

/** What `zeo status` reports: the integration, its tables, the curated layer's freshness, running work. */
export interface StatusReport {
  integration: { arn: string; status: string; errors: { code: string; message: string }[] } | null;
  tables: { counts: Record<string, number>; notSynced: { table: string; state: string; reason: string }[] };
  models: {
    model: string;
    lastSuccess: string | null;
    ageMinutes: number | null;
    rows: number | null;
    lastStatus: string | null;
    lastError: string | null;
  }[];
  running: { stateMachine: string; name: string; started: string }[];
}

export async function collectStatus(deps: {
  index: IndexedManifest;
  warehouse: WarehousePort;
  integrations: IntegrationsPort;
  running: () => Promise<StatusReport['running']>;
  now: () => Date;
}): Promise<StatusReport> {
  const { project } = deps.index.manifest;
  const integration = await resolveManagedIntegration(deps.integrations, project.landing.integrationArn);
  const states = parseTableStates(
    await deps.warehouse.query(tableStatesSql(project.landing.database), {
      statementName: 'zeo:status:tables',
    }),
  );
  const projectTables = Object.entries(project.landing.tables).flatMap(([s, ts]) =>
    ts.map((t) => `${s}.${t}`),
  );
  const counts: Record<string, number> = {};
  const notSynced: StatusReport['tables']['notSynced'] = [];
  for (const table of projectTables) {
    const state = states.get(table);
    const name = state?.state ?? 'Missing';
    counts[name] = (counts[name] ?? 0) + 1;
    if (name !== SYNCED)
      notSynced.push({ table, state: name, reason: state?.reason || 'no replication state' });
  }
  const freshness = await deps.warehouse
    .query(
      `SELECT s."model", s."last_success_at", s."rows", l."status", l."error"
FROM ${bookkeeping.modelState} s
LEFT JOIN (SELECT "model", "status", "error", ROW_NUMBER() OVER (PARTITION BY "model" ORDER BY "finished_at" DESC) AS "rn" FROM ${bookkeeping.runLog}) l
  ON l."model" = s."model" AND l."rn" = 1`,
      { statementName: 'zeo:status:models' },
    )
    .catch(() => []); // no bookkeeping schema yet: nothing was built
  const byModel = new Map(freshness.map((r) => [String(r.model), r]));
  const now = deps.now().getTime();
  const models = deps.index.manifest.models.map((m) => {
    const row = byModel.get(m.name);
    const last = row?.last_success_at
      ? new Date(`${String(row.last_success_at).replace(' ', 'T').replace(/Z?$/, 'Z')}`)
      : null;
    return {
      model: m.name,
      lastSuccess: last ? last.toISOString() : null,
      ageMinutes: last ? Math.round((now - last.getTime()) / 60_000) : null,
      rows: typeof row?.rows === 'number' ? row.rows : null,
      lastStatus: row?.status ? String(row.status) : null,
      lastError: row?.error ? String(row.error) : null,
    };
  });
  return {
    integration: integration
      ? { arn: integration.arn, status: integration.status, errors: integration.errors }
      : null,
    tables: { counts, notSynced },
    models,
    running: await deps.running(),
  };
}
