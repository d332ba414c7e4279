import type { ExecutionRecord } from '../../local/sfn/runner.js';
import type { Timeline, TimelineRow } from './timeline.js';

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
  // The refresh and its continuations (each started by the one before it).
  const chain = [refresh];
  for (let i = 0; i < chain.length; i++) {
    const parent = chain[i];
    for (const e of executions)
      if (parent && e.parentArn === parent.executionArn && e.machine === refresh.machine) chain.push(e);
  }
  const began = new Map<string, number>();
  const ended = new Map<string, number>();
  for (const execution of chain) {
    for (const event of execution.events) {
      const time = event.timestamp;
      if (time === undefined || event.type !== 'StateExited' || event.state?.name !== 'DispatchBuilds')
        continue;
      // Each tick reports what it started and what it saw finish or fail.
      const last = (event.state.output as { last?: Record<string, unknown> } | undefined)?.last ?? {};
      const names = (key: string) => (Array.isArray(last[key]) ? (last[key] as unknown[]) : []).map(String);
      for (const model of names('started')) if (!began.has(model)) began.set(model, time);
      for (const model of [...names('finished'), ...names('failed')]) ended.set(model, time);
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
