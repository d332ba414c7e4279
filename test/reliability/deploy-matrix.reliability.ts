import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagingEnv, scratchService } from '../../scripts/deploy-resources.js';
import { MAX_GROUPS } from '../../shared/project/deployment.js';
import {
  MATRIX_REGIONS,
  MATRIX_STAGES,
  MAXIMAL_NAME,
  maximalProjectYml,
  projectFolder,
  projectYmlWith,
} from '../helpers/deploy-variants.js';
import { SHOP_PROJECT } from '../helpers/project.js';
import { REPO_ROOT, Recorder } from './support/results.js';

/**
 * Issue #19, "deploys anywhere", checked at package time: `zeo package` of the example and of a
 * maximal variant (the longest project name, MAX_GROUPS groups with 40-character names that share
 * their first 38 characters) for the stages dev, prod, staging, production and the longest allowed,
 * in us-east-1 and ap-southeast-2 (one of the longest Region codes), plus a second project beside the
 * example. Every template: every physical name within its AWS limit, unique in the template and across
 * the deployments that share a namespace (IAM: the account; everything else: the Region), and every
 * resource within its limits; then the CloudFormation linter (cfn-lint) when it is installed.
 *
 * Limits, from the AWS references: Lambda FunctionName 64, Description 256, Timeout 900 s, memory
 * 128-10240 MB, environment 4 KB, zip 50 MB (Lambda quotas); IAM RoleName 64, Path 512, inline policies
 * 10,240 characters per role, trust policy 2,048 (IAM quotas); Step Functions name 80, definition 1 MB
 * (facts §6.2); EventBridge rule Name 64, Description 512, ScheduleExpression 256, target Input 8,192;
 * CloudWatch Logs LogGroupName 512; CloudFormation 500 resources, 200 outputs, 1 MB template in S3.
 */

const recorder = new Recorder('deploy-matrix');
const META = {
  description:
    'zeo package of the example, of a maximal variant (40-character name, 50 groups with 40-character names sharing their start) and of a second project, for 5 stages (up to the longest allowed) in us-east-1 and ap-southeast-2: every physical name within its limit and unique, every resource within its limits, cfn-lint clean.',
  bound: 'every resource of every packaged template',
};

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Export?: { Name?: unknown } }>;
  Parameters?: Record<string, unknown>;
}
interface Packaged {
  label: string;
  /** The project's service (its name: none of them sets `service`). */
  service: string;
  project: string;
  stage: string;
  region: string;
  dir: string;
  template: Template;
  bytes: number;
}

const require = createRequire(import.meta.url);
const config = require(join(REPO_ROOT, 'scripts', 'serverless-config.cjs')) as {
  WAITED_STATEMENTS: Record<string, number>;
  WAIT_SECONDS: number;
};

const scratch = mkdtempSync(join(tmpdir(), 'zeo-matrix-'));
let serviceDir: string;
const packaged: Packaged[] = [];
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  if (serviceDir) rmSync(serviceDir, { recursive: true, force: true });
});

/** `zeo package` in the scratch copy of the service, as a user runs it. */
async function zeoPackage(
  label: string,
  service: string,
  project: string,
  stage: string,
  region: string,
): Promise<Packaged> {
  const dir = join(scratch, `${label}-${stage}-${region}`);
  await promisify(execFile)(
    process.execPath,
    [
      join(serviceDir, 'bin', 'zeo.js'),
      'package',
      '-p',
      project,
      '--stage',
      stage,
      '--region',
      region,
      '--out',
      dir,
    ],
    { cwd: scratch, env: packagingEnv({ NO_COLOR: '1' }), timeout: 240_000 },
  );
  const file = join(dir, 'cloudformation-template-update-stack.json');
  const text = readFileSync(file, 'utf8');
  const template = JSON.parse(text) as Template;
  return { label, service, project, stage, region, dir, template, bytes: statSync(file).size };
}

