import type { IntegrationInfo, IntegrationSnapshot, IntegrationsPort } from './rds.js';

/**
 * Which integration the project manages. It starts as the ARN in project.yml; a recreated integration
 * has a new ARN, so the orchestrator tags it with its origin and finds it by that tag afterwards.
 */
export const ORIGIN_TAG = 'zeo:origin';
/** Epoch seconds of the recreations so far (space-separated, newest last): the circuit breaker's memory. */
export const RECREATED_TAG = 'zeo:recreated';
const KEEP_RECREATIONS = 10;

export async function resolveManagedIntegration(
  integrations: IntegrationsPort,
  configuredArn: string,
): Promise<IntegrationInfo | undefined> {
  const direct = await integrations.describe(configuredArn);
  if (direct) return direct;
  const tagged = (await integrations.list()).filter((i) =>
    i.snapshot.tags.some((t) => t.key === ORIGIN_TAG && t.value === configuredArn),
  );
  return tagged.sort((a, b) => ((a.createTime ?? '') < (b.createTime ?? '') ? 1 : -1))[0];
}

export function isManaged(integration: IntegrationInfo, configuredArn: string): boolean {
  return (
    integration.arn === configuredArn ||
    integration.snapshot.tags.some((t) => t.key === ORIGIN_TAG && t.value === configuredArn)
  );
}

export function recreations(snapshot: IntegrationSnapshot): number[] {
  const value = snapshot.tags.find((t) => t.key === RECREATED_TAG)?.value ?? '';
  return value
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
}

/** The recreations the circuit breaker counts now: those of the last 24 hours. */
export function recentRecreations(snapshot: IntegrationSnapshot, now: Date): number[] {
  const since = now.getTime() / 1000 - 24 * 3600;
  return recreations(snapshot).filter((t) => t > since);
}

export function recreationsWithin24h(snapshot: IntegrationSnapshot, now: Date): number {
  return recentRecreations(snapshot, now).length;
}

/** The snapshot a recreated integration is created from: same configuration, lineage tags updated. */
export function snapshotForRecreate(
  snapshot: IntegrationSnapshot,
  configuredArn: string,
  now: Date,
): IntegrationSnapshot {
  const history = [...recreations(snapshot), Math.floor(now.getTime() / 1000)].slice(-KEEP_RECREATIONS);
  const tags = snapshot.tags.filter((t) => t.key !== ORIGIN_TAG && t.key !== RECREATED_TAG);
  tags.push({ key: ORIGIN_TAG, value: configuredArn }, { key: RECREATED_TAG, value: history.join(' ') });
  return { ...snapshot, tags };
}
