import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { type FailureReport, parseFailureReport } from '../../shared/refresh/failure-report.js';
import { writeDagProject } from '../helpers/dag-project.js';

/**
 * A recovery whose rebuild fails says why in its own execution and notification, not only in the
 * child refresh's: the recovery fails with CuratedRefreshFailedError whose Cause (what the Step
 * Functions console shows) is the rebuild's report, and its failure event carries the same report.
 * Real ASL, real handlers, on the embedded stack; one model's SQL fails in the warehouse.
 */

let app: LocalOrchestrator;
let project: ReturnType<typeof writeDagProject>;

const orchestratorEvents = (type: string) =>
  app.stack.events.log.filter((e) => e.source === 'zero-etl-orchestrator' && e['detail-type'] === type);

function expectRebuildReport(report: FailureReport | undefined): void {
  expect(report?.failed.map((f) => [f.model, f.error])).toEqual([['bad_sql', 'WarehouseStatementError']]);
  expect(report?.failed[0]?.message).toMatch(/division by zero/);
  expect(report?.skipped).toEqual([{ model: 'child_of_bad', upstream: 'bad_sql' }]);
  expect(report?.counts).toMatchObject({ failed: 1, skipped: 1, built: 1 });
}

beforeAll(async () => {
  project = writeDagProject({ ok: [], bad_sql: [], child_of_bad: ['bad_sql'] });
  writeFileSync(
    join(project.dir, 'models', 'bad_sql.sql'),
    'select product_id, category from {{ source("public", "products") }} where 1 / (product_id - product_id) = 1\n',
  );
  app = await startLocalOrchestrator({ projectDir: project.dir });
}, 120_000);
afterAll(async () => {
  await app?.close();
  project?.remove();
});

describe('a recovery whose rebuild fails reports the rebuild, model by model', () => {
  it('resync-recovery: CuratedRefreshFailedError with the report as its cause and in its event', async () => {
    const events = app.stack.events.log.length;
    const record = await app.start('resync-recovery', { tables: ['public.products'] }, 'resync-why').done;
    await app.settle();
    expect([record.status, record.error]).toEqual(['FAILED', 'CuratedRefreshFailedError']);
    expectRebuildReport(parseFailureReport(record.cause));
    const announced = orchestratorEvents('Curated Refresh Failed')
      .filter((e) => app.stack.events.log.indexOf(e) >= events)
      .find((e) => Array.isArray(e.detail.tables));
    expect(announced?.detail.tables).toEqual(['public.products']);
    expectRebuildReport(announced?.detail.report as FailureReport | undefined);
  }, 180_000);

  it('integration-recovery: recreated, rebuild failed — CuratedRefreshFailedError (not a timeout), report as cause and in the event', async () => {
    const n = app.sfn.executions.length;
    await app.stack.simulator.failIntegration('0007');
    await app.advance(60_000);
    await app.settle();
    const recoveries = app.sfn.executions
      .slice(n)
      .filter((e) => e.machine === 'IntegrationRecoveryStateMachine');
    expect(recoveries.map((r) => [r.status, r.error])).toEqual([['FAILED', 'CuratedRefreshFailedError']]);
    expectRebuildReport(parseFailureReport(recoveries[0]?.cause));
    const failed = orchestratorEvents('Integration Recovery Failed').at(-1);
    expect(failed?.detail.stage).toBe('curated-rebuild');
    expectRebuildReport(failed?.detail.report as FailureReport | undefined);
  }, 300_000);
});
