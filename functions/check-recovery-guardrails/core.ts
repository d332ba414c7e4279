import * as z from 'zod';
import { IntegrationRecoveryInput } from '../../shared/contracts/state-machine-inputs.js';
import type { Watch } from '../../shared/contracts/watch.js';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { classifyFailure } from '../../shared/integration/classify.js';
import {
  isManaged,
  recreationsWithin24h,
  resolveManagedIntegration,
  snapshotForRecreate,
} from '../../shared/integration/managed.js';
import type { IntegrationInfo, IntegrationSnapshot, IntegrationsPort } from '../../shared/integration/rds.js';
import { childExecutionName } from '../../shared/runtime/execution-names.js';
import { parseInput } from '../../shared/runtime/parse-input.js';

export const CheckGuardrailsEvent = z.strictObject({
  input: z.unknown(),
  executionName: z.string().min(1).max(80),
});

export interface GuardrailDecision {
  allowed: boolean;
  dryRun: boolean;
  reason: string;
  integrationArn: string;
  integrationId: string | null;
  snapshot: IntegrationSnapshot | null;
  watch: Watch | null;
  deadline: string;
  /** What the recovery will do (or would do, for a dry run), step by step. */
  plan: string[];
}

/** Statuses the RDS API reports for an integration that replication cannot continue from. */
const BROKEN = new Set(['failed', 'needs_attention']);

/**
 * Every reason not to delete an integration, checked before anything is touched: it must be the one
 * this project manages, recreation must be enabled, the failure must be one recreation fixes, and the
 * circuit breaker must allow another recreation in 24 hours.
 */
export async function checkRecoveryGuardrails(
  event: z.infer<typeof CheckGuardrailsEvent>,
  deps: { index: IndexedManifest; integrations: IntegrationsPort; now: () => Date },
): Promise<GuardrailDecision> {
  const input = parseInput(IntegrationRecoveryInput, event.input ?? {});
  const now = deps.now();
  const { project } = deps.index.manifest;
  const configured = project.landing.integrationArn;
  const minutes = project.recovery.initialLoadTimeoutMinutes + 60;
  const deadline = new Date(now.getTime() + minutes * 60_000).toISOString();
  const blocked = (reason: string, integration?: IntegrationInfo): GuardrailDecision => ({
    allowed: false,
    dryRun: input.dryRun,
    reason,
    integrationArn: integration?.arn ?? input.integrationArn,
    integrationId: integration?.id ?? null,
    snapshot: null,
    watch: null,
    deadline,
    plan: [],
  });

  const integration = await resolveManagedIntegration(deps.integrations, configured);
  if (
    input.integrationArn !== configured &&
    !(integration && integration.arn === input.integrationArn && isManaged(integration, configured))
  ) {
    return blocked(
      `integration ${input.integrationArn} is not managed by project ${project.name} (it manages ${configured})`,
    );
  }
  if (!integration)
    return blocked(
      `integration ${input.integrationArn} does not exist; there is no configuration to recreate it from`,
    );
  if (!project.recovery.recreateIntegration) {
    return blocked('recovery.recreateIntegration is false: this project only notifies', integration);
  }
  if (!BROKEN.has(integration.status)) {
    return blocked(`integration is ${integration.status}, not failed: nothing to recover`, integration);
  }
  // Decided on the live state read just now (its Errors), the event id only where they tell nothing:
  // an earlier or late notify-class event must not block the recovery of a recreate-class failure.
  const policy = project.recovery.onUnknownFailure;
  const failure = classifyFailure(integration, input.reason.eventId, policy);
  const codes = failure.codes.join(', ');
  const unknown = `failure class unknown; onUnknownFailure=${policy}: integration is ${integration.status} ${codes ? `with ${codes}` : 'without an error code'}`;
  if (failure.class === 'notify') {
    return blocked(
      `${codes} needs a human fix first (configuration, permissions or cluster state); recreating would fail again`,
      integration,
    );
  }
  if (failure.action !== 'recreate') {
    return blocked(
      `${unknown}, which does not say whether recreating fixes it; find the cause, then recreate by hand or set recovery.onUnknownFailure: recreate`,
      integration,
    );
  }
  const recent = recreationsWithin24h(integration.snapshot, now);
  if (recent >= project.recovery.maxRecreatesPer24h) {
    return blocked(
      `circuit breaker: ${recent} recreation(s) in the last 24 hours (recovery.maxRecreatesPer24h = ${project.recovery.maxRecreatesPer24h})`,
      integration,
    );
  }
  const tables =
    deps.index.manifest.sources.length > 0
      ? deps.index.manifest.sources
      : Object.entries(project.landing.tables).flatMap(([s, ts]) => ts.map((t) => `${s}.${t}`));
  const snapshot = snapshotForRecreate(integration.snapshot, configured, now);
  return {
    allowed: true,
    dryRun: input.dryRun,
    reason:
      failure.class === 'unknown'
        ? `${unknown}: recreating`
        : `integration ${integration.status} (${codes}): recreating`,
    integrationArn: integration.arn,
    integrationId: integration.id,
    snapshot,
    watch: {
      tables: [...tables].sort(),
      requestRefresh: false,
      trigger: 'integration-recovery',
      deadline,
      rebuildAs: childExecutionName(event.executionName, 'rebuild'),
    },
    deadline,
    plan: [
      `delete integration ${integration.arn} (${integration.snapshot.integrationName})`,
      `create integration ${snapshot.integrationName}: ${snapshot.sourceArn} -> ${snapshot.targetArn}${snapshot.kmsKeyId ? ` with KMS key ${snapshot.kmsKeyId}` : ''}${snapshot.dataFilter ? `, filter ${snapshot.dataFilter}` : ''}`,
      `drop and re-create database ${project.landing.database} FROM INTEGRATION <new id> DATABASE ${project.landing.sourceDatabase}, then re-apply its settings`,
      `wait until ${tables.length} landing table(s) are Synced (deadline ${deadline})`,
      'full curated refresh of every model',
    ],
  };
}
