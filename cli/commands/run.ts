import { writeFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Argument, type Command, Option } from 'commander';
import type { ControlInfo } from '../../local/control.js';
import { STATE_MACHINE_INPUTS } from '../../shared/contracts/state-machine-inputs.js';
import { InvalidInputError } from '../../shared/errors.js';
import { indexManifest } from '../../shared/graph/plan.js';
import { loadProject } from '../../shared/project/load.js';
import { runTimelineSql } from '../../shared/sql/run-log.js';
import {
  consoleLink,
  deploymentOf,
  findStateMachineArn,
  followExecution,
  startExecution,
} from '../aws-executions.js';
import { readInput, validateAgainstProject, validateInput } from '../console-input.js';
import {
  printSourceWarnings,
  readSourceOption,
  runningStackFor,
  sourceErrorAsInput,
} from '../local-options.js';
import { style } from '../output.js';
import { type Timeline, timelineFromRunLog, timelineMermaid, timelineSvg } from '../render/timeline.js';
import { type Executed, formatReport, reportOfRun } from '../run-report.js';
import { table } from '../table.js';
import { tickLine } from '../tick-line.js';
import { useWarehouseRole, WAREHOUSE_ROLE_FLAG, WAREHOUSE_ROLE_HELP } from '../warehouse-role.js';

interface RunOptions {
  project: string;
  input?: string;
  select?: string;
  stage: string;
  local?: boolean;
  follow: boolean;
  timeline?: string;
  json?: boolean;
  source?: string;
  warehouseRole?: string;
}

/**
 * Exit codes of `zeo run`: 0 succeeded, 1 failed, 2 bad input (nothing started), 3 a curated refresh
 * that succeeded without building anything because every selected model was deferred (its landing
 * tables have no replication state, are resyncing or failed), 130 stopped following (AWS only).
 */
export const EXIT_NOTHING_BUILT = 3;

interface SummaryShape {
  counts?: Record<string, number>;
  failed?: { model: string; reason?: string }[];
  deferred?: { model: string; reason?: string }[];
}

/** A refresh that selected models and built none of them, all for lack of usable landing tables. */
function nothingBuilt(output: unknown): SummaryShape | undefined {
  const summary = output as SummaryShape | undefined;
  const c = summary?.counts;
  if (!c?.selected) return undefined;
  const produced = (c.built ?? 0) + (c.unchanged ?? 0) + (c.withinTolerance ?? 0);
  const broken = (c.failed ?? 0) + (c.missing ?? 0);
  return produced === 0 && broken === 0 && (c.deferred ?? 0) > 0 ? summary : undefined;
}

function exitCodeOf(status: string, output: unknown): number {
  if (status !== 'SUCCEEDED') return 1;
  const empty = nothingBuilt(output);
  if (!empty) return 0;
  // Root causes (a landing table's state) first, the descendants that waited on them after.
  const reasons = [...new Set((empty.deferred ?? []).map((d) => d.reason ?? 'deferred'))].sort(
    (a, b) => Number(a.startsWith('upstream')) - Number(b.startsWith('upstream')),
  );
  const shown = reasons.slice(0, 5).join('; ');
  process.stderr.write(
    `${style.red('warning:')} nothing was built: all ${empty.counts?.selected} selected model(s) were deferred or skipped — ${shown}${reasons.length > 5 ? ` (+${reasons.length - 5} more)` : ''}\n` +
      `${style.dim('hint: locally, load your own source tables with --source FILE.sql; on AWS, check the integration and `zeo status`')}\n`,
  );
  return EXIT_NOTHING_BUILT;
}

function writeTimeline(path: string, timeline: Timeline): void {
  const text = path.endsWith('.svg')
    ? timelineSvg(timeline)
    : `\`\`\`mermaid\n${timelineMermaid(timeline)}\`\`\`\n`;
  writeFileSync(path, text);
  console.error(`wrote the timeline to ${path}`);
}

/** States of the curated-refresh dispatcher loop: shown as tick lines, not one by one. */
const TICK_STATES = new Set(['NextStep', 'WaitForBuilds', 'DispatchBuilds']);

