import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileProject, serializeManifest } from '../../shared/project/compile.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { shopSources, withFiles } from '../helpers/project.js';
import { REPO_ROOT, Recorder } from './support/results.js';
import { sdkCallsByHandler } from './support/sdk-calls.js';

/**
 * Least privilege, read from the CloudFormation template `serverless package` produces (offline):
 * no `*` action anywhere; destructive RDS actions only on the configured integration (or its tagged
 * replacements) and source; Data API, SNS, EventBridge and Step Functions permissions on the
 * project's resources; and each function's role compared with the AWS SDK calls its code can make,
 * derived from the code itself (sdk-calls.ts).
 */

const recorder = new Recorder('iam');
const IAM = {
  description:
    'The packaged template (offline `serverless package`), for the example project (workgroupId set), for a variant with an SNS topic and a Data API secret, and for one without workgroupId: wildcard actions, the scope of destructive and data actions, each role against the SDK calls its code can make.',
  bound: 'every IAM role and statement of the template',
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
type Template = Record<string, Resource>;

const scratch = mkdtempSync(join(tmpdir(), 'zeo-iam-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The template's resources, and what the packaging wrote to stderr (the unscoped-workgroup warning). */
async function packageTemplate(manifestPath?: string): Promise<{ resources: Template; stderr: string }> {
  const out = mkdtempSync(join(scratch, 'package-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: process.env.HOME ?? '/tmp',
    SLS_TELEMETRY_DISABLED: '1',
  };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'])
    delete env[key];
  if (manifestPath) env.ZEO_MANIFEST_PATH = manifestPath;
  else delete env.ZEO_MANIFEST_PATH;
  const { stderr } = await promisify(execFile)(
    'npx',
    ['--no-install', 'sls', 'package', '--stage', 'rel', '--package', out],
    { cwd: REPO_ROOT, env, timeout: 240_000 },
  );
  const template = JSON.parse(
    readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as {
    Resources: Template;
  };
  return { resources: template.Resources, stderr };
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const statementsOf = (role: Resource): Statement[] =>
  ((role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const actionsOf = (s: Statement) => asList(s.Action);
const roles = (t: Template) => Object.entries(t).filter(([, r]) => r.Type === 'AWS::IAM::Role');

/** Function key (serverless.yml) → handler source file. */
function handlers(): Record<string, string> {
  const file = parse(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { handler: string }>;
  };
  return Object.fromEntries(
    Object.entries(file.functions).map(([key, f]) => [key, `${f.handler.replace(/\.[^.]+$/, '')}.ts`]),
  );
}

const roleOfFunction = (t: Template, key: string): Resource | undefined => {
  const fn = t[`${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`];
  const roleId = (fn?.Properties.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  return roleId ? t[roleId] : undefined;
};

/** Actions every Lambda needs to run at all (its log stream) — not part of what a step "uses". */
const PLATFORM = new Set([
  'logs:CreateLogStream',
  'logs:CreateLogGroup',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

/**
 * What a function's own role must allow for `calls`: everything but the Data API, which the step calls
 * as the warehouse role (shared/aws/redshift-data-client.ts) — for that its role may only assume the warehouse role.
 */
function implied(calls: string[], manifest: Manifest): string[] {
  const out = new Set(calls.filter((c) => !c.startsWith('redshift-data:')));
  if (calls.some((c) => c.startsWith('redshift-data:'))) out.add('sts:AssumeRole');
  if (calls.includes('rds:CreateIntegration')) {
    out.add('rds:AddTagsToResource'); // Tags on create
    out.add('redshift:CreateInboundIntegration'); // the target side of a new integration
    // A customer-managed integration key (AuroraUserGuide "Creating zero-ETL integrations").
    if (manifest.project.landing.kmsKeyArn) {
      out.add('kms:DescribeKey');
      out.add('kms:CreateGrant');
    }
  }
  // Publishing only happens when a topic is configured; without one, no permission is expected.
  if (!manifest.project.notifications.snsTopicArn) out.delete('sns:Publish');
  return [...out].sort();
}

/**
 * What the warehouse role must allow: the Data API calls of every step, and the credentials the
 * configured authentication needs (documented in docs/deploy.md and the AWS IAM pages).
 */
function warehouseImplied(calls: string[], manifest: Manifest): string[] {
  const out = new Set(calls.filter((c) => c.startsWith('redshift-data:')));
  const w = manifest.project.warehouse;
  if (out.size > 0) {
    if (w.secretArn) out.add('secretsmanager:GetSecretValue');
    else if (w.workgroupName) out.add('redshift-serverless:GetCredentials');
    else out.add(w.dbUser ? 'redshift:GetClusterCredentials' : 'redshift:GetClusterCredentialsWithIAM');
  }
  return [...out].sort();
}

/** The file-level view: every `new XxxCommand(` in the files a handler imports, transitively. */
function fileLevelCalls(handler: string): string[] {
  const prefix: Record<string, string> = {
    'client-redshift-data': 'redshift-data',
    'client-rds': 'rds',
    'client-eventbridge': 'events',
    'client-sns': 'sns',
    'client-sfn': 'states',
  };
  const seen = new Set<string>();
  const calls = new Set<string>();
  const queue = [resolve(REPO_ROOT, handler)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (!file || seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const services = new Map<string, string>();
    for (const m of text.matchAll(
      /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g,
    )) {
      for (const name of (m[1] ?? '').split(',').map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)
            .pop() ?? '',
      )) {
        const service = prefix[m[2] ?? ''];
        if (name && service) services.set(name, service);
      }
    }
    for (const m of text.matchAll(/new\s+([A-Za-z]+Command)\s*\(/g)) {
      const service = services.get(m[1] ?? '');
      if (service) calls.add(`${service}:${(m[1] ?? '').slice(0, -'Command'.length)}`);
    }
    for (const m of text.matchAll(/from\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'));
      if (target.endsWith('.ts')) queue.push(target);
    }
  }
  return [...calls].sort();
}

let template: Template;
let variant: Template;
/** The example without `warehouse.workgroupId`: the Data API permissions fall back to workgroup/*. */
let unscoped: Template;
let manifest: Manifest;
let variantManifest: Manifest;
let unscopedManifest: Manifest;
let stderrOf: { example: string; unscoped: string };
let methodLevel: Map<string, string[]>;

/** A state machine's role (from its RoleArn Fn::GetAtt) and its definition as text. */
function machineRoleAndDefinition(machine: Template[string]) {
  const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  return {
    role: roleId ? template[roleId] : undefined,
    definition: JSON.stringify(machine.Properties.DefinitionString ?? machine.Properties.Definition ?? {}),
  };
}

/**
 * A machine's own ARN (or its executions'), as its role names it: built from its name, since a Ref to
 * itself would be a circular dependency (scripts/serverless-config.cjs stateMachineRoles).
 */
function ownArn(machine: Template[string], kind: 'stateMachine' | 'execution'): string {
  const name = String(machine.Properties.StateMachineName);
  return JSON.stringify({
    'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:${kind}:${name}${kind === 'execution' ? ':*' : ''}`,
  });
}

/**
 * How the machine's ASL starts the machine itself, if it does: a Task `states:startExecution` whose
 * `StateMachineArn.$` is `$$.StateMachine.Id` (a continuation), `.sync` or not.
 */
function selfStart(machine: Template[string]): { starts: boolean; sync: boolean } {
  const raw = machine.Properties.DefinitionString ?? machine.Properties.Definition;
  const sub = (raw as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
  const text = typeof raw === 'string' ? raw : Array.isArray(sub) ? sub[0] : sub;
  // serverless-step-functions writes each resource as a `${placeholder}` of the Fn::Sub's variables.
  const variables = (Array.isArray(sub) ? sub[1] : undefined) as Record<string, unknown> | undefined;
  const resolved = (value: unknown): string => {
    const name = typeof value === 'string' ? /^\$\{([^}]+)\}$/.exec(value)?.[1] : undefined;
    const bound = name === undefined ? value : variables?.[name];
    const inner = (bound as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'] ?? bound;
    return typeof inner === 'string' ? inner : '';
  };
  const found = { starts: false, sync: false };
  if (typeof text !== 'string') return found;
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const state of Object.values(states)) {
      const resource = resolved(state.Resource);
      const start = /:states:::states:startExecution(\.sync(?::2)?)?$/.exec(resource);
      const parameters = state.Parameters as Record<string, unknown> | undefined;
      if (state.Type === 'Task' && start && parameters?.['StateMachineArn.$'] === '$$.StateMachine.Id') {
        found.starts = true;
        if (start[1]) found.sync = true;
      }
      for (const key of ['ItemProcessor', 'Iterator'] as const) {
        const nested = state[key] as { States?: Record<string, Record<string, unknown>> } | undefined;
        if (nested?.States) visit(nested.States);
      }
      for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[]) ?? [])
        visit(branch.States);
    }
  };
  visit((JSON.parse(text) as { States: Record<string, Record<string, unknown>> }).States);
  return found;
}

/** The three packaged templates every least-privilege rule is checked on, with their labels. */
const everyTemplate = () =>
  [
    ['example', template],
    ['variant', variant],
    ['unscoped', unscoped],
  ] as const;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:zeo-alerts';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zeo-redshift-AbCdEf';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** The actions whose resource is the Serverless workgroup (the cluster for a provisioned warehouse). */
const WORKGROUP_ACTIONS: readonly string[] = [
  'redshift-data:ExecuteStatement',
  'redshift-data:BatchExecuteStatement',
  'redshift-serverless:GetCredentials',
];

beforeAll(async () => {
  manifest = compileProject(shopSources());
  const sources = shopSources();
  variantManifest = compileProject(
    withFiles(sources, {
      'project.yml': (sources.projectYml ?? '')
        .replace('  database: dev', `  database: dev\n  secretArn: ${SECRET}`)
        .replace(/^( {2}targetArn: .*)$/m, `$1\n  kmsKeyArn: ${KMS_KEY}`)
        .replace('refresh:', `notifications:\n  snsTopicArn: ${TOPIC}\n\nrefresh:`),
    }),
  );
  unscopedManifest = compileProject(
    withFiles(sources, {
      'project.yml': (sources.projectYml ?? '').replace(/^ {2}workgroupId:.*\n/m, ''),
    }),
  );
  const variantPath = join(scratch, 'variant-manifest.json');
  writeFileSync(variantPath, serializeManifest(variantManifest));
  const unscopedPath = join(scratch, 'unscoped-manifest.json');
  writeFileSync(unscopedPath, serializeManifest(unscopedManifest));
  const example = await packageTemplate();
  template = example.resources;
  variant = (await packageTemplate(variantPath)).resources;
  const fallback = await packageTemplate(unscopedPath);
  unscoped = fallback.resources;
  stderrOf = { example: example.stderr, unscoped: fallback.stderr };
  const calls = sdkCallsByHandler(REPO_ROOT, handlers());
  methodLevel = new Map([...calls].map(([k, v]) => [k, v.map((c) => `${c.service}:${c.operation}`)]));
}, 600_000);

const checks: { name: string; ok: boolean }[] = [];
function check(name: string, ok: boolean): void {
  checks.push({ name, ok });
  recorder.fault('IAM of the packaged template', IAM, {
    outcome: ok ? 'least privilege holds' : `violated: ${name}`,
    unhandled: false,
  });
}

describe('IAM in the packaged template', () => {
  it('has no wildcard action in any role, for either configuration', () => {
    for (const [label, t] of everyTemplate()) {
      const wild = roles(t).flatMap(([id, role]) =>
        statementsOf(role).flatMap((s) =>
          actionsOf(s)
            .filter((a) => a.includes('*'))
            .map((a) => `${id}: ${a}`),
        ),
      );
      check(`${label}: no * action`, wild.length === 0);
      expect(wild).toEqual([]);
    }
  });

  it('allows Resource "*" only where AWS has no resource-level permission, and then only under a condition (ListStatements, which has none, alone in the warehouse role)', () => {
    const allowed = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ]);
    const conditioned = new Set([
      'redshift-data:DescribeStatement',
      'redshift-data:GetStatementResult',
      'redshift-data:CancelStatement',
    ]);
    // ListStatements takes no resource and no statement-owner condition; with RoleLevel it lists the
    // calling role's statements only (scripts/serverless-config.cjs DATA_API_LIST). It may stand on "*"
    // without a condition in the warehouse role alone, in a statement of its own.
    const listOnly = (id: string, s: Statement) =>
      id === 'WarehouseRole' &&
      s.Condition === undefined &&
      JSON.stringify(actionsOf(s)) === JSON.stringify(['redshift-data:ListStatements']);
    const offenders: string[] = [];
    for (const [label, t] of everyTemplate()) {
      for (const [id, role] of roles(t)) {
        for (const s of statementsOf(role)) {
          if (!asList(s.Resource as unknown).includes('*')) continue;
          if (listOnly(id, s)) continue;
          for (const a of actionsOf(s)) {
            if (allowed.has(a)) continue;
            if (
              conditioned.has(a) &&
              JSON.stringify(s.Condition).includes('redshift-data:statement-owner-iam-userid')
            )
              continue;
            offenders.push(`${label} ${id}: ${a}`);
          }
        }
      }
    }
    check('Resource * only without resource-level permissions', offenders.length === 0);
    expect(offenders).toEqual([]);
  });

  it('scopes destructive RDS actions to the configured integration, its tagged replacements and the source', () => {
    const arn = manifest.project.landing.integrationArn;
    const destructive = [
      'rds:DeleteIntegration',
      'rds:CreateIntegration',
      'rds:ModifyIntegration',
      'rds:AddTagsToResource',
      'redshift:CreateInboundIntegration',
    ];
    const problems: string[] = [];
    const holders = new Map<string, string[]>();
    for (const [id, role] of roles(template)) {
      for (const s of statementsOf(role)) {
        for (const a of actionsOf(s).filter((x) => destructive.includes(x))) {
          holders.set(a, [...(holders.get(a) ?? []), id]);
          for (const r of asList(s.Resource as unknown)) {
            const text = String(r);
            const exact =
              text === arn ||
              text === manifest.project.landing.sourceArn ||
              text === manifest.project.landing.targetArn;
            const tagged =
              text.endsWith(':integration:*') &&
              JSON.stringify(s.Condition ?? {}).includes(
                `"aws:${a === 'rds:DeleteIntegration' ? 'ResourceTag' : 'RequestTag'}/zeo:origin":"${arn}"`,
              );
            if (!exact && !tagged) problems.push(`${id}: ${a} on ${JSON.stringify(r)}`);
          }
        }
      }
    }
    check('destructive RDS actions scoped', problems.length === 0);
    expect(problems).toEqual([]);
    expect([...new Set(holders.get('rds:DeleteIntegration'))]).toEqual([
      'DeleteIntegrationIamRoleLambdaExecution',
    ]);
    expect([...new Set(holders.get('rds:CreateIntegration'))]).toEqual([
      'CreateIntegrationIamRoleLambdaExecution',
    ]);
    expect(holders.get('rds:ModifyIntegration')).toBeUndefined();
  });

  it('scopes Data API, secret, SNS, EventBridge and Step Functions permissions to the project', () => {
    const problems: string[] = [];
    for (const [label, t] of everyTemplate()) {
      for (const [id, role] of roles(t)) {
        for (const s of statementsOf(role)) {
          const resources = asList(s.Resource as unknown).map((r) => JSON.stringify(r));
          for (const a of actionsOf(s)) {
            const bad = (why: string) =>
              problems.push(`${label} ${id}: ${a} ${why} (${resources.join(', ')})`);
            if (
              WORKGROUP_ACTIONS.includes(a) &&
              !resources.every((r) =>
                /redshift-serverless:\$\{AWS::Region\}:\$\{AWS::AccountId\}:workgroup\//.test(r),
              )
            )
              bad('not on a workgroup of this account');
            if (
              a === 'secretsmanager:GetSecretValue' &&
              !resources.every((r) => r === JSON.stringify(SECRET))
            )
              bad('not on the configured secret');
            if (a === 'sns:Publish' && !resources.every((r) => r === JSON.stringify(TOPIC)))
              bad('not on the configured topic');
            if (a === 'events:PutEvents' && !resources.every((r) => r.includes('event-bus/default')))
              bad('not on the default bus');
            // A project machine by Ref, or (a continuation) the machine whose role this is, by its own ARN.
            const own = t[id.replace(/Role$/, '')];
            if (
              a === 'states:StartExecution' &&
              !resources.every(
                (r) =>
                  /"Ref":"[A-Za-z]+StateMachine"/.test(r) ||
                  (own?.Type === 'AWS::StepFunctions::StateMachine' && r === ownArn(own, 'stateMachine')),
              )
            )
              bad('not on a project state machine');
            if (a === 'lambda:InvokeFunction' && !resources.every((r) => /LambdaFunction/.test(r)))
              bad('not on a project function');
            if (
              ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'].includes(a) &&
              !resources.every((r) => r.includes('rule/StepFunctionsGetEventsForStepFunctionsExecutionRule'))
            ) {
              bad('not on the Step Functions managed rule');
            }
          }
        }
      }
    }
    const publishers = roles(variant)
      .filter(([, role]) => statementsOf(role).some((s) => actionsOf(s).includes('sns:Publish')))
      .map(([id]) => id)
      .sort();
    check('Data API, secret, SNS, EventBridge, Step Functions scoped', problems.length === 0);
    expect(problems).toEqual([]);
    expect(
      roles(template).some(([, role]) =>
        statementsOf(role).some((s) => actionsOf(s).includes('sns:Publish')),
      ),
    ).toBe(false);
    expect(publishers).toEqual(['NotifyIamRoleLambdaExecution', 'SummarizeRefreshIamRoleLambdaExecution']);
  });

  it('grants the Data API and GetCredentials on the workgroup with warehouse.workgroupId, else on workgroup/* of this account with a warning', () => {
    const workgroupId = manifest.project.warehouse.workgroupId;
    expect(workgroupId, 'the example project sets warehouse.workgroupId').toMatch(/^[0-9a-f-]{36}$/);
    expect(unscopedManifest.project.warehouse.workgroupId).toBeUndefined();
    const problems: string[] = [];
    const configurations = [
      ['example', template, workgroupId ?? '<unset>', ['redshift-serverless:GetCredentials']],
      ['variant', variant, workgroupId ?? '<unset>', []],
      ['unscoped', unscoped, '*', ['redshift-serverless:GetCredentials']],
    ] as const;
    for (const [label, t, scope, credentials] of configurations) {
      const expected = JSON.stringify({
        'Fn::Sub': `arn:\${AWS::Partition}:redshift-serverless:\${AWS::Region}:\${AWS::AccountId}:workgroup/${scope}`,
      });
      const holders = new Map<string, string[]>();
      for (const [id, role] of roles(t)) {
        for (const s of statementsOf(role)) {
          const resources = asList(s.Resource as unknown).map((r) => JSON.stringify(r));
          for (const a of actionsOf(s).filter((x) => WORKGROUP_ACTIONS.includes(x))) {
            holders.set(a, [...(holders.get(a) ?? []), id]);
            if (resources.length !== 1 || resources[0] !== expected)
              problems.push(`${label} ${id}: ${a} on ${resources.join(', ')}, not ${expected}`);
          }
        }
      }
      // Every role that runs statements has the credentials the configuration authenticates with.
      const runners = [...new Set(holders.get('redshift-data:ExecuteStatement'))].sort();
      expect(runners.length, `${label}: roles that run statements`).toBeGreaterThan(0);
      for (const a of credentials)
        expect([...new Set(holders.get(a))].sort(), `${label} ${a}`).toEqual(runners);
      if (credentials.length === 0) expect(holders.get('redshift-serverless:GetCredentials')).toBeUndefined();
    }
    const warnings = (text: string) =>
      text.split('\n').filter((line) => line.includes('warehouse.workgroupId'));
    check('Data API and GetCredentials on the configured workgroup', problems.length === 0);
    check(
      'packaging warns once, and only, when workgroupId is unset',
      warnings(stderrOf.unscoped).length === 1 && warnings(stderrOf.example).length === 0,
    );
    expect(problems).toEqual([]);
    expect(warnings(stderrOf.example)).toEqual([]);
    expect(warnings(stderrOf.unscoped)).toEqual([
      expect.stringMatching(/^warning: .*workgroup\/\*.*set warehouse\.workgroupId in project\.yml/),
    ]);
  });

  it('lets each state machine invoke only the functions and start only the machines its ASL names', () => {
    const problems: string[] = [];
    for (const [machineId, resource] of Object.entries(template).filter(
      ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
    )) {
      const { role, definition } = machineRoleAndDefinition(resource);
      if (!role) {
        problems.push(`${machineId}: no role`);
        continue;
      }
      for (const s of statementsOf(role)) {
        for (const a of actionsOf(s)) {
          for (const r of asList(s.Resource as unknown)) {
            const text = JSON.stringify(r);
            const fn = /"([A-Za-z]+LambdaFunction)"/.exec(text)?.[1];
            if (a === 'lambda:InvokeFunction' && (!fn || !definition.includes(fn)))
              problems.push(`${machineId} may invoke ${text}`);
            const sm = /"Ref":"([A-Za-z]+StateMachine)"/.exec(text)?.[1];
            // Itself only by its own ARN, and only when its ASL starts itself (a continuation).
            const itself = text === ownArn(resource, 'stateMachine') && selfStart(resource).starts;
            if (a === 'states:StartExecution' && !itself && (!sm || !definition.includes(sm)))
              problems.push(`${machineId} may start ${text}`);
          }
        }
      }
    }
    check('state machine roles match their ASL', problems.length === 0);
    expect(problems).toEqual([]);
  });

  it("gives each function what its code's SDK calls need and nothing its code cannot call", () => {
    const report: string[] = [];
    const missing: string[] = [];
    const beyondCode: string[] = [];
    for (const [label, t, m] of [
      ['example', template, manifest],
      ['variant', variant, variantManifest],
      ['unscoped', unscoped, unscopedManifest],
    ] as const) {
      for (const [key, handler] of Object.entries(handlers())) {
        const role = roleOfFunction(t, key);
        if (!role) {
          missing.push(`${label} ${key}: no role`);
          continue;
        }
        const granted = [...new Set(statementsOf(role).flatMap(actionsOf))]
          .filter((a) => !PLATFORM.has(a))
          .sort();
        const used = implied(methodLevel.get(key) ?? [], m);
        const reachable = implied(fileLevelCalls(handler), m);
        for (const a of used) if (!granted.includes(a)) missing.push(`${label} ${key}: needs ${a}`);
        for (const a of granted)
          if (!reachable.includes(a))
            beyondCode.push(`${label} ${key}: ${a} (no code reachable from ${handler} calls it)`);
        const extra = granted.filter((a) => !used.includes(a));
        if (label === 'example' && extra.length > 0) report.push(`${key}: ${extra.join(', ')}`);
      }
    }
    check('every function can make its calls', missing.length === 0);
    check('no function holds an action its code cannot call', beyondCode.length === 0);
    if (report.length > 0) {
      recorder.finding(
        `granted but never called by the step's code (method-level call graph, example project): ${report.join('; ')}`,
      );
    }
    expect(missing).toEqual([]);
    expect(beyondCode).toEqual([]);
  });

  it('lets every function with active X-Ray tracing upload its traces', () => {
    for (const [label, t] of everyTemplate()) {
      const missing = Object.keys(handlers()).filter((key) => {
        const fn = t[`${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`];
        const tracing = (fn?.Properties.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active';
        const role = roleOfFunction(t, key);
        const actions = role ? statementsOf(role).flatMap(actionsOf) : [];
        return (
          tracing &&
          !(actions.includes('xray:PutTraceSegments') && actions.includes('xray:PutTelemetryRecords'))
        );
      });
      check(`${label}: traced functions may upload traces`, missing.length === 0);
      expect(missing, label).toEqual([]);
    }
  });

  it('lets state machine roles describe and stop only the executions of the children they start .sync', () => {
    const wide = roles(template).flatMap(([id, role]) =>
      statementsOf(role)
        .filter((s) =>
          actionsOf(s).some((a) => a === 'states:StopExecution' || a === 'states:DescribeExecution'),
        )
        .filter((s) => asList(s.Resource as unknown).includes('*'))
        .map(() => id),
    );
    const machines = Object.entries(template).filter(
      ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    const idOfName = new Map(machines.map(([id, r]) => [String(r.Properties.StateMachineName), id]));
    const problems: string[] = [];
    for (const [machineId, resource] of machines) {
      const { role, definition } = machineRoleAndDefinition(resource);
      for (const s of role ? statementsOf(role) : []) {
        if (!actionsOf(s).some((a) => a === 'states:StopExecution' || a === 'states:DescribeExecution'))
          continue;
        for (const r of asList(s.Resource as unknown)) {
          const text = JSON.stringify(r);
          const name = /:execution:([A-Za-z0-9_-]+):\*"/.exec(text)?.[1];
          const child = name ? idOfName.get(name) : undefined;
          // Its own executions only when it starts itself .sync (a continuation it waits for).
          const itself =
            child === machineId && text === ownArn(resource, 'execution') && selfStart(resource).sync;
          if (!child || (!itself && !definition.includes(child)))
            problems.push(`${machineId} may describe/stop ${text}`);
        }
      }
    }
    // The curated refresh continues as a new execution of itself and waits for it (.sync:2).
    const curated = template.CuratedRefreshStateMachine;
    expect(curated && selfStart(curated), 'the curated refresh starts itself .sync').toEqual({
      starts: true,
      sync: true,
    });
    check('state machine roles describe and stop only their children', wide.length + problems.length === 0);
    expect(wide).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('gives each function role exactly what its step calls (method level), for either configuration', () => {
    const extra: string[] = [];
    for (const [label, t, m] of [
      ['example', template, manifest],
      ['variant', variant, variantManifest],
      ['unscoped', unscoped, unscopedManifest],
    ] as const) {
      for (const key of Object.keys(handlers())) {
        const role = roleOfFunction(t, key);
        const granted = role
          ? [...new Set(statementsOf(role).flatMap(actionsOf))].filter((a) => !PLATFORM.has(a))
          : [];
        const used = implied(methodLevel.get(key) ?? [], m);
        extra.push(...granted.filter((a) => !used.includes(a)).map((a) => `${label} ${key}: ${a}`));
      }
    }
    check('each function role holds exactly what its step calls', extra.length === 0);
    expect(extra).toEqual([]);
  });

  it("runs all warehouse work as one role: exactly the steps' Data API calls, assumable only by the function roles, nothing else", () => {
    const problems: string[] = [];
    for (const [label, t, m] of [
      ['example', template, manifest],
      ['variant', variant, variantManifest],
      ['unscoped', unscoped, unscopedManifest],
    ] as const) {
      const role = t.WarehouseRole;
      if (!role) {
        problems.push(`${label}: no WarehouseRole`);
        continue;
      }
      const granted = [...new Set(statementsOf(role).flatMap(actionsOf))].sort();
      const needed = warehouseImplied([...methodLevel.values()].flat(), m);
      if (JSON.stringify(granted) !== JSON.stringify(needed))
        problems.push(
          `${label}: WarehouseRole holds ${granted.join(', ')}; the steps need ${needed.join(', ')}`,
        );
      // Only the function roles of this service, stage and Region may assume it: they, and no other
      // role of the stack, have the deployment's IAM path (see warehouseRole).
      const path = '/zeo/shop-reporting/rel/us-east-1/';
      const trust = JSON.stringify(role.Properties.AssumeRolePolicyDocument);
      if (!trust.includes('"aws:PrincipalArn"') || !trust.includes(`:role${path}*"`))
        problems.push(`${label}: the trust policy is not limited to this stage's function roles: ${trust}`);
      for (const [id, r] of roles(t)) {
        const isFunctionRole = id.endsWith('IamRoleLambdaExecution') && id !== 'IamRoleLambdaExecution';
        if ((r.Properties.Path === path) !== isFunctionRole)
          problems.push(`${label}: ${id} has path ${String(r.Properties.Path ?? '/')}`);
      }
      // Every step that calls the Data API may assume exactly this role.
      for (const key of Object.keys(handlers())) {
        const fnRole = roleOfFunction(t, key);
        const assume = (fnRole ? statementsOf(fnRole) : []).filter((st) =>
          actionsOf(st).includes('sts:AssumeRole'),
        );
        const callsDataApi = (methodLevel.get(key) ?? []).some((c) => c.startsWith('redshift-data:'));
        const onWarehouse = assume.every(
          (st) =>
            JSON.stringify(st.Resource) === JSON.stringify([{ 'Fn::GetAtt': ['WarehouseRole', 'Arn'] }]),
        );
        if (callsDataApi !== assume.length > 0 || !onWarehouse)
          problems.push(`${label} ${key}: sts:AssumeRole ${JSON.stringify(assume.map((st) => st.Resource))}`);
      }
      // Every step that calls the Data API is told which role to assume.
      for (const key of Object.keys(handlers())) {
        if (!(methodLevel.get(key) ?? []).some((c) => c.startsWith('redshift-data:'))) continue;
        const fnEnv = t[`${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`]?.Properties
          .Environment as { Variables?: Record<string, unknown> } | undefined;
        if (
          JSON.stringify(fnEnv?.Variables?.ZEO_WAREHOUSE_ROLE_ARN) !==
          JSON.stringify({ 'Fn::GetAtt': ['WarehouseRole', 'Arn'] })
        )
          problems.push(`${label} ${key}: not told the warehouse role (ZEO_WAREHOUSE_ROLE_ARN)`);
      }
    }
    check('one warehouse role with exactly the Data API calls', problems.length === 0);
    expect(problems).toEqual([]);
  });
});
