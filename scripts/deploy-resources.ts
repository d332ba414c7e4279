import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serializeManifest } from '../shared/project/compile.js';
import { loadProject } from '../shared/project/load.js';
import { isMain, readSection, replaceSection } from './doc-sections.js';

/**
 * The "what gets created" tables of docs/deploy.md, generated from the CloudFormation template that
 * `serverless package` produces for the example project, so that the documented resources and IAM
 * permissions are the deployed ones (a test packages again and compares).
 *
 *   npx tsx scripts/deploy-resources.ts           package offline and rewrite the tables
 *   npx tsx scripts/deploy-resources.ts --check   exit 1 when they are stale
 *
 * Packaging runs in a temporary copy of the service, so it never races another `sls package` (the
 * deploy-template test) over .serverless/ and .esbuild/ in the work tree.
 */

export const DOC_PATH = 'docs/deploy.md';
export const EXAMPLE_PROJECT = 'examples/shop/curated';
export const SECTIONS = { resources: 'deploy-resources', permissions: 'deploy-permissions' } as const;
/**
 * The stage and Region the example is packaged with; the tables show `<stage>` and `<region>` (osls
 * accepts only real Region codes; the project's own ARNs keep theirs, written `:us-east-1:`).
 */
const STAGE = 'docs';
const REGION = 'us-east-1';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The folders and files a scratch copy of the service needs (the CLI's included, for `zeo package`). */
const SERVICE_FOLDERS = ['bin', 'cli', 'functions', 'local', 'shared', 'statemachines', 'scripts'];
const SERVICE_FILES = ['serverless.yml', 'package.json', 'tsconfig.json'];

/** The environment of an offline packaging: no AWS credentials, no telemetry. */
export function packagingEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: process.env.HOME ?? tmpdir(),
    SLS_TELEMETRY_DISABLED: '1',
    ...extra,
  };
  // Packaging needs no AWS account; leftover credentials must not make it try one.
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN']) {
    delete env[key];
  }
  return env;
}

/**
 * A scratch copy of the service (sources, serverless.yml, node_modules linked), so that packagings
 * never race each other, or a test, over .serverless/ and .esbuild/ in the work tree.
 */
