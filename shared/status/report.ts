import type { IndexedManifest } from '../graph/plan.js';
import { resolveManagedIntegration } from '../integration/managed.js';
import type { IntegrationsPort } from '../integration/rds.js';
import { parseTableStates, SYNCED, tableStatesSql } from '../sql/landing-state.js';
import { lastSuccessSql, latestOutcomesSql } from '../sql/status.js';
import { parseWarehouseTimestamp } from '../warehouse/timestamp.js';
import type { Row, WarehousePort } from '../warehouse/warehouse.js';

/**
 * What `zeo status` reports: the integration, its tables, the curated layer's freshness and each
 * model's latest outcome, running work. The CLI (on AWS) and the local stack's control endpoint both
 * build it here, from the same reads.
 */
export interface StatusReport {
  integration: { arn: string; status: string; errors: { code: string; message: string }[] } | null;
  tables: { counts: Record<string, number>; notSynced: { table: string; state: string; reason: string }[] };
  models: ModelStatus[];
  running: { stateMachine: string; name: string; started: string }[];
}

export interface ModelStatus {
  model: string;
  lastSuccess: string | null;
  ageMinutes: number | null;
  rows: number | null;
  /** The latest run-log outcome (success, failed, skipped, deferred, unchanged, …), of any run. */
  lastStatus: string | null;
  /** Its reason: the error class and message of a failure, the upstream of a skip, the table of a deferral. */
  lastError: string | null;
  /** When that outcome was recorded (ISO, UTC). */
  lastOutcomeAt: string | null;
  /** The run that recorded it (the Step Functions execution name). */
  lastRunId: string | null;
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
  // No bookkeeping schema yet means nothing was ever built or recorded: every model reads "never".
  const byModel = async (sql: string, statementName: string): Promise<Map<string, Row>> => {
    const rows = await deps.warehouse.query(sql, { statementName }).catch(() => []);
    return new Map(rows.map((r) => [String(r.model), r]));
  };
  const successes = await byModel(lastSuccessSql(), 'zeo:status:models');
  const outcomes = await byModel(latestOutcomesSql(), 'zeo:status:outcomes');
  const now = deps.now().getTime();
  const text = (value: Row[string] | undefined) =>
    value === null || value === undefined || value === '' ? null : String(value);
  const models = deps.index.manifest.models.map((m): ModelStatus => {
    const success = successes.get(m.name);
    const outcome = outcomes.get(m.name);
    const last = parseWarehouseTimestamp(success?.last_success_at);
    const rows = success?.rows;
    return {
      model: m.name,
      lastSuccess: last ? last.toISOString() : null,
      ageMinutes: last ? Math.round((now - last.getTime()) / 60_000) : null,
      rows: typeof rows === 'number' ? rows : typeof rows === 'string' && rows !== '' ? Number(rows) : null,
      lastStatus: text(outcome?.status),
      lastError: text(outcome?.error),
      lastOutcomeAt: parseWarehouseTimestamp(outcome?.at)?.toISOString() ?? null,
      lastRunId: text(outcome?.run_id),
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
