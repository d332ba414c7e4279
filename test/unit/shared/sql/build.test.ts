import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatementTooLargeError } from '../../../../shared/errors.js';
import { compileProject } from '../../../../shared/project/compile.js';
import type { ManifestModel } from '../../../../shared/project/manifest.js';
import { bookkeepingSetupStatements } from '../../../../shared/sql/bookkeeping.js';
import { buildBatch, chooseBuildMode, dropSwappedOutSql } from '../../../../shared/sql/build.js';
import { shopSources } from '../../../helpers/project.js';

const RUN = { runId: 'run-0001', trigger: 'schedule' };
const manifest = compileProject(shopSources());
const model = (name: string): ManifestModel => {
  const found = manifest.models.find((m) => m.name === name);
  if (!found) throw new Error(name);
  return found;
};

function golden(name: string, sqls: string[]): void {
  const path = `test/fixtures/golden/sql/${name}.sql`;
  const text = `${sqls.map((s) => `${s};`).join('\n\n')}\n`;
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('SQL generation: golden statements', () => {
  it('table: fresh table with contract and physical design, uniqueness check, rename swap', () => {
    const batch = buildBatch(model('fct_orders'), 'full', RUN);
    golden('fct_orders.full', batch.sqls);
    expect(batch.statementName).toBe('zeo:run-0001:build:fct_orders');
  });

  it('table with an interleaved sort key and even distribution', () => {
    golden('fct_shipments.full', buildBatch(model('fct_shipments'), 'full', RUN).sqls);
  });

  it('incremental: merge of the changed window', () => {
    golden('daily_revenue.merge', buildBatch(model('daily_revenue'), 'merge', RUN).sqls);
  });

  it('materialized view: create and refresh', () => {
    golden(
      'mv_payment_methods.create_view',
      buildBatch(model('mv_payment_methods'), 'create_view', RUN).sqls,
    );
    golden(
      'mv_payment_methods.refresh_view',
      buildBatch(model('mv_payment_methods'), 'refresh_view', RUN).sqls,
    );
  });

  it('bookkeeping setup', () => {
    golden('bookkeeping.setup', bookkeepingSetupStatements());
  });
});

describe('SQL generation: rules', () => {
  it('never commits implicitly inside a build batch', () => {
    for (const m of manifest.models) {
      for (const mode of ['full', 'merge', 'create_view', 'refresh_view'] as const) {
        if (mode === 'merge' && m.materialized !== 'incremental') continue;
        // A view's DDL exists for views only (a table's AUTO or INTERLEAVED sort key has none).
        if (mode.endsWith('_view') && m.materialized !== 'materialized_view') continue;
        for (const sql of buildBatch(m, mode, RUN).sqls) {
          expect(sql).not.toMatch(
            /\bTRUNCATE\b|\bAPPEND\s+FROM\b|\bCREATE\s+DATABASE\b|\bCOMMIT\b|\bBEGIN\b/i,
          );
        }
      }
    }
  });

  it('takes a LOCK only as its first statement: the snapshot is taken at the first read (dev guide "LOCK", "Serializable isolation")', () => {
    for (const m of manifest.models) {
      const modes =
        m.materialized === 'materialized_view'
          ? (['create_view', 'refresh_view'] as const)
          : m.materialized === 'incremental'
            ? (['full', 'merge'] as const)
            : (['full'] as const);
      for (const mode of modes) {
        const sqls = buildBatch(m, mode, RUN).sqls;
        const late = sqls.filter((sql, i) => i > 0 && /^\s*LOCK\b/i.test(sql));
        expect(late, `${m.name} ${mode}`).toEqual([]);
      }
    }
  });

  it('claims the lease with a write in the same transaction as the success records', () => {
    const sqls = buildBatch(model('fct_orders'), 'full', RUN).sqls;
    const claim = sqls.findIndex((sql) => sql.startsWith('CALL "zeo"."claim_lease"'));
    const recorded = sqls.findIndex((sql) => sql.startsWith('INSERT INTO "zeo"."run_log"'));
    expect(claim).toBeGreaterThan(0);
    expect(claim).toBeLessThan(recorded);
  });

  it('a table swap drops nothing after its rename: the old table goes once the swap committed (dbt-core #3112, facts §10)', () => {
    for (const m of manifest.models.filter((x) => x.materialized !== 'materialized_view')) {
      const sqls = buildBatch(m, 'full', RUN).sqls;
      const swap = sqls.findIndex((sql) => sql.endsWith(`RENAME TO "${m.name}"`));
      expect(swap, m.name).toBeGreaterThan(0);
      expect(
        sqls.slice(swap).filter((sql) => /^DROP\b/i.test(sql)),
        m.name,
      ).toEqual([]);
      expect(dropSwappedOutSql(m)).toBe(`DROP TABLE IF EXISTS "${m.schema}"."${m.name}__zeo_old"`);
    }
  });

  it('chooses the build mode from the target state', () => {
    const inc = model('daily_revenue');
    const mv = model('mv_payment_methods');
    expect(chooseBuildMode(inc, { exists: false }, false)).toBe('full');
    expect(chooseBuildMode(inc, { exists: true, definitionHash: inc.definitionHash }, false)).toBe('merge');
    expect(chooseBuildMode(inc, { exists: true, definitionHash: inc.definitionHash }, true)).toBe('full');
    expect(chooseBuildMode(inc, { exists: true, definitionHash: 'changed' }, false)).toBe('full');
    expect(chooseBuildMode(mv, { exists: true, definitionHash: mv.definitionHash }, false)).toBe(
      'refresh_view',
    );
    expect(chooseBuildMode(mv, { exists: true, definitionHash: 'old' }, false)).toBe('create_view');
    expect(chooseBuildMode(model('fct_orders'), { exists: true, definitionHash: 'x' }, false)).toBe('full');
  });

  it('refuses run values that could escape a literal', () => {
    expect(() =>
      buildBatch(model('fct_orders'), 'full', { ...RUN, runId: "x\\'; drop table y; --" }),
    ).toThrow(/backslash or control character/);
  });

  it('refuses a statement over the Data API limit', () => {
    const huge = { ...model('dim_products'), sql: `select 1 ${' '.repeat(100_001)}` };
    expect(() => buildBatch(huge, 'full', RUN)).toThrow(StatementTooLargeError);
  });
});

describe('SQL generation: model tests', () => {
  const withTests = (tests: ManifestModel['audits']): ManifestModel => ({
    ...model('stg_payments'),
    audits: tests,
  });
  const windowed = withTests([
    {
      name: 'row_count(max 100)',
      severity: 'error',
      scope: 'window',
      check: { kind: 'row_count', max: 100 },
    },
    {
      name: 'unique(order_id)',
      severity: 'warn',
      scope: 'table',
      check: { kind: 'unique', columns: ['order_id'] },
    },
    {
      name: 'row_count_change(max_drop_percent 10)',
      severity: 'error',
      scope: 'table',
      check: { kind: 'row_count_change', maxDropPercent: 10 },
    },
  ]);
  const calls = (sqls: string[]) => sqls.filter((s) => s.startsWith('CALL "zeo"."assert_test"'));

  it('a merge tests the merged table, or with scope: window the merged-in rows; row_count_change is not run on a merge', () => {
    const sqls = buildBatch(windowed, 'merge', RUN).sqls;
    const [window, table, ...rest] = calls(sqls);
    expect(window).toContain('FROM "stg_payments__zeo_delta"');
    expect(table).toContain('FROM "reporting"."stg_payments" GROUP BY "order_id"');
    expect(rest).toEqual([]);
    // After the MERGE, before the success records: a failure rolls the merge back.
    const at = (s: string | undefined) => sqls.indexOf(s ?? '');
    expect(at(window)).toBeGreaterThan(sqls.findIndex((s) => s.startsWith('MERGE INTO')));
    expect(at(table)).toBeLessThan(sqls.findIndex((s) => s.startsWith('CALL "zeo"."claim_lease"')));
  });

  it('a full build tests the new table (a window test too: the whole table is its window) and compares with the live one', () => {
    const sqls = buildBatch(windowed, 'full', RUN).sqls;
    const tests = calls(sqls);
    expect(tests).toHaveLength(3);
    expect(tests[0]).toContain('FROM "reporting"."stg_payments__zeo_new"');
    expect(tests[2]).toContain('(SELECT count(*) AS "n" FROM "reporting"."stg_payments") AS "zeo_old"');
    // Every test precedes the swap.
    const swap = sqls.findIndex((s) => s.startsWith('ALTER TABLE "reporting"."stg_payments" RENAME'));
    for (const t of tests) expect(sqls.indexOf(t)).toBeLessThan(swap);
  });
});
