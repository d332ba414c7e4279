/**
 * One line per dispatcher tick of a curated refresh, from the DispatchBuilds state's output (its
 * `last` report): what started, what finished or failed, what is still building.
 */
interface TickOutput {
  ticks?: unknown;
  continuation?: unknown;
  last?: {
    started?: unknown;
    finished?: unknown;
    failed?: unknown;
    skipped?: unknown;
    building?: unknown;
    pending?: unknown;
  };
}

const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const list = (items: string[], max = 6): string =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} +${items.length - max}`;

/** The line for a DispatchBuilds output; undefined when it is not one, or when the tick changed nothing. */
export function tickLine(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const { last } = output as TickOutput;
  if (typeof last !== 'object' || last === null) return undefined;
  const parts: string[] = [];
  const finished = names(last.finished);
  const failed = names(last.failed);
  const started = names(last.started);
  const building = names(last.building);
  const skipped = typeof last.skipped === 'number' ? last.skipped : 0;
  if (finished.length + failed.length + started.length + skipped === 0) return undefined;
  if (finished.length > 0) parts.push(`finished ${list(finished)}`);
  if (failed.length > 0) parts.push(`failed ${list(failed)}`);
  if (skipped > 0) parts.push(`skipped ${skipped}`);
  if (started.length > 0) parts.push(`started ${list(started)}`);
  if (building.length > 0) parts.push(`building ${list(building)}`);
  if (typeof last.pending === 'number' && last.pending > 0) parts.push(`${last.pending} not started`);
  return parts.join(' · ');
}