beforeAll(async () => {
  serviceDir = scratchService(REPO_ROOT);
  const maximal = projectFolder(maximalProjectYml(), scratch);
  const example = join(REPO_ROOT, SHOP_PROJECT);
  for (const stage of MATRIX_STAGES) {
    for (const region of MATRIX_REGIONS) {
      packaged.push(await zeoPackage('example', 'shop-reporting', example, stage, region));
      packaged.push(await zeoPackage('maximal', MAXIMAL_NAME, maximal, stage, region));
    }
  }
  const second = projectFolder(projectYmlWith({ name: 'shop-reporting-prod' }), scratch);
  packaged.push(await zeoPackage('second', 'shop-reporting-prod', second, 'prod', 'us-east-1'));
}, 1_800_000);

/** The physical name of a resource and the limit AWS puts on it (undefined: CloudFormation names it). */
const NAMES: Record<string, { key: string; max: number; pattern: RegExp; scope: 'account' | 'region' }> = {
  'AWS::Lambda::Function': { key: 'FunctionName', max: 64, pattern: /^[a-zA-Z0-9-_]+$/, scope: 'region' },
  'AWS::IAM::Role': { key: 'RoleName', max: 64, pattern: /^[\w+=,.@-]+$/, scope: 'account' },
  'AWS::StepFunctions::StateMachine': {
    key: 'StateMachineName',
    max: 80,
    pattern: /^[^\s?*<>{}[\]"#%\\^|~`$&,;:/]+$/,
    scope: 'region',
  },
  'AWS::Events::Rule': { key: 'Name', max: 64, pattern: /^[.\-_A-Za-z0-9]+$/, scope: 'region' },
  'AWS::Logs::LogGroup': { key: 'LogGroupName', max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/, scope: 'region' },
  'AWS::CloudWatch::Alarm': { key: 'AlarmName', max: 255, pattern: /^.+$/, scope: 'region' },
  'AWS::CloudWatch::Dashboard': {
    key: 'DashboardName',
    max: 255,
    pattern: /^[A-Za-z0-9\-_]+$/,
    scope: 'region',
  },
};

const size = (value: unknown) => JSON.stringify(value ?? null).length;

/** Every physical name of a template: `kind name`, with its namespace. */
function physicalNames(p: Packaged): { name: string; scope: string }[] {
  const out: { name: string; scope: string }[] = [];
  for (const r of Object.values(p.template.Resources)) {
    const spec = NAMES[r.Type];
    const name = spec ? r.Properties?.[spec.key] : undefined;
    if (spec && typeof name === 'string') {
      // IAM compares role names regardless of case.
      const key = spec.scope === 'account' ? name.toLowerCase() : name;
      out.push({ name: `${r.Type} ${key}`, scope: spec.scope === 'account' ? 'account' : p.region });
    }
  }
  for (const o of Object.values(p.template.Outputs ?? {})) {
    if (typeof o.Export?.Name === 'string') out.push({ name: `Export ${o.Export.Name}`, scope: p.region });
  }
  return out;
}

/** What is wrong with one packaged template. */
function problemsOf(p: Packaged): string[] {
  const problems: string[] = [];
  const where = `${p.label} ${p.stage} ${p.region}`;
  const resources = Object.entries(p.template.Resources);
  if (resources.length > 500) problems.push(`${where}: ${resources.length} resources > 500`);
  if (Object.keys(p.template.Outputs ?? {}).length > 200) problems.push(`${where}: > 200 outputs`);
  if (Object.keys(p.template.Parameters ?? {}).length > 200) problems.push(`${where}: > 200 parameters`);
  if (p.bytes > 1_000_000) problems.push(`${where}: template ${p.bytes} bytes > 1 MB`);
  const seen = new Set<string>();
  for (const { name } of physicalNames(p)) {
    if (seen.has(name)) problems.push(`${where}: ${name} twice`);
    seen.add(name);
  }
  const functionPaths = new Set<unknown>();
  for (const [id, r] of resources) {
    const props = r.Properties ?? {};
    const spec = NAMES[r.Type];
    if (spec && spec.key in props) {
      const name = props[spec.key];
      if (typeof name !== 'string')
        problems.push(`${where}: ${id} ${spec.key} is not resolved at package time`);
      else if (name.length > spec.max || !spec.pattern.test(name))
        problems.push(`${where}: ${id} ${spec.key} ${name} (${name.length} > ${spec.max} or bad characters)`);
    }
    if (r.Type === 'AWS::Lambda::Function') {
      const key = id.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      const timeout = Number(props.Timeout);
      const budget = (config.WAITED_STATEMENTS[key] ?? 0) * 2 * config.WAIT_SECONDS;
      if (!(timeout <= 900 && timeout > budget))
        problems.push(
          `${where}: ${id} timeout ${timeout} s does not cover ${budget} s of waited Data API calls`,
        );
      const memory = Number(props.MemorySize);
      if (!(memory >= 128 && memory <= 10_240)) problems.push(`${where}: ${id} memory ${memory}`);
      if (String(props.Description ?? '').length > 256) problems.push(`${where}: ${id} description > 256`);
      if (size((props.Environment as { Variables?: unknown } | undefined)?.Variables) > 4096)
        problems.push(`${where}: ${id} environment > 4 KB`);
    }
    if (r.Type === 'AWS::IAM::Role') {
      if (size(props.Policies) > 10_240) problems.push(`${where}: ${id} inline policies > 10,240 characters`);
      if (size(props.AssumeRolePolicyDocument) > 2048) problems.push(`${where}: ${id} trust policy > 2,048`);
      const path = String(props.Path ?? '/');
      if (path.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(path))
        problems.push(`${where}: ${id} path ${path}`);
      if (id.endsWith('IamRoleLambdaExecution') && id !== 'IamRoleLambdaExecution') functionPaths.add(path);
      else if (path !== '/') problems.push(`${where}: ${id} (not a function role) has the path ${path}`);
    }
    if (r.Type === 'AWS::Events::Rule') {
      if (String(props.Description ?? '').length > 512) problems.push(`${where}: ${id} description > 512`);
      if (String(props.ScheduleExpression ?? '').length > 256)
        problems.push(`${where}: ${id} schedule > 256`);
      for (const t of (props.Targets as { Input?: string }[] | undefined) ?? [])
        if ((t.Input ?? '').length > 8192) problems.push(`${where}: ${id} target input > 8,192`);
    }
    if (r.Type === 'AWS::StepFunctions::StateMachine') {
      if (size(props.DefinitionString) > 1_048_576) problems.push(`${where}: ${id} definition > 1 MB`);
      // Every service integration with the stack's partition (aws-cn, aws-us-gov deploy the same template).
      if (JSON.stringify(props.DefinitionString).includes('arn:aws:states'))
        problems.push(`${where}: ${id} hard-codes the aws partition`);
    }
  }
  // The warehouse role trusts this deployment's function roles by their path, and only them.
  const expected = `/zeo/${p.service}/${p.stage}/${p.region}/`;
  if (functionPaths.size !== 1 || ![...functionPaths].includes(expected))
    problems.push(`${where}: function role paths ${[...functionPaths].join(', ')} (expected ${expected})`);
  const trust = JSON.stringify(p.template.Resources.WarehouseRole?.Properties?.AssumeRolePolicyDocument);
  if (!trust.includes(`:role${expected}*"`)) problems.push(`${where}: warehouse trust ${trust}`);
  // Zipped bundles (Lambda: 50 MB for a direct upload).
  for (const zip of readdirSync(p.dir).filter((f) => f.endsWith('.zip'))) {
    const bytes = statSync(join(p.dir, zip)).size;
    if (bytes > 50 * 1024 * 1024) problems.push(`${where}: ${zip} ${bytes} bytes > 50 MB`);
  }
  return problems;
}

describe('package-time matrix (issue #19)', () => {
  it('packages every project, stage and Region with zeo package', () => {
    expect(packaged).toHaveLength(MATRIX_STAGES.length * MATRIX_REGIONS.length * 2 + 1);
  });

  it('keeps every physical name within its limit and every resource within its limits', () => {
    const problems = packaged.flatMap((p) => {
      const found = problemsOf(p);
      recorder.fault('Deploy matrix: names and limits of the packaged template', META, {
        outcome: found.length === 0 ? 'within every limit' : `violated: ${found[0]}`,
      });
      return found;
    });
    expect(problems).toEqual([]);
  });

  it('has one schedule rule per group of the maximal variant', () => {
    for (const p of packaged.filter((x) => x.label === 'maximal')) {
      const rules = Object.values(p.template.Resources).filter(
        (r) => r.Type === 'AWS::Events::Rule' && typeof r.Properties?.ScheduleExpression === 'string',
      );
      expect(rules, `${p.stage} ${p.region}`).toHaveLength(MAX_GROUPS + 1);
    }
  });

  it('gives every deployment its own names: across stages, Regions and projects', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const p of packaged) {
      const deployment = `${p.label} ${p.stage} ${p.region}`;
      // The maximal variant keeps the example's models but not its name: its own deployments only.
      for (const { name, scope } of physicalNames(p)) {
        const key = `${scope} ${name}`;
        const first = owner.get(key);
        if (first && first !== deployment) clashes.push(`${name}: ${first} and ${deployment}`);
        owner.set(key, deployment);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('gives two projects packaged for the same stage and Region no physical name in common', () => {
    const one = packaged.find((p) => p.label === 'example' && p.stage === 'prod' && p.region === 'us-east-1');
    const two = packaged.find((p) => p.label === 'second');
    if (!one || !two) throw new Error('missing packaging');
    const theirs = new Set(physicalNames(two).map((n) => n.name));
    expect(physicalNames(one).filter((n) => theirs.has(n.name))).toEqual([]);
    // The second project's name is the first one's stack name: a role-name prefix would trust both.
    const trustOne = JSON.stringify(
      one.template.Resources.WarehouseRole?.Properties?.AssumeRolePolicyDocument,
    );
    expect(trustOne).toContain(':role/zeo/shop-reporting/prod/us-east-1/*');
    const pathTwo = two.template.Resources.PlanRefreshIamRoleLambdaExecution?.Properties?.Path;
    expect(pathTwo).toBe('/zeo/shop-reporting-prod/prod/us-east-1/');
    expect(String(pathTwo).startsWith('/zeo/shop-reporting/prod/us-east-1/')).toBe(false);
  });

  it('passes the CloudFormation linter (cfn-lint), when it is installed', () => {
    const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      recorder.finding('cfn-lint is not installed here: the packaged templates were not linted');
      return;
    }
    const findings: string[] = [];
    for (const region of MATRIX_REGIONS) {
      const files = packaged
        .filter((p) => p.region === region)
        .map((p) => {
          const file = join(scratch, `${p.label}-${p.stage}-${p.region}.json`);
          writeFileSync(file, JSON.stringify(p.template));
          return file;
        });
      // W3005 (a DependsOn that a GetAtt already implies) is how serverless-iam-roles-per-function
      // writes every function's dependency on its role: redundant, not wrong.
      const lint = spawnSync(
        'cfn-lint',
        ['--format', 'parseable', '--regions', region, '--ignore-checks', 'W3005', '--', ...files],
        { encoding: 'utf8' },
      );
      findings.push(...lint.stdout.split('\n').filter(Boolean));
      if (lint.status !== 0 && lint.stdout.trim() === '') findings.push(`cfn-lint failed: ${lint.stderr}`);
    }
    recorder.finding(
      `cfn-lint ${probe.stdout.trim()}: ${findings.length} findings on ${packaged.length} templates`,
    );
    expect(findings).toEqual([]);
  });
});
