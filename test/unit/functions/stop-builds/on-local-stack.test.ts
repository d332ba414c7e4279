import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STOPS_PER_INVOCATION, stopBuilds } from '../../../../functions/stop-builds/core.js';
import { type LocalStack, startLocalStack } from '../../../../local/stack.js';
import { indexManifest } from '../../../../shared/graph/plan.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { bookkeepingSetupStatements } from '../../../../shared/sql/bookkeeping.js';
import { Warehouse } from '../../../../shared/warehouse/warehouse.js';
import { shopSources } from '../../../helpers/project.js';
import { dataClient } from '../../../local/support.js';

/**
 * stopBuilds against the embedded stack's Data API and warehouse: the leases a stopped run holds are
 * given up a few per call through the fence and recorded failed; a build still running is cancelled.
 */

const manifest = compileProject(shopSources());
const index = indexManifest(manifest);
let stack: LocalStack;
let client: RedshiftDataClient;
let warehouse: Warehouse;

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.bootstrap({ integrationArn: manifest.project.landing.integrationArn });
  client = dataClient(stack.dataApiEndpoint);
  warehouse = new Warehouse(client, manifest.project.warehouse);
  await warehouse.runTransaction(bookkeepingSetupStatements(), { statementName: 'test:setup' });
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await stack?.close();
});

const refresh = (runId: string) => ({
  runId,
  trigger: 'manual' as const,
  startedAt: stack.clock.now().toISOString(),
  fullRefresh: false,
  maxConcurrency: 10,
});
const deps = () => ({ index, warehouse, now: () => stack.clock.now() });
const error = {
  Error: 'Lambda.Unknown',
  Cause: '{"errorType":"Error","errorMessage":"out of memory\\nat x"}',
};

describe('stopBuilds', () => {
  it(`gives up every lease the run holds, ${MAX_STOPS_PER_INVOCATION} per call, each recorded failed once; other runs' leases stay`, async () => {
    const runId = 'u-stop';
    const held = manifest.models.slice(0, MAX_STOPS_PER_INVOCATION + 2).map((m) => m.name);
    for (const m of held) {
      await stack.warehouse.query(
        `INSERT INTO zeo.model_lease VALUES ('${m}', '${runId}', now(), now() + INTERVAL '1 hour')`,
      );
    }
    const other = manifest.models[MAX_STOPS_PER_INVOCATION + 3]?.name ?? '';
    await stack.warehouse.query(
      `INSERT INTO zeo.model_lease VALUES ('${other}', 'u-other', now(), now() + INTERVAL '1 hour')`,
    );
    const event = { refresh: refresh(runId), inFlight: [], error };
    const first = await stopBuilds(event, deps());
    expect(first).toMatchObject({ built: [], more: true });
    expect(first.failed).toHaveLength(MAX_STOPS_PER_INVOCATION);
    const second = await stopBuilds(event, deps());
    expect(second).toMatchObject({ built: [], more: false });
    expect(second.failed).toHaveLength(2);
    expect([...first.failed, ...second.failed].sort()).toEqual([...held].sort());
    // Called once more (a retried Lambda): nothing left, nothing recorded twice.
    expect(await stopBuilds(event, deps())).toMatchObject({ failed: [], built: [], more: false });
    const log = await stack.warehouse.query<{ model: string; status: string; error: string }>(
      `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${runId}' ORDER BY model`,
    );
    expect(log.map((r) => r.model)).toEqual([...held].sort());
    for (const r of log) {
      expect(r.status).toBe('failed');
      expect(r.error).toBe(
        'RefreshStoppedError: the refresh stopped while this build was in flight (Lambda.Unknown: out of memory); the build was cancelled',
      );
    }
    expect(
      await stack.warehouse.query(`SELECT model, run_id FROM zeo.model_lease WHERE run_id <> '~fenced'`),
    ).toEqual([{ model: other, run_id: 'u-other' }]);
  });

  it('cancels the run’s build statements still running, listed by name', async () => {
    const runId = 'u-stop-running';
    const hold = stack.dataApi.hold((s) => s.statementName === `zeo:${runId}:build:dim_products`);
    try {
      const id = await warehouse.submitTransaction(['SELECT 1'], {
        statementName: `zeo:${runId}:build:dim_products`,
      });
      const result = await stopBuilds({ refresh: refresh(runId), inFlight: [], error }, deps());
      expect(result.cancelled).toBe(1);
      for (let i = 0; i < 200 && String(stack.dataApi.describe(id)?.Status) !== 'ABORTED'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(stack.dataApi.describe(id)?.Status).toBe('ABORTED');
    } finally {
      hold.release();
    }
  });
});
