import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { indexManifest } from '../../shared/graph/plan.js';
import { compileProject } from '../../shared/project/compile.js';
import { readProjectSources } from '../../shared/project/load.js';
import { recordBuildFailure } from '../../shared/refresh/build-failure.js';
import { bookkeepingSetupStatements } from '../../shared/sql/bookkeeping.js';
import { buildBatch } from '../../shared/sql/build.js';
import { acquireLeasesStatements } from '../../shared/sql/lease.js';
import { isTerminal, type StatementDescription, Warehouse } from '../../shared/warehouse/warehouse.js';
import { dataClient } from '../local/support.js';

/**
 * The run log tells the truth about materialized-view refreshes. REFRESH MATERIALIZED VIEW "runs as a
 * transaction of its own" (SQL reference "REFRESH MATERIALIZED VIEW"), so a refresh_view batch cannot
 * take it back when a statement after it fails: the outcome recorded for the build must match what
 * happened to the view — never `failed` next to a committed refresh, never `success` without one.
 * Driven with the real batch, the real Data API client and the dispatcher's recordBuildFailure.
 */

const manifest = compileProject(readProjectSources('examples/shop/curated'));
const index = indexManifest(manifest);
const VIEW = index.model('mv_payment_methods');
const LANDING_PAYMENTS = '"aurora_zeroetl__public"."payments"';

let stack: LocalStack;
let client: RedshiftDataClient;
let warehouse: Warehouse;

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.bootstrap({ integrationArn: manifest.project.landing.integrationArn });
  client = dataClient(stack.dataApiEndpoint);
  warehouse = new Warehouse(client, manifest.project.warehouse);
  await warehouse.runTransaction(bookkeepingSetupStatements(), { statementName: 'test:setup' });
  const created = await submitAndWait('run-create', 'create_view');
  expect([created.status, created.error]).toEqual(['FINISHED', undefined]);
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await stack?.close();
});

beforeEach(async () => {
  // New landing data since the last refresh, so whether the view was refreshed shows in its rows.
  await stack.warehouse.privileged((db) => db.exec(`UPDATE ${LANDING_PAYMENTS} SET amount = amount + 1`));
});

async function submitAndWait(
  runId: string,
  mode: 'create_view' | 'refresh_view',
): Promise<StatementDescription> {
  // As SubmitBuild does: ask for the model's lease first (another run may hold it).
  await warehouse.runTransaction(acquireLeasesStatements([VIEW.name], runId, 60), {
    statementName: `test:lease:${runId}`,
  });
  const batch = buildBatch(VIEW, mode, { runId, trigger: 'test' });
  const id = await warehouse.submitTransaction(batch.sqls, { statementName: batch.statementName });
  for (let i = 0; i < 500; i++) {
    const described = await warehouse.describe(id);
    if (isTerminal(described.status)) return described;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`batch of ${runId} did not finish`);
}

/** Whether the view holds exactly what its SELECT gives on the landing data now. */
async function viewIsFresh(): Promise<boolean> {
  const columns = VIEW.columns.map((c) => `"${c.name}"`).join(', ');
  const text = (rows: unknown[]) => JSON.stringify(rows);
  const inView = await stack.warehouse.query(
    `SELECT ${columns} FROM "${VIEW.schema}"."${VIEW.name}" ORDER BY ${columns}`,
  );
  const wanted = await stack.warehouse.query(`SELECT ${columns} FROM (${VIEW.sql}) AS v ORDER BY ${columns}`);
  return text(inView) === text(wanted);
}

async function recordedFor(runId: string): Promise<string[]> {
  const rows = await stack.warehouse.query<{ status: string }>(
    `SELECT status FROM zeo.run_log WHERE run_id = $1 AND model = $2 ORDER BY status`,
    [runId, VIEW.name],
  );
  return rows.map((r) => r.status);
}

/** What the dispatcher does with a build it sees FAILED: recordBuildFailure, error as `STATUS: text`. */
async function failAndRecord(runId: string, described: StatementDescription) {
  return recordBuildFailure(
    {
      runId,
      trigger: 'test',
      model: VIEW.name,
      mode: 'refresh_view',
      statementId: described.id,
      submittedAt: new Date().toISOString(),
      error: `${described.status}: ${described.error ?? 'no error message'}`,
    },
    { warehouse, now: () => new Date(), index },
  );
}