/** The run's outcome: the counts of a refresh (or a recovery's output), then why anything failed. */
function printSummary(output: unknown, executions: readonly Executed[]): void {
  const summary = output as SummaryShape | undefined;
  const report = reportOfRun(executions);
  // A failed refresh has no output: its counts come with the report (its Fail state's Cause).
  const counts = summary?.counts ?? report?.counts;
  if (counts) {
    console.log(
      table(
        ['outcome', 'models'],
        Object.entries(counts).map(([k, v]) => [k, v]),
      ),
    );
  }
  if (!summary?.counts && output !== undefined && output !== null)
    console.log(JSON.stringify(output, null, 2));
  if (report) console.log(formatReport(report));
}

async function runLocal(
  machine: string,
  input: unknown,
  options: RunOptions,
  running: ControlInfo | undefined,
): Promise<number> {
  if (running) {
    const { callControl } = await import('../../local/control.js');
    // A `zeo local start` stack is running: run there, so its state (and `zeo status --local`) follows.
    const result = await callControl<{
      name: string;
      status: string;
      output: unknown;
      error: string | null;
      executions?: Executed[];
    }>(running, 'POST', '/run', {
      stateMachine: machine,
      input,
    });
    const executions = result.executions ?? [result];
    const { executions: _tree, ...shown } = result;
    if (options.json)
      console.log(
        JSON.stringify(
          { execution: result.name, ...shown, report: reportOfRun(executions) ?? null },
          null,
          2,
        ),
      );
    else {
      console.log(
        `${result.status === 'SUCCEEDED' ? style.green('✓') : style.red('✗')} ${machine} ${result.name} ${result.status}${result.error ? `: ${result.error}` : ''}`,
      );
      printSummary(result.output, executions);
    }
    if (options.timeline)
      console.error(
        '--timeline needs a run in this process; stop the running local stack or omit --timeline',
      );
    return exitCodeOf(result.status, result.output);
  }
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const source = await readSourceOption(options.source);
  const { startLocalOrchestrator } = await import('../../local/app.js');
  const app = await startLocalOrchestrator({
    projectDir: options.project,
    ...(source ? { source } : {}),
    onEvent: (record, event) => {
      if (options.json) return;
      // The dispatcher's loop (NextStep → WaitForBuilds → DispatchBuilds) prints one line per tick
      // that changed something, not its state names.
      if (event.type === 'StateExited' && event.state?.name === 'DispatchBuilds') {
        const line = tickLine(event.state.output);
        if (line) console.log(style.dim(`  ${line}`));
      } else if (
        event.type === 'StateEntered' &&
        record.parentArn === undefined &&
        event.state &&
        !TICK_STATES.has(event.state.name)
      ) {
        console.log(style.dim(`  ${event.state.name}`));
      }
    },
  }).catch((error: unknown) => {
    throw sourceErrorAsInput(error, options.source);
  });
  printSourceWarnings(options.source, app.sourceWarnings);
  try {
    const record = app.start(machine, input, `${machine}-local-${Date.now()}`);
    if (!options.json) console.log(`▶ ${machine} ${record.name} (local)`);
    await record.done;
    await app.settle();
    if (options.timeline) {
      const outcomes = (await app.stack.warehouse.query(runTimelineSql(record.name))) as {
        model: string;
        status: string;
      }[];
      const { localTimeline } = await import('../render/local-timeline.js');
      writeTimeline(options.timeline, localTimeline(record, app.sfn.executions, outcomes));
    }
    const executions = app.sfn.runTree(record);
    if (options.json) {
      console.log(
        JSON.stringify(
          {
            execution: record.name,
            status: record.status,
            output: record.output ?? null,
            error: record.error ?? null,
            cause: record.cause ?? null,
            report: reportOfRun(executions) ?? null,
          },
          null,
          2,
        ),
      );
    } else {
      console.log(
        `${record.status === 'SUCCEEDED' ? style.green('✓') : style.red('✗')} ${machine} ${record.status}${record.error ? `: ${record.error}` : ''}`,
      );
      printSummary(record.output, executions);
    }
    return exitCodeOf(record.status, record.output);
  } finally {
    await app.close();
  }
}

