import type { Command } from 'commander';
import type { EventLog, ExecutionRecord } from '../../local/sfn/runner.js';
import { InvalidInputError } from '../../shared/errors.js';
import { style } from '../output.js';
import { table } from '../table.js';

const LABEL: Record<string, string> = {
  CuratedRefreshStateMachine: 'curated-refresh',
  ResyncRecoveryStateMachine: 'resync-recovery',
  IntegrationRecoveryStateMachine: 'integration-recovery',
  ReconcileStateMachine: 'reconcile',
};

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
  if (event.type === 'StateEntered' && event.state?.name === 'SubmitBuild') {
    const input = event.state.input as { model?: string; mode?: string } | undefined;
    console.log(style.dim(`      building ${input?.model} (${input?.mode})`));
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
    .option('-p, --project <dir>', 'curated project folder', 'examples/shop/curated')
    .action(async (options: { project: string }) => {
      process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
      const { startLocalOrchestrator } = await import('../../local/app.js');
      const { removeControlInfo, startControlServer, writeControlInfo } = await import(
        '../../local/control.js'
      );
      const app = await startLocalOrchestrator({ projectDir: options.project });
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
      });
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      console.log(`local stack running (project ${app.manifest.project.name})`);
      console.log(`  Redshift Data API  ${app.stack.dataApiEndpoint}`);
      console.log(`  RDS                ${app.stack.rdsEndpoint}`);
      console.log(`  control            ${control.endpoint}  (.zeo/local.json)`);
      console.log(
        style.dim('  try: zeo local inject resync public.orders · zeo status --local · zeo local stop'),
      );
    });
  local
    .command('inject')
    .description('break the running local stack like AWS would')
    .argument('<kind>', 'resync <schema.table> | fail <REDSHIFT-INTEGRATION-EVENT code> | ddl <source SQL>')
    .argument('<value>', 'the table, the event code or the SQL')
    .addHelpText(
      'after',
      "\nExamples:\n  $ zeo local inject resync public.orders\n  $ zeo local inject fail 0007\n  $ zeo local inject ddl 'ALTER TABLE public.orders ADD COLUMN note text'",
    )
    .action(async (kind: string, value: string) => {
      const { callControl, findRunningStack } = await import('../../local/control.js');
      const info = await findRunningStack();
      if (!info) throw new Error('no local stack is running; start one with `zeo local start`');
      const body =
        kind === 'resync'
          ? { kind, table: value }
          : kind === 'fail'
            ? { kind, code: value }
            : kind === 'ddl'
              ? { kind, sql: value }
              : undefined;
      if (!body)
        throw new InvalidInputError([
          { file: 'input', field: 'kind', message: `'${kind}' is not resync, fail or ddl` },
        ]);
      console.log(JSON.stringify(await callControl(info, 'POST', '/inject', body)));
      // Let the watchdog and the rules react: a few simulated minutes pass.
      const advanced = await callControl<{ fired: string[] }>(info, 'POST', '/advance', { minutes: 5 });
      console.log(`5 simulated minutes later, started: ${advanced.fired.join(', ') || 'nothing'}`);
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
