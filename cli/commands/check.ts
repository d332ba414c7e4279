import type { Command } from 'commander';
import { loadProject } from '../../shared/project/load.js';
import { printSourceWarnings, readSourceOption, sourceErrorAsInput } from '../local-options.js';
import { printJson, style } from '../output.js';

/** `zeo check`: build every model against the user's source schema locally, before deploying. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'build every model on the local stack against your source schema and report what a deploy would hit',
    )
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .requiredOption('--source <file.sql>', 'your Aurora PostgreSQL schema (and data), plain SQL or pg_dump')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ zeo check -p ./curated --source ./schema.sql')
    .action(async (options: { project: string; source: string; json?: boolean }) => {
      loadProject(options.project); // an invalid project is reported as such, before anything starts
      const source = await readSourceOption(options.source);
      process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
      const { checkProject } = await import('../../local/check.js');
      const report = await checkProject(options.project, source ?? []).catch((error: unknown) => {
        throw sourceErrorAsInput(error, options.source);
      });
      const problems = report.models.flatMap((m) => m.problems.filter((p) => p.severity === 'problem'));
      process.exitCode = problems.length > 0 ? 1 : 0;
      if (options.json) return printJson({ ok: problems.length === 0, ...report });
      printSourceWarnings(options.source, report.sourceWarnings);
      for (const m of report.models) {
        const bad = m.problems.some((p) => p.severity === 'problem');
        console.log(
          `${bad ? style.red('✗') : style.green('✓')} ${m.model} ${style.dim(`(${m.file}, build: ${m.build})`)}`,
        );
        for (const p of m.problems)
          console.log(
            `    ${p.severity === 'problem' ? style.red('problem') : style.dim('note')}  ${p.column ? `${p.column}: ` : ''}${p.message}`,
          );
      }
      const failing = report.models.filter((m) => m.problems.some((p) => p.severity === 'problem')).length;
      console.log(
        failing === 0
          ? `${style.green('✓')} ${report.models.length} model(s) build against ${options.source} as declared`
          : `${style.red('✗')} ${failing} of ${report.models.length} model(s) would fail or differ from their contract (${problems.length} problem(s))`,
      );
    });
}
