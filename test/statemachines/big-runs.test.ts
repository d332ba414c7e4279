import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { type ExecutionRecord, MAX_STATE_DATA_BYTES } from '../../local/sfn/runner.js';
import { MAX_DETAIL_BYTES } from '../../shared/notify/bounded.js';
import { writeDagProject } from '../helpers/dag-project.js';
import { SimulatedBuilds } from '../helpers/simulated-builds.js';

/**
 * A refresh in which every model of a 500-model project fails, each with a 4,000-character database
 * error, through the real curated-refresh ASL and handlers on the embedded stack: every state's input
 * and output stays under half of Step Functions' 256 KiB (the local runner would fail the execution
 * with States.DataLimitExceeded past the whole limit), the failure is announced with bounded events,
 * and the run log keeps every error in full.
 */

const REFRESH = 'CuratedRefreshStateMachine';
const MODELS = 500;
const ERROR = `ERROR: ${'the model cannot be built because '.repeat(125)}`.slice(0, 4000);
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/** The largest state input or output of the execution and of the executions it continued as. */
function largestPayload(records: readonly ExecutionRecord[]): { bytes: number; state: string } {
  let largest = { bytes: 0, state: '' };
  for (const record of records) {
    for (const event of record.events) {
      if (!event.state) continue;
      for (const payload of [event.state.input, event.state.output]) {
        const size = bytes(payload);
        if (size > largest.bytes) largest = { bytes: size, state: `${record.name}/${event.state.name}` };
      }
    }
  }
  return largest;
}

describe(`a refresh of ${MODELS} models that all fail with ${ERROR.length}-character errors`, () => {
  let app: LocalOrchestrator;
  let project: ReturnType<typeof writeDagProject>;

  beforeAll(async () => {
    const models = Object.fromEntries(
      Array.from({ length: MODELS }, (_, i) => [`m${String(i).padStart(3, '0')}`, []]),
    );
    project = writeDagProject(models, { maxConcurrency: 40 });
    app = await startLocalOrchestrator({ projectDir: project.dir });
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    project?.remove();
  });

  it('keeps every state payload under half of 256 KiB and records every failure in full', async () => {
    app.stack.dataApi.failStatements({
      match: (s) => (s.statementName ?? '').startsWith('zeo:all-fail:build:'),
      error: ERROR,
      times: MODELS,
    });
    const sim = new SimulatedBuilds(app, {});
    const sfn = sim.runner();
    const eventsBefore = app.stack.events.log.length;
    const run = await sfn.start(REFRESH, { fullRefresh: true }, 'all-fail').done;
    await Promise.all(sfn.executions.map((e) => e.done));

    expect(run.error, run.cause).toBe('CuratedRefreshFailedError');
    const largest = largestPayload(sfn.executions);
    expect(largest.bytes, `largest payload: ${largest.state}`).toBeLessThan(MAX_STATE_DATA_BYTES / 2);

    const logged = (await app.stack.warehouse.query(
      `SELECT status, count(*)::int AS n, min(length(error))::int AS shortest FROM zeo.run_log
        WHERE run_id = 'all-fail' GROUP BY status`,
    )) as { status: string; n: number; shortest: number }[];
    expect(logged).toEqual([{ status: 'failed', n: MODELS, shortest: expect.any(Number) }]);
    // The run log keeps the database's message whole (with the Data API's status before it).
    expect(logged[0]?.shortest).toBeGreaterThanOrEqual(ERROR.length);

    const summary = sfn.executions
      .flatMap((e) => e.events)
      .find((e) => e.type === 'StateExited' && e.state?.name === 'SummarizeRefresh')?.state?.output as
      | {
          summary?: {
            value?: { counts?: Record<string, number>; failed?: unknown[]; failedOmitted?: number };
          };
        }
      | undefined;
    expect(summary?.summary?.value?.counts).toMatchObject({ failed: MODELS, built: 0 });

    const events = app.stack.events.log.slice(eventsBefore);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(bytes(event.detail)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
  }, 600_000);
});
