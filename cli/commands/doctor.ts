import { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { STATE_MACHINE_NAMES } from '../../local/sfn/definitions.js';
import type { DoctorCheck } from '../../shared/doctor/checks.js';
import { InvalidInputError } from '../../shared/errors.js';
import { indexManifest } from '../../shared/graph/plan.js';
import { stateMachineName } from '../../shared/project/deployment.js';
import { loadProject } from '../../shared/project/load.js';
import { deploymentOf, listStateMachines } from '../aws-executions.js';
import { runningStackFor } from '../local-options.js';
import { printJson, style } from '../output.js';
import { useWarehouseRole, WAREHOUSE_ROLE_FLAG, WAREHOUSE_ROLE_HELP } from '../warehouse-role.js';

/** The deployed state machines' names on a stage (serverless.yml `name:`). */
const MACHINES = Object.keys(STATE_MACHINE_NAMES);

function print(checks: readonly DoctorCheck[]): void {
  for (const c of checks) {
    console.log(`${c.ok ? style.green('✓') : style.red('✗')} ${c.name.padEnd(18)} ${c.detail}`);
    if (!c.ok && c.fix) console.log(`  ${style.dim('fix:')} ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  console.log(
    failed === 0
      ? `${style.green('✓')} all ${checks.length} checks passed`
      : `${style.red('✗')} ${failed} of ${checks.length} checks failed`,
  );
}

async function stageDoctor(projectDir: string, stage: string, role: string | undefined) {
  useWarehouseRole(role, stage);
  const manifest = loadProject(projectDir);
  const deployment = deploymentOf(manifest, stage);
  const { runDoctor } = await import('../../shared/doctor/checks.js');
  const { integrationsFor } = await import('../../shared/runtime/wiring/integrations.js');
  const { warehouseFor } = await import('../../shared/runtime/wiring/warehouse.js');
  const sfn = new SFNClient({});
  return runDoctor({
    manifest,
    warehouse: warehouseFor(indexManifest(manifest)),
    integrations: integrationsFor(),
    stateMachines: {
      expected: MACHINES.map((m) => stateMachineName(deployment, m)),
      list: async () => {
        const names: string[] = [];
        for await (const m of listStateMachines(sfn)) names.push(m.name);
        return names;
      },
    },
  });
}

/** `zeo doctor`: what a real deployment needs, one line per check with its fix; exit 1 if any fails. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what a deployment needs: integration, warehouse identity and privileges, bookkeeping, state machines',
    )
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .option('--stage <stage>', 'the deployment stage on AWS')
    .option(WAREHOUSE_ROLE_FLAG, WAREHOUSE_ROLE_HELP)
    .option('--local', 'check the running `zeo local start` stack (or a freshly started one)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  $ zeo doctor --local -p examples/shop/curated\n  $ zeo doctor -p curated --stage prod --warehouse-role arn:aws:iam::123456789012:role/…-WarehouseRole-…',
    )
    .action(
      async (
        options: { project: string; stage?: string; warehouseRole?: string; local?: boolean; json?: boolean },
        command: Command,
      ) => {
        if ((options.stage === undefined) === (options.local !== true)) {
          throw new InvalidInputError([
            {
              file: 'input',
              field: '--stage/--local',
              message: 'give exactly one of --stage <stage> or --local',
            },
          ]);
        }
        if (options.local && options.warehouseRole !== undefined) {
          throw new InvalidInputError([
            {
              file: 'input',
              field: '--warehouse-role',
              message: 'applies to --stage only: the local stack has its own role',
            },
          ]);
        }
        let checks: DoctorCheck[];
        if (options.stage !== undefined) {
          checks = await stageDoctor(options.project, options.stage, options.warehouseRole);
        } else {
          const running = await runningStackFor(options, command);
          if (running) {
            const { callControl } = await import('../../local/control.js');
            checks = await callControl<DoctorCheck[]>(running, 'GET', '/doctor');
          } else {
            loadProject(options.project); // an invalid project is reported as such, before anything starts
            process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
            const { startLocalOrchestrator } = await import('../../local/app.js');
            const { localDoctor } = await import('../../local/doctor.js');
            const app = await startLocalOrchestrator({ projectDir: options.project });
            try {
              checks = await localDoctor(app);
            } finally {
              await app.close();
            }
          }
        }
        process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
        if (options.json) printJson({ ok: checks.every((c) => c.ok), checks });
        else print(checks);
      },
    );
}
