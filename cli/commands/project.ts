import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { indexManifest, refreshLevels } from '../../shared/graph/plan.js';
import { serializeManifest } from '../../shared/project/compile.js';
import { loadProject } from '../../shared/project/load.js';
import { type BuildMode, buildBatch } from '../../shared/sql/build.js';
import { printJson, style } from '../output.js';

const PROJECT_OPTION = ['-p, --project <dir>', 'curated project folder', './curated'] as const;

interface ProjectOptions {
  project: string;
}

/** validate / compile / plan / sql: the commands that work on the curated project alone. */
export function registerProjectCommands(program: Command): void {
  program
    .command('validate')
    .description('check the curated project and list every problem')
    .option(...PROJECT_OPTION)
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ zeo validate -p examples/shop/curated')
    .action((opts: ProjectOptions & { json?: boolean }) => {
      const manifest = loadProject(opts.project);
      const summary = {
        valid: true,
        project: manifest.project.name,
        models: manifest.models.length,
        sources: manifest.sources.length,
        levels: manifest.levels.length,
        groups: Object.keys(manifest.project.groups),
      };
      if (opts.json) return printJson(summary);
      console.log(
        `${style.green('✓')} ${summary.project}: ${summary.models} models, ${summary.sources} sources, ${summary.levels} levels, groups: ${summary.groups.join(', ') || 'none'}`,
      );
    });

  program
    .command('compile')
    .description('compile the curated project into the JSON manifest the Lambdas bundle')
    .option(...PROJECT_OPTION)
    .option('-o, --out <file>', 'write the manifest to a file instead of stdout')
    .addHelpText('after', '\nExample:\n  $ zeo compile -p examples/shop/curated --out .build/manifest.json')
    .action((opts: ProjectOptions & { out?: string }) => {
      const text = serializeManifest(loadProject(opts.project));
      if (opts.out) {
        mkdirSync(dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, text);
        console.error(`wrote ${opts.out} (${Buffer.byteLength(text)} bytes)`);
      } else {
        process.stdout.write(text);
      }
    });

  program
    .command('plan')
    .description(
      'print the models by dependency level (a refresh starts each model as soon as its upstreams are built)',
    )
    .option(...PROJECT_OPTION)
    .option(
      '-s, --select <selector>',
      'dbt-style selector: model, model+, +model, source:public.orders+, group:hourly (comma = union)',
    )
    .option('-g, --group <group>', 'only the models of this refresh group')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      "\nExamples:\n  $ zeo plan -p examples/shop/curated --select 'source:public.orders+'\n  $ zeo plan --group hourly --json",
    )
    .action((opts: ProjectOptions & { select?: string; group?: string; json?: boolean }) => {
      const index = indexManifest(loadProject(opts.project));
      const plan = refreshLevels(index, {
        ...(opts.select === undefined ? {} : { select: opts.select }),
        ...(opts.group === undefined ? {} : { group: opts.group }),
      });
      if (opts.json) return printJson(plan);
      console.log(style.bold(`${plan.modelCount} model(s) in ${plan.levels.length} level(s)`));
      plan.levels.forEach((level, i) => {
        console.log(`level ${i}:`);
        for (const name of level) {
          const m = index.model(name);
          console.log(
            `  ${name} ${style.dim(`(${m.materialized}, ${m.schema}${m.group ? `, group ${m.group}` : ''})`)}`,
          );
        }
      });
    });

  program
    .command('sql')
    .description('print the statements (one transaction) that build a model')
    .argument('<model>', 'model name')
    .option(...PROJECT_OPTION)
    .option(
      '-m, --mode <mode>',
      'full | merge | create_view | refresh_view (default: full build for the materialization)',
    )
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ zeo sql fct_orders -p examples/shop/curated')
    .action((modelName: string, opts: ProjectOptions & { mode?: string; json?: boolean }) => {
      const index = indexManifest(loadProject(opts.project));
      const model = index.model(modelName);
      const mode = (opts.mode ??
        (model.materialized === 'materialized_view' ? 'create_view' : 'full')) as BuildMode;
      const allowed: Record<string, BuildMode[]> = {
        table: ['full'],
        incremental: ['full', 'merge'],
        materialized_view: ['create_view', 'refresh_view'],
      };
      if (!allowed[model.materialized]?.includes(mode)) {
        throw new Error(
          `mode '${mode}' does not apply to a ${model.materialized} model (use ${allowed[model.materialized]?.join(' or ')})`,
        );
      }
      const batch = buildBatch(model, mode, {
        runId: 'manual',
        trigger: 'cli',
      });
      if (opts.json) return printJson(batch);
      console.log(
        style.dim(
          `-- ${model.name}: ${batch.sqls.length} statements, one transaction (StatementName ${batch.statementName})`,
        ),
      );
      batch.sqls.forEach((sql, i) => {
        console.log(style.dim(`-- [${i + 1}]`));
        console.log(`${sql};`);
      });
    });
}
