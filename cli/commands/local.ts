import type { Command } from 'commander';
import type { EventLog, ExecutionRecord } from '../../local/sfn/runner.js';
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
