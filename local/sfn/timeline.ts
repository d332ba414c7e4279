import type { Timeline, TimelineRow } from '../../shared/refresh/timeline.js';
import type { ExecutionRecord } from './runner.js';

/**
 * The build timeline of a local curated-refresh from its executions' event logs (real time): on the
 * embedded stack SQL takes no simulated time, so the run log's timestamps would show nothing.
 */
export function localTimeline(
  refresh: ExecutionRecord,
  executions: readonly ExecutionRecord[],
  outcomes: readonly { model: string; status: string }[],
): Timeline {
  const start = refresh.startedAt;
  const children = executions.filter((e) => e.parentArn === refresh.executionArn);
  const began = new Map<string, number>();
  const ended = new Map<string, number>();
  for (const child of children) {
    for (const event of child.events) {
      const input = event.state?.input as { model?: string } | undefined;
      const output = event.state?.output as { model?: string; status?: string } | undefined;
      const time = event.timestamp;
      if (time === undefined) continue;
      if (
        event.type === 'StateEntered' &&
        event.state?.name === 'SubmitBuild' &&
        input?.model &&
        !began.has(input.model)
      ) {
        began.set(input.model, time);
      }
      if (
        event.type === 'StateExited' &&
        event.state?.name === 'CheckBuild' &&
        output?.model &&
        ['FINISHED', 'FAILED', 'ABORTED', 'UNCHANGED'].includes(output.status ?? '')
      ) {
        ended.set(output.model, time);
      }
    }
  }
  const rows: TimelineRow[] = outcomes.map((o) => {
    const b = began.get(o.model);
    const e = ended.get(o.model);
    return {
      model: o.model,
      status: o.status,
      startedAt: b === undefined ? start : new Date(b),
      finishedAt: e === undefined ? null : new Date(e),
    };
  });
  return { runId: refresh.name, start, rows };
}
