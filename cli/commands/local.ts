import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Injection } from '../../local/control.js';
import { MACHINE_NAME_OF_ID } from '../../local/sfn/definitions.js';
import type { EventLog, ExecutionRecord } from '../../local/sfn/runner.js';
import { InvalidInputError } from '../../shared/errors.js';
import { EXAMPLE_PROJECT } from '../../shared/runtime/package-root.js';
import { printSourceWarnings, readSourceOption, sourceErrorAsInput } from '../local-options.js';
import { printJson, style } from '../output.js';
import { table } from '../table.js';
import { tickLine } from '../tick-line.js';

const LABEL = MACHINE_NAME_OF_ID;

/** One line per execution that matters and per model build, so the log reads like a run book. */
function progress(record: ExecutionRecord, event: EventLog): void {
  const label = LABEL[record.machine];
  if (event.type === 'ExecutionStarted' && label && label !== 'reconcile') {
    console.log(style.dim(`    ▶ ${label} ${record.name}`));
  }
  if (event.type === 'StateExited' && event.state?.name === 'AssessState') {
    const route = (event.state.output as { route?: string; note?: string } | undefined) ?? {};
    if (route.route && route.route !== 'none')
      console.log(style.dim(`    ↳ reconcile: ${route.route} — ${route.note ?? ''}`));
  }
  if (event.type === 'StateExited' && event.state?.name === 'DispatchBuilds') {
    const line = tickLine(event.state.output);
    if (line) console.log(style.dim(`      ${line}`));
  }
  if (
    (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed') &&
    label &&
    label !== 'reconcile'
  ) {
    const mark = event.type === 'ExecutionSucceeded' ? style.green('✓') : style.red('✗');
    const summary = record.machine === 'CuratedRefreshStateMachine' ? summaryText(record.output) : '';
    console.log(
      `    ${mark} ${label} ${record.name}${summary}${record.error ? ` ${style.red(record.error)}` : ''}`,
    );
  }
}

function summaryText(output: unknown): string {
  const counts = (output as { counts?: Record<string, number> } | undefined)?.counts;
  if (!counts) return '';
  return `: ${counts.built} built, ${counts.unchanged ?? 0} unchanged, ${counts.deferred} deferred, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export function registerLocalCommands(program: Command): void {
  const local = program.command('local').description('the embedded local stack (no AWS account needed)');
  registerLocalDaemonCommands(local);
  local
    .command('scenario')
    .description(
      'play the whole job on the example: refreshes, a resync, an integration failure and its recovery',
    )
    .addHelpText('after', '\nExample:\n  $ npm start   # same as: zeo local scenario')
    .action(async (_options: unknown, command: Command) => {
      // The Lambda handlers log JSON lines; in a terminal session they would drown the progress display.
      if (!command.optsWithGlobals<{ verbose?: boolean }>().verbose)
        process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
      const { runScenario } = await import('../../local/scenario.js');
      const started = Date.now();
      let step = 0;
      const summary = await runScenario({
        step: (title) => console.log(`\n${style.bold(`${++step}. ${title}`)}`),
        info: () => undefined,
        ok: (line) => console.log(`  ${style.green('✓')} ${line}`),
        onEvent: progress,
      });
      console.log(`\n${style.bold('Curated models')}`);
      console.log(
        table(
          ['model', 'rows', 'builds', 'last build (simulated UTC)'],
          summary.models.map((m) => [m.model, m.rows, m.builds, m.lastBuild]),
        ),
      );
      console.log(`\n${style.bold('Executions')}`);
      console.log(
        table(
          ['state machine', 'succeeded', 'failed'],
          summary.executions.map((e) => [e.machine, e.succeeded, e.failed]),
        ),
      );
      console.log(
        `\n${summary.transitions} state transitions, ${summary.lambdaInvocations} Lambda invocations, ${summary.dataApiCalls} Data API statements, ${summary.eventsEmitted} events emitted; ${summary.simulatedHours.toFixed(1)} simulated hours in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    });
}

