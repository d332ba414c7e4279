import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, reportOfRun } from '../../cli/run-report.js';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../local/app.js';
import { writeDagProject } from '../helpers/dag-project.js';

/**
 * What `zeo run` prints about a failed run, for real failures on the embedded stack (the real ASL,
 * handlers, Data API and Redshift dialect): every printed line names the model and the cause. The
 * report is read from the executions as the CLI reads it (the Fail state's Cause, or a summary).
 */

const REFRESH = 'CuratedRefreshStateMachine';
const PRODUCTS = `{{ source("public", "products") }}`;
const MODELS: Record<string, string[]> = {
  ok: [],
  nulls: [],
  dupes: [],
  bad_sql: [],
  child_of_bad: ['bad_sql'],
  never_built: [],
  reads_unbuilt: ['never_built'],
  aborted: [],
};
const SQL: Record<string, string> = {
  nulls: `select product_id, cast(null as varchar(32)) as category from ${PRODUCTS}`,
  dupes: `select 1 as product_id, category from ${PRODUCTS}`,
  bad_sql: `select product_id, category from ${PRODUCTS} where 1 / (product_id - product_id) = 1`,
};

let app: LocalOrchestrator;
let project: ReturnType<typeof writeDagProject>;
let printed: string;
let nth = 0;

async function refresh(input: Record<string, unknown>): Promise<string> {
  const record = await app.start(REFRESH, input, `why-${++nth}`).done;
  await app.settle();
  expect(record.status).toBe('FAILED');
  const report = reportOfRun(app.sfn.runTree(record));
  if (!report) throw new Error(`no report for ${record.name}: ${record.cause}`);
  return formatReport(report);
}

const lineOf = (text: string, model: string) => text.split('\n').find((l) => l.startsWith(`${model} `)) ?? '';

beforeAll(async () => {
  project = writeDagProject(MODELS);
  for (const [model, sql] of Object.entries(SQL))
    writeFileSync(join(project.dir, 'models', `${model}.sql`), `${sql}\n`);
  app = await startLocalOrchestrator({ projectDir: project.dir });
  // One refresh with a NOT NULL violation, a duplicate key, a SQL error (and a model skipped because
  // of it) and a build the Data API reports ABORTED, beside a model that builds.
  app.stack.dataApi.failStatements({
    match: (s) => (s.statementName ?? '').endsWith(':build:aborted'),
    error: "ERROR: Query (4711) cancelled on user's request",
  });
  printed = await refresh({ select: 'ok nulls dupes bad_sql child_of_bad aborted', fullRefresh: true });
}, 180_000);
afterAll(async () => {
  await app?.close();
  project?.remove();
});
afterEach(() => app.stack.dataApi.clearFaults());

describe('a failed refresh says why, model by model', () => {
  it('a NOT NULL violation names the model and the column', () => {
    expect(lineOf(printed, 'nulls')).toMatch(
      /^nulls +failed +WarehouseStatementError: FAILED: ERROR: .*null.*category/i,
    );
  });

  it('a duplicate key names the model and the key', () => {
    expect(lineOf(printed, 'dupes')).toMatch(
      /^dupes +failed +WarehouseStatementError: FAILED: ERROR: .*(duplicate|unique).*product_id/i,
    );
  });

  it("a SQL error in the model gives the database's message; its descendant is skipped because of it", () => {
    expect(lineOf(printed, 'bad_sql')).toMatch(
      /^bad_sql +failed +WarehouseStatementError: FAILED: ERROR: division by zero/,
    );
    expect(lineOf(printed, 'child_of_bad')).toMatch(/^child_of_bad +skipped +upstream bad_sql failed$/);
  });

  it('a statement the Data API failed names the model and the message', () => {
    expect(lineOf(printed, 'aborted')).toMatch(
      /^aborted +failed +WarehouseStatementError: FAILED: ERROR: Query \(4711\) cancelled on user's request/,
    );
  });

  it('says how many failed, and nothing about the model that built', () => {
    expect(printed.split('\n')[0]).toBe('4 of 6 model(s) failed, 1 skipped because of them');
    expect(lineOf(printed, 'ok')).toBe('');
  });

  it('a missing upstream is named, with what to select, before any SQL is sent', async () => {
    const sent = app.stack.dataApi.log.length;
    const text = await refresh({ select: 'reads_unbuilt' });
    expect(lineOf(text, 'reads_unbuilt')).toMatch(
      /^reads_unbuilt +failed +UpstreamNotBuiltError: never_built has never been built: select \+reads_unbuilt/,
    );
    const builds = app.stack.dataApi.log.slice(sent).filter((l) => /:build:/.test(l.statementName ?? ''));
    expect(builds).toEqual([]);
  });

  it('a landing table that is not Synced defers its readers, naming the table and its state', async () => {
    await app.stack.simulator.resyncTable('public', 'products');
    const record = await app.start(REFRESH, { select: 'ok' }, `why-${++nth}`).done;
    expect(record.status, record.cause).toBe('SUCCEEDED');
    const report = reportOfRun(app.sfn.runTree(record));
    expect(report && lineOf(formatReport(report), 'ok')).toMatch(
      /^ok +deferred +public\.products is ResyncRequired$/,
    );
  });
});
