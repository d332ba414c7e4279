import type { PollsResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { RefreshBench } from '../lib/simulate-refresh.js';
import { flatProject } from '../lib/synthetic-project.js';

/**
 * Polls (CheckBuild → DescribeStatement) and per-model state transitions against statement duration,
 * counted from one real curated refresh whose independent models take 5 s … 1 h each.
 */

export const POLL_DURATIONS = [5, 10, 20, 30, 60, 120, 240, 480, 900, 1800, 3600];

await runSection(async (): Promise<PollsResult> => {
  const project = flatProject(POLL_DURATIONS);
  const bench = await RefreshBench.create(project.manifest, project.durations);
  try {
    const run = await bench.refresh({ trigger: 'manual' }, 'bench-polls');
    const points = [...project.durations].map(([model, seconds]) => {
      const build = run.builds.find((b) => b.model === model);
      return {
        seconds,
        polls: run.pollsPerModel[model] ?? 0,
        loopTransitions: run.transitionsPerModel[model] ?? 0,
        noticeLagSeconds: build ? (build.noticedAt - build.finishAt) / 1000 : 0,
      };
    });
    return { points, status: run.status };
  } finally {
    await bench.close();
  }
});