async function runAws(machine: string, input: unknown, options: RunOptions): Promise<number> {
  // Refused before anything starts: the timeline is read from the warehouse as the warehouse role.
  if (options.timeline && machine === 'curated-refresh')
    useWarehouseRole(options.warehouseRole, options.stage);
  // The project's service names the stack (<service>-<stage>) and so its state machines.
  const deployment = deploymentOf(loadProject(options.project), options.stage);
  const sfn = new SFNClient({});
  const arn = await findStateMachineArn(sfn, deployment, machine);
  const executionArn = await startExecution(sfn, arn, `${machine}-cli-${Date.now()}`, input);
  console.log(`▶ ${machine}: ${consoleLink(executionArn)}`);
  if (!options.follow) return 0;
  let stopped = false;
  let previousTick: string | undefined;
  const onSigint = () => {
    stopped = true;
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await followExecution(
      sfn,
      executionArn,
      (state, elapsed, lastTick) => {
        if (options.json) return;
        const line = tickLine(lastTick);
        if (line !== undefined && line !== previousTick)
          console.log(style.dim(`  ${Math.round(elapsed)}s ${line}`));
        else if (!TICK_STATES.has(state)) console.log(style.dim(`  ${Math.round(elapsed)}s ${state}`));
        previousTick = line;
      },
      { shouldStop: () => stopped },
    );
    if (!result) {
      console.log('stopped following; the execution goes on (see the console link above)');
      return 130;
    }
    if (options.timeline && machine === 'curated-refresh') {
      const { warehouseFor } = await import('../../shared/runtime/wiring/warehouse.js');
      const warehouse = warehouseFor(indexManifest(loadProject(options.project)));
      const runId = executionArn.split(':').pop() ?? '';
      const rows = await warehouse.query(runTimelineSql(runId), { statementName: `zeo:${runId}:timeline` });
      writeTimeline(options.timeline, timelineFromRunLog(runId, new Date(), rows));
    }
    const executions: Executed[] = [result, ...(result.failedTaskCauses ?? []).map((cause) => ({ cause }))];
    const { failedTaskCauses: _causes, ...shown } = result;
    if (options.json)
      console.log(
        JSON.stringify({ executionArn, ...shown, report: reportOfRun(executions) ?? null }, null, 2),
      );
    else {
      console.log(
        `${result.status === 'SUCCEEDED' ? style.green('✓') : style.red('✗')} ${machine} ${result.status}${result.error ? `: ${result.error}` : ''}`,
      );
      printSummary(result.output, executions);
      console.log(consoleLink(executionArn));
    }
    return exitCodeOf(result.status, result.output);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'start a state machine (AWS Step Functions, or the embedded stack with --local) and follow it',
    )
    .addArgument(
      new Argument('<state-machine>', 'the state machine to start').choices(
        Object.keys(STATE_MACHINE_INPUTS),
      ),
    )
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .option('-i, --input <json|@file>', 'the execution input (validated before anything starts)')
    .option('-s, --select <selector>', 'curated-refresh only: shorthand for {"select": …}')
    .option('--stage <stage>', 'deployment stage on AWS', 'dev')
    .option('--local', 'run on the embedded local stack instead of AWS')
    .option('--source <file.sql>', '--local: your Aurora PostgreSQL schema and data instead of the example')
    .option('--no-follow', 'start and return the execution ARN without following it')
    .addOption(
      new Option('--timeline <file>', 'curated-refresh: write a Gantt chart of the builds (.svg or .md)'),
    )
    .option(WAREHOUSE_ROLE_FLAG, `${WAREHOUSE_ROLE_HELP}; for --timeline`)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `\nExamples:\n  $ zeo run curated-refresh --local -p examples/shop/curated --select 'fct_orders+' --timeline refresh.svg\n  $ zeo run resync-recovery --input '{"tables":["public.orders"]}' --stage prod\n  $ zeo run integration-recovery --input @recover.json --stage prod --no-follow`,
    )
    .action(async (machine: string, options: RunOptions, command: Command) => {
      if (options.source !== undefined && !options.local)
        throw new InvalidInputError([
          { file: 'input', field: '--source', message: 'only applies with --local' },
        ]);
      const running = options.local ? await runningStackFor(options, command) : undefined;
      let input = readInput(options.input);
      if (options.select !== undefined) {
        if (machine !== 'curated-refresh')
          throw new InvalidInputError([
            { file: 'input', field: '--select', message: 'only applies to curated-refresh' },
          ]);
        input = { ...(input as object), select: options.select };
      }
      validateInput(machine, input);
      validateAgainstProject(machine, input, indexManifest(loadProject(options.project)));
      process.exitCode = options.local
        ? await runLocal(machine, input, options, running)
        : await runAws(machine, input, options);
    });
}
