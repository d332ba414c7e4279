import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { classifyFailure, EVENT_ID_PATTERN } from '../../shared/integration/classify.js';
import { isManaged, recentRecreations, resolveManagedIntegration } from '../../shared/integration/managed.js';
import type { IntegrationsPort } from '../../shared/integration/rds.js';
import { parseTableStates, SYNCED, tableStatesSql } from '../../shared/sql/landing-state.js';
import { readCheckpointSql } from '../../shared/sql/reconcile.js';
import { normalizeTimestamp, parseResyncEpisodes, resyncStartsSql } from '../../shared/sql/state-changes.js';
import { ensureBookkeeping } from '../../shared/warehouse/bookkeeping.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const AssessStateEvent = z.strictObject({
  event: z.unknown(),
  executionName: z.string().min(1).max(80),
});

export const INTEGRATION_DETAIL_TYPES = [
  'Redshift Integration Monitoring',
  'Redshift Integration Configuration',
  'Redshift Integration Operation',
] as const;

/** The fields of an aws.redshift integration event the orchestrator relies on (detail is undocumented). */
const IntegrationEvent = z.object({
  id: z.string().min(1).max(128),
  source: z.literal('aws.redshift'),
  'detail-type': z.enum(INTEGRATION_DETAIL_TYPES),
  resources: z.array(z.string()).default([]),
  time: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).default({}),
});

const WatchdogEvent = z.object({ trigger: z.literal('watchdog') });

export type Route = 'integration-recovery' | 'resync-recovery' | 'none' | 'ignore';

export interface Assessment {
  route: Route;
  trigger: 'event' | 'watchdog' | 'manual';
  note: string;
  eventId: string | null;
  childName: string | null;
  childInput: Record<string, unknown> | null;
  /** New high-water mark of SYS_INTEGRATION_TABLE_STATE_CHANGE, or null to keep the old one. */
  checkpoint: string | null;
}

/** How far back resync episodes are reconstructed (longer than any resync takes). */
const EPISODE_LOOKBACK_MS = 7 * 24 * 3600_000;

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

function ignore(note: string, trigger: Assessment['trigger'], eventId: string | null = null): Assessment {
  return { route: 'ignore', trigger, note, eventId, childName: null, childInput: null, checkpoint: null };
}

/**
 * Decides what to do about an integration event or a watchdog tick by re-reading the real state —
 * events are hints (best-effort, reorderable, duplicable), the RDS and Redshift views are the truth.
 * Child executions get deterministic names so the same situation started twice converges to one run.
 */
