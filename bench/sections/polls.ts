import { flatProject } from '../../local/synthetic/project.js';
import type { PollPoint, PollsResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { RefreshBench } from '../lib/simulate-refresh.js';

/**
 * How often the dispatcher looks at one build against its statement duration (5 s … 1 h): each model
 * refreshed alone (selected by name), so its looks are its own — once without a past duration, then
 * again, after its landing table changed, with the first build's duration in the run log. A poll is a ListStatements call
 * made while the build was in flight or a DescribeStatement of it; transitions are the whole refresh's.
 */

export const POLL_DURATIONS = [5, 10, 20, 30, 60, 120, 240, 480, 900, 1800, 3600];

await runSection(async (): Promise<PollsResult> => {
  const project = flatProject(POLL_DURATIONS);
  const bench = await RefreshBench.create(project.manifest, project.durations);
  try {
    const statuses = new Set<string>();
    const point = async (model: string, seconds: number, again: boolean): Promise<PollPoint> => {
      const run = await bench.refresh(
        { trigger: 'manual', select: model },
        `bench-polls-${seconds}s${again ? '-again' : ''}`,
      );
      statuses.add(run.status);
      const build = run.builds.find((b) => b.model === model);
      return {
        seconds,
        polls: run.pollsPerModel[model] ?? 0,
        looks: run.looksPerModel[model] ?? 0,
        describes: run.describesPerModel[model] ?? 0,
        transitions: run.transitions,
        noticeLagSeconds: build ? (build.noticedAt - build.finishAt) / 1000 : Number.NaN,
      };
    };
    const points: PollPoint[] = [];
    const withHistory: PollPoint[] = [];
    for (const [i, [model, seconds]] of [...project.durations].entries()) {
      points.push(await point(model, seconds, false));
      // New changes in its landing table: the model builds again (a fullRefresh with unchanged
      // inputs would not: the lease read answers "already built from the same inputs").
      await bench.dataApi.touchTables([`public.${project.sourceTables[i] ?? ''}`], bench.vt.date());
      withHistory.push(await point(model, seconds, true));
    }
    return { points, withHistory, status: [...statuses].join(', ') };
  } finally {
    await bench.close();
  }
});
