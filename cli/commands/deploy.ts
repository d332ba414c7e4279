import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError } from '../../shared/errors.js';
import { serializeManifest } from '../../shared/project/compile.js';
import { serviceOf, stageProblem } from '../../shared/project/deployment.js';
import { loadProject } from '../../shared/project/load.js';
import { PACKAGE_ROOT } from '../../shared/runtime/package-root.js';
import { style } from '../output.js';

/**
 * `zeo package` / `zeo deploy`: the Serverless Framework (osls) on the installed package's serverless.yml
 * with the user's curated project, from any directory. The project is validated and compiled first, so
 * an invalid one never reaches CloudFormation; osls reads it through ZEO_MANIFEST_PATH
 * (scripts/serverless-config.cjs) and bundles it into every function.
 */

interface DeployOptions {
  project: string;
  stage: string;
  region?: string;
  out?: string;
}

/**
 * AWS Region codes: `us-east-1`, `us-gov-west-1`, `us-isob-east-1`, `eusc-de-east-1` (the longest are
 * 14 characters; scripts/serverless-config.cjs REGION_PATTERN).
 */
const REGION = /^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/;

function checkOptions(options: DeployOptions): void {
  // The stage is part of every physical name (shared/project/deployment.ts STAGE_PATTERN).
  const stage = stageProblem(options.stage);
  if (stage) throw new InvalidInputError([{ file: 'input', field: '--stage', message: stage }]);
  if (options.region !== undefined && !REGION.test(options.region))
    throw new InvalidInputError([
      {
        file: 'input',
        field: '--region',
        message: `'${options.region}' is not an AWS region (e.g. eu-west-1)`,
      },
    ]);
}

function serverlessBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');
}

async function runServerless(command: 'package' | 'deploy', options: DeployOptions): Promise<number> {
  checkOptions(options);
  const manifest = loadProject(options.project);
  const scratch = mkdtempSync(join(tmpdir(), 'zeo-package-'));
  const manifestPath = join(scratch, 'manifest.json');
  writeFileSync(manifestPath, serializeManifest(manifest));
  const args = [serverlessBin(), command, '--stage', options.stage];
  if (options.region) args.push('--region', options.region);
  const out =
    command === 'package' ? resolve(options.out ?? join('.zeo', 'package', options.stage)) : undefined;
  if (out) args.push('--package', out);
  console.error(
    style.dim(
      `${command} ${manifest.project.name} (${manifest.models.length} models) as stack ${serviceOf(manifest.project)}-${options.stage}`,
    ),
  );
  try {
    const code = await new Promise<number>((done, fail) => {
      const child = spawn(process.execPath, args, {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, ZEO_MANIFEST_PATH: manifestPath, SLS_TELEMETRY_DISABLED: '1' },
        stdio: 'inherit',
      });
      child.on('error', fail);
      child.on('exit', (status, signal) => done(status ?? (signal ? 1 : 0)));
    });
    if (code === 0 && out)
      console.log(
        `${style.green('✓')} packaged into ${out} (CloudFormation template + one zip per function)`,
      );
    return code === 0 ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function registerDeployCommands(program: Command): void {
  program
    .command('package')
    .description(
      'validate and compile the project, then package the stack offline (CloudFormation + bundles)',
    )
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .requiredOption(
      '--stage <stage>',
      'deployment stage: 1-16 lower-case letters and digits (stack <service>-<stage>)',
    )
    .option('--region <region>', 'AWS region (default: us-east-1)')
    .option('-o, --out <dir>', 'where to write the package (default .zeo/package/<stage>)')
    .addHelpText('after', '\nExample:\n  $ zeo package -p ./curated --stage dev --out ./dist')
    .action(async (options: DeployOptions) => {
      process.exitCode = await runServerless('package', options);
    });
  program
    .command('deploy')
    .description(
      'validate and compile the project, then deploy the stack with the Serverless Framework (osls)',
    )
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .requiredOption(
      '--stage <stage>',
      'deployment stage: 1-16 lower-case letters and digits (stack <service>-<stage>)',
    )
    .option('--region <region>', 'AWS region (default: us-east-1)')
    .addHelpText(
      'after',
      '\nExample:\n  $ zeo deploy -p ./curated --stage prod --region eu-west-1   # uses your AWS credentials',
    )
    .action(async (options: DeployOptions) => {
      process.exitCode = await runServerless('deploy', options);
    });
}