describe('refresh_view: the recorded outcome matches the view', () => {
  it('a build whose lease another run holds neither refreshes nor records success', async () => {
    await stack.warehouse.query(
      `INSERT INTO zeo.model_lease VALUES ($1, 'run-other', GETDATE(), GETDATE() + INTERVAL '1 hour')`,
      [VIEW.name],
    );
    try {
      const described = await submitAndWait('run-superseded', 'refresh_view');
      expect(described.status).toBe('FAILED');
      expect(described.error).toMatch(/superseded: its build lease is held by run-other/);
      const recorded = await failAndRecord('run-superseded', described);
      const fresh = await viewIsFresh();
      // On the code before the fix the REFRESH ran first and committed, then the lease check failed:
      // a refreshed view next to a `failed` record.
      expect({ fresh, recorded: await recordedFor('run-superseded') }).toEqual({
        fresh: false,
        recorded: ['failed'],
      });
      expect(recorded.status).toBe('failed');
    } finally {
      await stack.warehouse.query('DELETE FROM zeo.model_lease WHERE model = $1', [VIEW.name]);
    }
  });

  it('a refresh that committed before its batch failed is recorded as a success, not a failure', async () => {
    // Make the success records (after the REFRESH) fail: model_state refuses this model's row.
    await stack.warehouse.query(
      `ALTER TABLE zeo.model_state ADD CONSTRAINT test_refuse_view CHECK (model <> '${VIEW.name}') NOT VALID`,
    );
    try {
      const described = await submitAndWait('run-records-fail', 'refresh_view');
      expect(described.status).toBe('FAILED');
      expect(described.error).toMatch(/test_refuse_view/);
      const recorded = await failAndRecord('run-records-fail', described);
      expect({ fresh: await viewIsFresh(), recorded: await recordedFor('run-records-fail') }).toEqual({
        fresh: true,
        recorded: ['success'],
      });
      expect(recorded.status).toBe('built');
      // model_state was not claimed for inputs nobody recorded: the next refresh refreshes again.
      const [state] = await stack.warehouse.query<{ last_run_id: string }>(
        'SELECT last_run_id FROM zeo.model_state WHERE model = $1',
        [VIEW.name],
      );
      expect(state?.last_run_id).toBe('run-create');
    } finally {
      await stack.warehouse.query('ALTER TABLE zeo.model_state DROP CONSTRAINT test_refuse_view');
    }
  });

  it('a build still running when its failure is recorded is awaited, then fenced off before it refreshes', async () => {
    // The dispatcher gave up on a build (say, cancelled after the Data API's 24 hours) while the batch
    // waited to run: recordBuildFailure must not guess.
    const hold = stack.dataApi.hold((s) => s.sqls.some((sql) => sql.startsWith('REFRESH MATERIALIZED VIEW')));
    await warehouse.runTransaction(acquireLeasesStatements([VIEW.name], 'run-held', 60), {
      statementName: 'test:lease:held',
    });
    const batch = buildBatch(VIEW, 'refresh_view', { runId: 'run-held', trigger: 'test' });
    const id = await warehouse.submitTransaction(batch.sqls, { statementName: batch.statementName });
    await hold.waitUntilHeld();
    const event = {
      runId: 'run-held',
      trigger: 'test',
      model: VIEW.name,
      mode: 'refresh_view' as const,
      statementId: id,
      submittedAt: new Date().toISOString(),
      error: 'BuildTimeoutError: build still running after 25 hours; cancelled',
    };
    const deps = { warehouse, now: () => new Date(), index };
    await expect(recordBuildFailure(event, deps)).rejects.toMatchObject({
      name: 'StatementStillRunningError',
    });
    expect(await recordedFor('run-held')).toEqual([]);
    hold.release();
    for (let i = 0; i < 500 && !isTerminal((await warehouse.describe(id)).status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The fence the first attempt left makes the batch's lease check fail before its REFRESH; the
    // dispatcher's next tick then records the truth.
    expect((await warehouse.describe(id)).error).toMatch(/superseded/);
    expect((await recordBuildFailure(event, deps)).status).toBe('failed');
    expect({ fresh: await viewIsFresh(), recorded: await recordedFor('run-held') }).toEqual({
      fresh: false,
      recorded: ['failed'],
    });
  });

  it('a refresh whose batch commits is recorded by the batch itself', async () => {
    const described = await submitAndWait('run-ok', 'refresh_view');
    expect([described.status, described.error]).toEqual(['FINISHED', undefined]);
    expect({ fresh: await viewIsFresh(), recorded: await recordedFor('run-ok') }).toEqual({
      fresh: true,
      recorded: ['success'],
    });
  });
});
