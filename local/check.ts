import { type ColumnProblem, compareColumns, type ProducedColumn } from '../shared/check/columns.js';
import { readProjectSources } from '../shared/project/load.js';
import { runOutcomesSql } from '../shared/sql/run-log.js';
import { startLocalOrchestrator } from './app.js';
import type { LocalRedshift } from './warehouse/local-redshift.js';
import type { SkippedStatement, SourceStatement } from './zero-etl/source-sql.js';

/**
 * `zeo check -p DIR --source FILE.sql`: every model built for real on an empty local warehouse whose
 * landing zone replicates the user's source, then each SELECT's actual output compared with the
 * declared contract. What a first deployment would hit, before it is made.
 */

export interface ModelCheck {
  model: string;
  /** The model's .sql file, relative to the project folder. */
  file: string;
  /** The refresh's outcome for the model: success, failed, deferred, skipped, … */
  build: string;
  problems: ColumnProblem[];
}

export interface ProjectCheck {
  project: string;
  models: ModelCheck[];
  sourceWarnings: SkippedStatement[];
}

const RUN_ID = 'zeo-check';
const DESCRIBE_TABLE = 'zeo_check_columns';

export async function checkProject(
  projectDir: string,
  source: readonly SourceStatement[],
): Promise<ProjectCheck> {
  const files = new Map(
    readProjectSources(projectDir).modelFiles.map((f) => [
      f.path.replace(/^.*\//, '').replace(/\.sql$/, ''),
      f.path,
    ]),
  );
  const app = await startLocalOrchestrator({ projectDir, source });
  try {
    const run = app.start('curated-refresh', { fullRefresh: true, trigger: 'manual' }, RUN_ID);
    await run.done;
    await app.settle();
    const outcomes = new Map(
      (
        (await app.stack.warehouse.query(runOutcomesSql(RUN_ID))) as {
          model: string;
          status: string;
          error: string | null;
        }[]
      ).map((o) => [o.model, o]),
    );
    const replicated = new Set((await app.stack.source.tables()).map((t) => `${t.schema}.${t.table}`));
    const models: ModelCheck[] = [];
    const byName = new Map(app.manifest.models.map((m) => [m.name, m]));
    // In build order, so a model's report follows the reports of what it reads.
    const ordered = app.manifest.levels.flat().flatMap((name) => byName.get(name) ?? []);
    for (const model of ordered) {
      const outcome = outcomes.get(model.name);
      const problems: ColumnProblem[] = [];
      for (const table of model.sources)
        if (!replicated.has(table))
          problems.push({
            severity: 'problem',
            message: `reads source ${table}, which the source schema does not have`,
          });
      const failedUpstreams = model.refs.filter((r) => outcomes.get(r)?.status !== 'success');
      if (outcome?.status === 'failed')
        problems.push({
          severity: 'problem',
          message: `the build fails: ${firstLine(outcome.error ?? 'unknown error')}`,
        });
      if (failedUpstreams.length > 0) {
        problems.push({
          severity: 'problem',
          message: `cannot be checked until ${failedUpstreams.join(', ')} build${failedUpstreams.length === 1 ? 's' : ''}`,
        });
      } else if (problems.length === 0 || outcome?.status === 'failed') {
        const described = await describeSelect(
          app.stack.warehouse,
          app.manifest.project.warehouse.database,
          model.sql,
        );
        if ('error' in described)
          problems.push({
            severity: 'problem',
            message: `the SELECT does not run: ${firstLine(described.error)}`,
          });
        else problems.push(...compareColumns(model, described.columns));
      }
      models.push({
        model: model.name,
        file: files.get(model.name) ?? `models/${model.name}.sql`,
        build: outcome?.status ?? 'not run',
        problems,
      });
    }
    return { project: app.manifest.project.name, models, sourceWarnings: app.sourceWarnings };
  } finally {
    await app.close();
  }
}

const firstLine = (text: string) => (text.split('\n')[0] ?? '').slice(0, 300);

/** The SELECT's output columns with their full types, through a temporary table that is never kept. */
async function describeSelect(
  warehouse: LocalRedshift,
  database: string,
  sql: string,
): Promise<{ columns: ProducedColumn[] } | { error: string }> {
  const outcome = await warehouse.execute({
    database,
    mode: 'TRANSACTION',
    statements: [
      { sql: `CREATE TEMP TABLE ${DESCRIBE_TABLE} AS SELECT * FROM (${sql}) AS zeo_model LIMIT 0` },
      {
        sql: `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = '${DESCRIBE_TABLE}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      },
      { sql: `DROP TABLE ${DESCRIBE_TABLE}` },
    ],
  });
  const failed = outcome.statements.find((s) => s.status !== 'FINISHED');
  if (failed) return { error: failed.error ?? 'the statement did not finish' };
  const rows = outcome.statements[1]?.result?.rows ?? [];
  return { columns: rows.map(([name, type]) => ({ name: String(name), type: String(type) })) };
}
