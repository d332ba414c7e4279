import { describe, expect, it } from 'vitest';
import { ProjectValidationError, type ValidationIssue } from '../../../../shared/errors.js';
import { compileProject } from '../../../../shared/project/compile.js';
import type { Manifest, ManifestModel } from '../../../../shared/project/manifest.js';
import { buildBatch } from '../../../../shared/sql/build.js';
import { shopSources, withFiles } from '../../../helpers/project.js';

/**
 * Materialized views get only what the documented grammar has (SQL reference "CREATE MATERIALIZED
 * VIEW": `[BACKUP YES|NO] [DISTSTYLE EVEN|ALL|KEY] [DISTKEY (col)] [SORTKEY (col, …)] [AUTO REFRESH
 * YES|NO] AS query`): validation refuses AUTO and INTERLEAVED for them, naming the file and field,
 * and the generated DDL leaves out what the model leaves to Redshift.
 */

const SQL = "select method, count(*) as payments from {{ source('public', 'payments') }} group by method";
const COLUMNS = `columns:
  - { name: method, type: varchar(16) }
  - { name: payments, type: bigint }
`;
const RUN = { runId: 'run-0001', trigger: 'test' };

function withView(yml: string, extra: Record<string, string> = {}) {
  return withFiles(shopSources(), { 'models/mv_x.sql': SQL, 'models/mv_x.yml': yml, ...extra });
}

function issuesOf(sources: Parameters<typeof compileProject>[0]): ValidationIssue[] {
  try {
    compileProject(sources);
  } catch (error) {
    if (error instanceof ProjectValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the project to be invalid');
}

const modelOf = (manifest: Manifest, name: string): ManifestModel => {
  const found = manifest.models.find((m) => m.name === name);
  if (!found) throw new Error(name);
  return found;
};

const createSql = (model: ManifestModel) =>
  buildBatch(model, 'create_view', RUN).sqls.find((s) => s.startsWith('CREATE MATERIALIZED VIEW')) ?? '';

describe('materialized_view: validation of what CREATE MATERIALIZED VIEW cannot take', () => {
  it('refuses an explicit dist: auto, sort: auto and an interleaved sort key, naming file, field and line', () => {
    const issues = [
      ...issuesOf(withView(`materialized: materialized_view\ndist: auto\n${COLUMNS}`)),
      ...issuesOf(withView(`materialized: materialized_view\nsort: auto\n${COLUMNS}`)),
      ...issuesOf(withView(`materialized: materialized_view\nsort: { interleaved: [method] }\n${COLUMNS}`)),
    ];
    expect(issues.map((i) => [i.file, i.field, i.line])).toEqual([
      ['models/mv_x.yml', 'dist', 2],
      ['models/mv_x.yml', 'sort', 2],
      ['models/mv_x.yml', 'sort.interleaved', 2],
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining('has no DISTSTYLE AUTO'),
      expect.stringContaining('has no SORTKEY AUTO'),
      expect.stringContaining('cannot have an interleaved sort key'),
    ]);
  });

  it('refuses auto_refresh on every other materialization, with the model’s materialization', () => {
    const issues = issuesOf(
      withFiles(shopSources(), {
        'models/t.sql': "select id from {{ source('public', 'orders') }}",
        'models/t.yml': 'auto_refresh: false\ncolumns:\n  - { name: id, type: bigint }\n',
      }),
    );
    expect(issues).toEqual([
      {
        file: 'models/t.yml',
        field: 'auto_refresh',
        line: 1,
        message: 'auto_refresh only applies to a materialized_view (is table)',
      },
    ]);
  });

  it('reports the view rules together with the others of an invalid file', () => {
    const issues = issuesOf(withView(`materialized: materialized_view\nsort: auto\nbogus: 1\n${COLUMNS}`));
    expect(issues.map((i) => i.field)).toEqual(expect.arrayContaining(['sort']));
  });
});

describe('materialized_view: the DDL is the documented grammar', () => {
  it('leaves dist and sort out when the model leaves them to the defaults, and says AUTO REFRESH NO', () => {
    const manifest = compileProject(withView(`materialized: materialized_view\n${COLUMNS}`));
    const view = modelOf(manifest, 'mv_x');
    expect(view.autoRefresh).toBe(false);
    expect(createSql(view)).toMatch(
      /^CREATE MATERIALIZED VIEW "reporting"\."mv_x" BACKUP YES AUTO REFRESH NO AS\n/,
    );
  });

  it('writes DISTSTYLE/DISTKEY and a plain SORTKEY (no COMPOUND, no AUTO) and AUTO REFRESH YES', () => {
    const manifest = compileProject(
      withView(
        `materialized: materialized_view\nauto_refresh: true\ndist: key(method)\nsort: { compound: [method, payments] }\n${COLUMNS}`,
      ),
    );
    expect(createSql(modelOf(manifest, 'mv_x'))).toMatch(
      /^CREATE MATERIALIZED VIEW "reporting"\."mv_x" BACKUP YES DISTSTYLE KEY DISTKEY \("method"\) SORTKEY \("method", "payments"\) AUTO REFRESH YES AS\n/,
    );
    const shop = modelOf(compileProject(shopSources()), 'mv_payment_methods');
    expect(createSql(shop)).toContain('BACKUP YES DISTSTYLE EVEN SORTKEY ("method") AUTO REFRESH NO AS');
  });

  it('makes auto_refresh part of the definition, so changing it re-creates the view, and leaves tables alone', () => {
    const off = compileProject(withView(`materialized: materialized_view\n${COLUMNS}`));
    const on = compileProject(withView(`materialized: materialized_view\nauto_refresh: true\n${COLUMNS}`));
    expect(modelOf(on, 'mv_x').definitionHash).not.toBe(modelOf(off, 'mv_x').definitionHash);
    // Tables do not carry the field at all: their definition hashes did not change with it.
    for (const table of on.models.filter((m) => m.materialized !== 'materialized_view')) {
      expect(table.autoRefresh, table.name).toBeUndefined();
      expect(table.definitionHash).toBe(modelOf(off, table.name).definitionHash);
    }
  });

  it('refuses to generate an AUTO or INTERLEAVED sort key for a view from an unvalidated manifest', () => {
    const view = modelOf(compileProject(withView(`materialized: materialized_view\n${COLUMNS}`)), 'mv_x');
    const interleaved: ManifestModel = { ...view, sort: { style: 'interleaved', columns: ['method'] } };
    expect(() => buildBatch(interleaved, 'create_view', RUN)).toThrow(ProjectValidationError);
    expect(() => buildBatch({ ...view, sort: { style: 'auto' } }, 'create_view', RUN)).toThrow(
      /cannot have sort: auto/,
    );
  });
});
