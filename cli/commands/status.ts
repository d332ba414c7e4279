import { ExecutionStatus, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { STATE_MACHINE_INPUTS } from '../../shared/contracts/state-machine-inputs.js';
import { indexManifest } from '../../shared/graph/plan.js';
import { loadProject } from '../../shared/project/load.js';
import { clock } from '../../shared/runtime/clock.js';
import { integrationsFor } from '../../shared/runtime/wiring/integrations.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { collectStatus, type StatusReport } from '../../shared/status/report.js';
import { deploymentOf, findStateMachineArn } from '../aws-executions.js';
import { runningStackFor } from '../local-options.js';
import { printJson } from '../output.js';
import { formatStatus } from '../status-view.js';
import { useWarehouseRole, WAREHOUSE_ROLE_FLAG, WAREHOUSE_ROLE_HELP } from '../warehouse-role.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('the integration, landing table states, curated freshness per model and running executions')
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .option('--stage <stage>', 'deployment stage on AWS (for running executions)', 'dev')
    .option(WAREHOUSE_ROLE_FLAG, WAREHOUSE_ROLE_HELP)
    .option('--local', 'read the running `zeo local start` stack (or a freshly started one) instead of AWS')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  $ zeo status -p curated --stage prod\n  $ zeo status --local -p examples/shop/curated --json',
    )
    .action(
      async (
        options: { project: string; stage: string; warehouseRole?: string; local?: boolean; json?: boolean },
        command: Command,
      ) => {
        const running = options.local ? await runningStackFor(options, command) : undefined;
        const index = indexManifest(loadProject(options.project));
        let report: StatusReport;
        if (running) {
          const { callControl } = await import('../../local/control.js');
          report = await callControl<StatusReport>(running, 'GET', '/status');
        } else if (options.local) {
          process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
          const { startLocalOrchestrator } = await import('../../local/app.js');
          const { localStatus } = await import('../../local/control.js');
          const app = await startLocalOrchestrator({ projectDir: options.project });
          try {
            report = await localStatus(app);
          } finally {
            await app.close();
          }
        } else {
          // A bad --stage is refused before the warehouse is read.
          const deployment = deploymentOf(index.manifest, options.stage);
          useWarehouseRole(options.warehouseRole, options.stage);
          const sfn = new SFNClient({});
          report = await collectStatus({
            index,
            warehouse: warehouseFor(index),
            integrations: integrationsFor(),
            running: async () => {
              const running: StatusReport['running'] = [];
              for (const machine of Object.keys(STATE_MACHINE_INPUTS)) {
                const arn = await findStateMachineArn(sfn, deployment, machine);
                const out = await sfn.send(
                  new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: ExecutionStatus.RUNNING }),
                );
                for (const e of out.executions ?? []) {
                  running.push({
                    stateMachine: machine,
                    name: e.name ?? '',
                    started: e.startDate?.toISOString() ?? '',
                  });
                }
              }
              return running;
            },
            now: clock.now,
          });
        }
        if (options.json) printJson(report);
        else console.log(formatStatus(report));
      },
    );
}