export function registerLocalDaemonCommands(local: Command): void {
  local
    .command('start')
    .description('start the embedded stack and keep it running (Ctrl-C or `zeo local stop` ends it)')
    .option('-p, --project <dir>', 'curated project folder (default: the shop example)')
    .option(
      '--source <file.sql>',
      'your Aurora PostgreSQL schema and data (plain SQL or pg_dump) instead of the example',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ zeo local start\n  $ zeo local start -p ./curated --source ./source.sql',
    )
    .action(async (options: { project?: string; source?: string }) => {
      process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
      const source = await readSourceOption(options.source);
      const { startLocalOrchestrator } = await import('../../local/app.js');
      const { removeControlInfo, startControlServer, writeControlInfo } = await import(
        '../../local/control.js'
      );
      const project = resolve(options.project ?? EXAMPLE_PROJECT);
      const app = await startLocalOrchestrator({ projectDir: project, ...(source ? { source } : {}) }).catch(
        (error: unknown) => {
          throw sourceErrorAsInput(error, options.source);
        },
      );
      printSourceWarnings(options.source, app.sourceWarnings);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await control.close();
        await app.close();
        removeControlInfo();
        console.log('local stack stopped');
      };
      const control = await startControlServer(app, () => void stop());
      writeControlInfo({
        control: control.endpoint,
        dataApi: app.stack.dataApiEndpoint,
        rds: app.stack.rdsEndpoint,
        pid: process.pid,
        project,
        source: options.source ? resolve(options.source) : null,
      });
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      console.log(`local stack running (project ${app.manifest.project.name}, ${project})`);
      console.log(`  source             ${options.source ?? 'the shop example'}`);
      console.log(`  Redshift Data API  ${app.stack.dataApiEndpoint}`);
      console.log(`  RDS                ${app.stack.rdsEndpoint}`);
      console.log(`  control            ${control.endpoint}  (.zeo/local.json)`);
      console.log(
        style.dim(
          '  try: zeo run curated-refresh --local · zeo local query "select …" · zeo status --local · zeo local stop',
        ),
      );
    });
  local
    .command('inject')
    .description('break the running local stack like AWS would')
    .argument('<kind>', 'resync <schema.table> | fail <REDSHIFT-INTEGRATION-EVENT code> | ddl <source SQL>')
    .argument('[value]', 'the table, the event code or the SQL (ddl: or --file, or standard input)')
    .option('-f, --file <file.sql>', 'ddl: read the SQL from a file')
    .addHelpText(
      'after',
      "\nExamples:\n  $ zeo local inject resync public.orders\n  $ zeo local inject fail 0007\n  $ zeo local inject ddl 'ALTER TABLE public.orders ADD COLUMN note text'\n  $ zeo local inject ddl --file change.sql\n  $ zeo local inject ddl < change.sql",
    )
    .action(async (kind: string, value: string | undefined, options: { file?: string }) => {
      const body = await injection(kind, value, options.file);
      const { callControl, findRunningStack } = await import('../../local/control.js');
      const info = await findRunningStack();
      if (!info) throw new Error('no local stack is running; start one with `zeo local start`');
      console.log(JSON.stringify(await callControl(info, 'POST', '/inject', body)));
      // Let the watchdog and the rules react: a few simulated minutes pass.
      const advanced = await callControl<{ fired: string[] }>(info, 'POST', '/advance', { minutes: 5 });
      console.log(`5 simulated minutes later, started: ${advanced.fired.join(', ') || 'nothing'}`);
    });
  local
    .command('query')
    .description("run SQL on the running stack's warehouse (curated or landing tables, three-part names too)")
    .argument('[sql]', 'the statement (or --file)')
    .option('-f, --file <file.sql>', 'read the statement from a file')
    .option('--json', 'the rows as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ zeo local query "select * from curated.fct_orders limit 5"\n  $ zeo local query "select count(*) from aurora_zeroetl.public.orders" --json',
    )
    .action(async (sql: string | undefined, options: { file?: string; json?: boolean }) => {
      const text = readSqlArgument(sql, options.file, '[sql]');
      const { callControl, findRunningStack } = await import('../../local/control.js');
      const info = await findRunningStack();
      if (!info)
        throw new Error(
          'no local stack is running; start one with `zeo local start [-p DIR --source FILE.sql]`',
        );
      const { rows } = await callControl<{ rows: Record<string, unknown>[] }>(info, 'POST', '/query', {
        sql: text,
      });
      if (options.json) {
        printJson(rows);
        return;
      }
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      if (columns.length > 0)
        console.log(
          table(
            columns,
            rows.map((r) => columns.map((c) => (r[c] === null ? 'NULL' : String(r[c])))),
          ),
        );
      console.log(style.dim(`(${rows.length} row${rows.length === 1 ? '' : 's'})`));
    });
  local
    .command('stop')
    .description('stop the running local stack')
    .action(async () => {
      const { callControl, findRunningStack } = await import('../../local/control.js');
      const info = await findRunningStack();
      if (!info) throw new Error('no local stack is running');
      await callControl(info, 'POST', '/stop');
      console.log('stopping the local stack');
    });
}

/** SQL from the argument, a file, or standard input when neither is given (and it is not a terminal). */
function readSqlArgument(value: string | undefined, file: string | undefined, argument: string): string {
  if (value !== undefined && file !== undefined)
    throw new InvalidInputError([
      { file: 'input', field: '--file', message: `give the SQL as ${argument} or with --file, not both` },
    ]);
  let text: string | undefined = value;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
      throw new InvalidInputError([{ file, field: '--file', message: `cannot read ${file}: ${reason}` }]);
    }
  } else if (text === undefined || text === '-') {
    if (process.stdin.isTTY)
      throw new InvalidInputError([
        {
          file: 'input',
          field: argument,
          message: 'no SQL: give it as an argument, with --file or on standard input',
        },
      ]);
    text = readFileSync(0, 'utf8');
  }
  if (!text.trim())
    throw new InvalidInputError([
      { file: file ?? 'input', field: file ? '--file' : argument, message: 'the SQL is empty' },
    ]);
  return text;
}

async function injection(
  kind: string,
  value: string | undefined,
  file: string | undefined,
): Promise<Injection> {
  if (kind === 'ddl') return { kind, sql: readSqlArgument(value, file, '<value>') };
  if (file !== undefined)
    throw new InvalidInputError([{ file: 'input', field: '--file', message: 'only applies to ddl' }]);
  if (kind !== 'resync' && kind !== 'fail')
    throw new InvalidInputError([
      { file: 'input', field: 'kind', message: `'${kind}' is not resync, fail or ddl` },
    ]);
  if (value === undefined)
    throw new InvalidInputError([
      {
        file: 'input',
        field: '<value>',
        message: kind === 'resync' ? 'name the table (schema.table)' : 'name the event code (e.g. 0007)',
      },
    ]);
  return kind === 'resync' ? { kind, table: value } : { kind, code: value };
}