export function scratchService(root = '.'): string {
  const base = resolve(root);
  const dir = mkdtempSync(join(tmpdir(), 'zeo-service-'));
  for (const folder of SERVICE_FOLDERS) cpSync(join(base, folder), join(dir, folder), { recursive: true });
  for (const file of SERVICE_FILES) copyFileSync(join(base, file), join(dir, file));
  symlinkSync(join(base, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export interface PackageOptions {
  /** A compiled manifest (`zeo compile`) to package. */
  manifestPath: string;
  stage: string;
  region?: string;
  /** Where the template and zips go (default: the scratch copy's .serverless/, removed afterwards). */
  out?: string;
}

/** `sls package` of a compiled project in a scratch copy of the service: its template and stderr. */
export async function packageService(
  options: PackageOptions,
  root = '.',
): Promise<{ template: CfnTemplate; stderr: string }> {
  const dir = scratchService(root);
  try {
    const out = options.out ?? join(dir, '.serverless');
    const args = ['--no-install', 'sls', 'package', '--stage', options.stage, '--package', out];
    if (options.region) args.push('--region', options.region);
    const { stderr } = await promisify(execFile)('npx', args, {
      cwd: dir,
      env: packagingEnv({ ZEO_MANIFEST_PATH: resolve(options.manifestPath) }),
      timeout: 240_000,
    });
    const text = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
    return { template: JSON.parse(text) as CfnTemplate, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `sls package` of a compiled project in a scratch copy of the service; returns its template. */
export async function packageTemplate(options: PackageOptions, root = '.'): Promise<CfnTemplate> {
  return (await packageService(options, root)).template;
}

/** `sls package` of the example project, as the doc tables show it. */
export async function packageExampleTemplate(root = '.'): Promise<CfnTemplate> {
  const dir = mkdtempSync(join(tmpdir(), 'zeo-deploy-doc-'));
  try {
    const manifestPath = join(dir, 'manifest.json');
    writeFileSync(manifestPath, serializeManifest(loadProject(join(resolve(root), EXAMPLE_PROJECT))));
    return await packageTemplate({ manifestPath, stage: STAGE, region: REGION }, root);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The example's deployment prefix (its `name`); the tables show `<service>-<stage>` and `<region>`. */
const SERVICE_PREFIX = `shop-reporting-${STAGE}`;
const stageless = (text: string) =>
  text
    .replaceAll(SERVICE_PREFIX, '<service>-<stage>')
    .replaceAll(`/zeo/shop-reporting/${STAGE}/${REGION}/`, '/zeo/<service>/<stage>/<region>/')
    .replaceAll(`-${REGION}`, '-<region>');

/** CloudFormation values as a reader wants them: intrinsic functions resolved to names. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return stageless(value);
  if (Array.isArray(value)) return value.map(showValue).join(', ');
  if (!isRecord(value)) return String(value);
  const ref = value.Ref;
  if (typeof ref === 'string') return ref;
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att)) return att.map(String).join('.');
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return stageless(sub);
  if (Array.isArray(sub) && typeof sub[0] === 'string') {
    const vars = isRecord(sub[1]) ? sub[1] : {};
    return stageless(
      sub[0].replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, k: string) => (k in vars ? showValue(vars[k]) : m)),
    );
  }
  const join = value['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return join[1].map(showValue).join(join[0]);
  }
  return stageless(JSON.stringify(value));
}

const code = (text: string) => `\`${text.replaceAll('|', '\\|')}\``;
const list = (values: readonly unknown[]) => values.map((v) => code(showValue(v))).join('<br>');
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The first sentence of a state machine's ASL Comment (the definition is an Fn::Sub string). */
function machinePurpose(resource: CfnResource): string {
  const definition = resource.Properties?.DefinitionString;
  const raw = isRecord(definition) ? definition['Fn::Sub'] : definition;
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (typeof text !== 'string') return '';
  const comment = (JSON.parse(text) as { Comment?: string }).Comment ?? '';
  return /^.*?\.(?=\s|$)/.exec(comment)?.[0] ?? comment;
}

function ruleSummary(properties: Record<string, unknown>): string {
  const targets = Array.isArray(properties.Targets) ? properties.Targets.filter(isRecord) : [];
  const target = targets.map(
    (t) => `${showValue(t.Arn)}${typeof t.Input === 'string' ? ` with input ${code(t.Input)}` : ''}`,
  );
  const trigger =
    typeof properties.ScheduleExpression === 'string'
      ? `schedule ${code(properties.ScheduleExpression)}`
      : `events matching ${code(JSON.stringify(properties.EventPattern))}`;
  const state = properties.State === 'DISABLED' ? ' (disabled)' : '';
  return `${trigger} → starts ${target.join(', ')}${state}`;
}

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .sort(([a], [b]) => (a < b ? -1 : 1));

/** The resource table: every resource, with the repetitive per-function ones counted in one row. */
export function renderResources(template: CfnTemplate): string {
  const rows: string[][] = [];
  for (const [id, r] of ofType(template, 'AWS::StepFunctions::StateMachine')) {
    rows.push([id, r.Type, code(showValue(r.Properties?.StateMachineName)), cell(machinePurpose(r))]);
  }
  for (const [id, r] of ofType(template, 'AWS::Events::Rule')) {
    const p = r.Properties ?? {};
    rows.push([id, r.Type, p.Name ? code(showValue(p.Name)) : '(generated)', cell(ruleSummary(p))]);
  }
  const functions = ofType(template, 'AWS::Lambda::Function');
  const first = functions[0]?.[1].Properties ?? {};
  const same = (key: string) =>
    functions.every(([, r]) => JSON.stringify(r.Properties?.[key]) === JSON.stringify(first[key]));
  for (const [id, r] of functions) {
    const p = r.Properties ?? {};
    const timeout = same('Timeout') ? '' : ` (timeout ${String(p.Timeout)} s)`;
    rows.push([
      id,
      r.Type,
      code(showValue(p.FunctionName)),
      cell(`${String(p.Description ?? '')}${timeout}`),
    ]);
  }
  const logGroups = ofType(template, 'AWS::Logs::LogGroup');
  const retention = new Set(logGroups.map(([, r]) => r.Properties?.RetentionInDays));
  rows.push([
    `${logGroups.length} × …LogGroup`,
    'AWS::Logs::LogGroup',
    code('/aws/lambda/<service>-<stage>-<function>'),
    `one per function, retention ${[...retention].join(', ')} days (\`logRetentionInDays\`)`,
  ]);
  const versions = ofType(template, 'AWS::Lambda::Version');
  rows.push([
    `${versions.length} × …LambdaVersion…`,
    'AWS::Lambda::Version',
    '',
    'the published version of each function at each deployment',
  ]);
  const roles = ofType(template, 'AWS::IAM::Role');
  const paths = [
    ...new Set(roles.map(([, r]) => r.Properties?.Path).filter((p): p is string => typeof p === 'string')),
  ]
    .map((p) => code(showValue(p)))
    .join(', ');
  rows.push([
    `${roles.length} × …Role`,
    'AWS::IAM::Role',
    '',
    `see the IAM permissions table below${paths ? ` (IAM paths ${paths})` : ''}`,
  ]);
  for (const type of ['AWS::S3::Bucket', 'AWS::S3::BucketPolicy']) {
    for (const [id] of ofType(template, type)) {
      rows.push([
        id,
        type,
        '(generated)',
        type === 'AWS::S3::Bucket' ? 'deployment artifacts (encrypted)' : 'denies non-TLS access to it',
      ]);
    }
  }
  const shared = [
    same('Runtime') ? `runtime ${code(String(first.Runtime))}` : undefined,
    same('Architectures') ? `architecture ${code(showValue(first.Architectures))}` : undefined,
    same('MemorySize') ? `${String(first.MemorySize)} MB` : undefined,
    same('Timeout') ? `timeout ${String(first.Timeout)} s` : undefined,
    same('TracingConfig') && isRecord(first.TracingConfig)
      ? `X-Ray tracing ${String(first.TracingConfig.Mode)}`
      : undefined,
  ].filter((s) => s !== undefined);
  return [
    '| Logical ID | Type | Name | What it is |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Every function: ${shared.join(', ')}; each has its own IAM role.`,
    '',
  ].join('\n');
}

/** Who assumes a role: the functions, state machines and rules whose properties name it. */
function usersOf(template: CfnTemplate, roleId: string): string[] {
  const users: string[] = [];
  for (const [id, r] of Object.entries(template.Resources).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = r.Properties ?? {};
    const refs = (value: unknown) => JSON.stringify(value ?? null).includes(`"${roleId}"`);
    if (r.Type === 'AWS::Lambda::Function' && refs(p.Role))
      users.push(`function ${code(showValue(p.FunctionName))}`);
    if (r.Type === 'AWS::StepFunctions::StateMachine' && refs(p.RoleArn))
      users.push(`state machine ${code(showValue(p.StateMachineName))}`);
    if (r.Type === 'AWS::Events::Rule' && refs(p.Targets)) users.push(`rule ${code(id)}`);
  }
  return users;
}

function conditionText(condition: Statement['Condition']): string {
  if (!condition) return '';
  return Object.entries(condition)
    .flatMap(([op, tests]) =>
      Object.entries(tests).map(([key, value]) => `${op} ${code(`${key} = ${showValue(value)}`)}`),
    )
    .join('<br>');
}

/** One row per IAM statement of every role, grouped by role. */
export function renderPermissions(template: CfnTemplate): string {
  const rows: string[] = [];
  for (const [id, role] of ofType(template, 'AWS::IAM::Role')) {
    const policies = Array.isArray(role.Properties?.Policies)
      ? role.Properties.Policies.filter(isRecord)
      : [];
    const statements = policies.flatMap((p) => {
      const document = isRecord(p.PolicyDocument) ? p.PolicyDocument : {};
      return Array.isArray(document.Statement) ? (document.Statement as Statement[]) : [];
    });
    const users = usersOf(template, id);
    const usedBy = users.length > 0 ? users.join('<br>') : '(no resource uses it)';
    statements.forEach((s, i) => {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      rows.push(
        `| ${i === 0 ? code(id) : ''} | ${i === 0 ? usedBy : ''} | ${list(actions)} | ${list(resources)} | ${conditionText(s.Condition)} |`,
      );
    });
  }
  return [
    '| Role | Assumed by | Actions | Resources | Condition |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The deploy doc with both generated tables replaced. */
export function updateDoc(doc: string, template: CfnTemplate): string {
  return replaceSection(
    replaceSection(doc, SECTIONS.resources, renderResources(template)),
    SECTIONS.permissions,
    renderPermissions(template),
  );
}

export function staleSections(doc: string, template: CfnTemplate): string[] {
  const expected = {
    [SECTIONS.resources]: renderResources(template),
    [SECTIONS.permissions]: renderPermissions(template),
  };
  return Object.entries(expected)
    .filter(([name, body]) => readSection(doc, name) !== body)
    .map(([name]) => name);
}

if (isMain(import.meta.url)) {
  const template = await packageExampleTemplate();
  const doc = readFileSync(DOC_PATH, 'utf8');
  if (process.argv.includes('--check')) {
    const stale = staleSections(doc, template);
    if (stale.length > 0) {
      console.error(`stale tables in ${DOC_PATH}: ${stale.join(', ')} (run: npm run docs:deploy)`);
      process.exitCode = 1;
    } else console.error(`${DOC_PATH}: resource and permission tables up to date`);
  } else {
    const updated = updateDoc(doc, template);
    writeFileSync(DOC_PATH, updated);
    console.error(`${DOC_PATH}: tables ${updated === doc ? 'already up to date' : 'rewritten'}`);
  }
}