export async function assessState(
  input: z.infer<typeof AssessStateEvent>,
  deps: { index: IndexedManifest; warehouse: WarehousePort; integrations: IntegrationsPort; now: () => Date },
): Promise<Assessment> {
  const { project } = deps.index.manifest;
  const now = deps.now();
  // The decision is always recorded in the bookkeeping schema, so make sure it exists first: one
  // SELECT of its version on a set-up warehouse, the setup or migration only when it is missing or old.
  await ensureBookkeeping(deps.warehouse, { statementName: `zeo:${input.executionName}` });
  let trigger: Assessment['trigger'] = 'manual';
  let eventId: string | null = null;
  let eventTime: string | undefined;
  const raw = input.event;
  const isEmpty =
    raw === null || raw === undefined || (typeof raw === 'object' && Object.keys(raw).length === 0);
  if (WatchdogEvent.safeParse(raw).success) {
    trigger = 'watchdog';
  } else if (!isEmpty) {
    const parsed = IntegrationEvent.safeParse(raw);
    if (!parsed.success) {
      const problem = parsed.error.issues[0];
      return ignore(
        `malformed or unexpected event (${problem?.path.join('.') || 'root'}: ${problem?.message ?? 'invalid'}); ignored`,
        'event',
      );
    }
    trigger = 'event';
    eventTime = parsed.data.time;
    // AWS-ASSUMPTION: event-detail-shape
    eventId = EVENT_ID_PATTERN.exec(JSON.stringify(parsed.data.detail))?.[0] ?? null;
    const arns = parsed.data.resources.filter((r) => r.includes(':integration:'));
    if (arns.length > 0) {
      const integrationNow = await resolveManagedIntegration(
        deps.integrations,
        project.landing.integrationArn,
      );
      const ours = arns.some(
        (a) =>
          a === project.landing.integrationArn ||
          (integrationNow &&
            a === integrationNow.arn &&
            isManaged(integrationNow, project.landing.integrationArn)),
      );
      if (!ours)
        return ignore(
          `event ${parsed.data.id} is about another integration (${arns.join(', ')}); ignored`,
          trigger,
          eventId,
        );
    }
  }

  const integration = await resolveManagedIntegration(deps.integrations, project.landing.integrationArn);
  if (!integration)
    return {
      ...ignore('the managed integration does not exist; nothing to reconcile', trigger, eventId),
      route: 'none',
    };
  // Event times have one-second precision: only an event from an earlier second predates the integration.
  if (
    eventTime &&
    integration.createTime &&
    Date.parse(eventTime) < Math.floor(Date.parse(integration.createTime) / 1000) * 1000
  ) {
    return ignore(
      `stale event from ${eventTime}, before the current integration was created (${integration.createTime}); ignored`,
      trigger,
      eventId,
    );
  }
  if (integration.status === 'failed' || integration.status === 'needs_attention') {
    const { recovery } = project;
    // The class the guardrail will decide on (the live Errors, else this event's id, else the policy).
    const failure = classifyFailure(integration, eventId, recovery.onUnknownFailure);
    return {
      route: 'integration-recovery',
      trigger,
      note: `integration ${integration.id} is ${integration.status}${eventId ? ` (${eventId})` : ''}; failure class ${failure.class}${failure.from === 'none' ? ` (onUnknownFailure=${recovery.onUnknownFailure})` : ` (from the ${failure.from === 'errors' ? "integration's errors" : 'event'})`}`,
      eventId,
      // One recovery per decision about one failure: duplicate events converge on the same name, and
      // anything that would change the guardrail's answer gets a run of its own — a different failure
      // (status, errors), a different class (an event that alone tells it: a notify-class event seen
      // first must not make a later recreate-class one a duplicate), the recovery settings, and the
      // recreations the circuit breaker counts (so a recovery it blocked is tried again, once, when
      // one of them ages out of its 24 hours, instead of being a duplicate forever).
      childName: `recover-${integration.id}-${hash(
        [
          integration.status,
          ...integration.errors.map((e) => `${e.code}:${e.message}`),
          `class:${failure.class}:${failure.action}`,
          `settings:${recovery.recreateIntegration}:${recovery.maxRecreatesPer24h}`,
          `breaker:${recentRecreations(integration.snapshot, now).join(',')}`,
        ].join('|'),
      ).slice(0, 8)}`,
      childInput: {
        integrationArn: integration.arn,
        reason: { status: integration.status, ...(eventId ? { eventId } : {}) },
      },
      checkpoint: null,
    };
  }

  const checkpointRows = await deps.warehouse.query(readCheckpointSql(), {
    statementName: `zeo:${input.executionName}:checkpoint`,
  });
  const checkpoint = normalizeTimestamp(checkpointRows[0]?.value);
  const lookback = normalizeTimestamp(new Date(now.getTime() - EPISODE_LOOKBACK_MS).toISOString()) as string;
  const landingDb = project.landing.database;
  const states = parseTableStates(
    await deps.warehouse.query(tableStatesSql(landingDb), {
      statementName: `zeo:${input.executionName}:states`,
    }),
  );
  const { episodes, latest } = parseResyncEpisodes(
    await deps.warehouse.query(resyncStartsSql(landingDb, lookback), {
      statementName: `zeo:${input.executionName}:changes`,
    }),
  );
  const since = checkpoint ?? lookback;
  const projectTables = new Set(
    Object.entries(project.landing.tables).flatMap(([s, ts]) => ts.map((t) => `${s}.${t}`)),
  );
  const resyncing = [...projectTables].filter((t) => {
    const s = states.get(t)?.state;
    return s !== undefined && s !== SYNCED && s !== 'Deleted' && s !== 'DroppedSource';
  });
  // Resyncs that began and ended between two looks: their tables are Synced again but need a rebuild.
  const resynced = [...episodes.values()]
    .filter((e) => e.startedAt > since && projectTables.has(e.table))
    .map((e) => e.table);
  const tables = [...new Set([...resyncing, ...resynced])].sort();
  if (tables.length === 0) {
    return {
      route: 'none',
      trigger,
      note: `integration ${integration.status}; all ${projectTables.size} project tables Synced, no resync since ${since}`,
      eventId,
      childName: null,
      childInput: null,
      checkpoint: latest ?? checkpoint,
    };
  }
  // One recovery per resync episode: named after when each table's episode began.
  const episode = tables
    .map((t) => `${t}@${episodes.get(t)?.startedAt ?? states.get(t)?.lastUpdated ?? 'current'}`)
    .join(',');
  return {
    route: 'resync-recovery',
    trigger,
    note: `tables resyncing or resynced: ${tables.join(', ')}`,
    eventId,
    childName: `resync-${hash(episode).slice(0, 40)}`,
    childInput: { tables, requestRefresh: true, trigger: 'reconcile' },
    checkpoint: latest ?? checkpoint,
  };
}
