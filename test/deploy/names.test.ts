import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compileProject, serializeManifest } from '../../shared/project/compile.js';
import {
  fitName,
  MAX_SERVICE_LENGTH,
  MAX_STAGE_LENGTH,
  SERVICE_PATTERN,
  STAGE_PATTERN,
  serviceOf,
  stageProblem,
  stateMachineName,
} from '../../shared/project/deployment.js';
import { StageName } from '../../shared/project/schema.js';
import {
  MATRIX_REGIONS,
  MATRIX_STAGES,
  MAXIMAL_NAME,
  maximalProjectYml,
  projectYmlWith,
} from '../helpers/deploy-variants.js';
import { shopSources, withFiles } from '../helpers/project.js';

/**
 * The physical names scripts/serverless-config.cjs gives a deployment, resolved as osls resolves them
 * (stage and Region known), for the whole matrix of issue #19 without packaging (the packaged
 * templates are checked by test/reliability/deploy-matrix.reliability.ts). Limits: Lambda
 * CreateFunction FunctionName ≤ 64; IAM CreateRole RoleName ≤ 64 (unique in the account, whatever the
 * Region); EventBridge PutRule Name ≤ 64; Step Functions state machine names ≤ 80 (facts §6.2).
 */

const require = createRequire(import.meta.url);
const CONFIG = require.resolve('../../scripts/serverless-config.cjs');
type Names = Record<string, string>;
interface Config {
  service: () => string;
  functionNames: (ctx: Context) => Promise<Names>;
  roleNames: (ctx: Context) => Promise<Names>;
  defaultRoleName: (ctx: Context) => Promise<string>;
  rolePath: (ctx: Context) => Promise<string>;
  watchdogName: (ctx: Context) => Promise<string>;
  groupSchedules: (ctx: Context) => Promise<{ schedule: { name: string } }[]>;
  warehouseRole: (ctx: Context) => Promise<{ Properties: { AssumeRolePolicyDocument: unknown } }>;
}
interface Context {
  resolveConfigurationProperty: (path: string[]) => Promise<unknown>;
}

const scratch = mkdtempSync(join(tmpdir(), 'zeo-names-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const previous = process.env.ZEO_MANIFEST_PATH;
afterEach(() => {
  if (previous === undefined) delete process.env.ZEO_MANIFEST_PATH;
  else process.env.ZEO_MANIFEST_PATH = previous;
});

/** A fresh copy of the config script reading the given project.yml (with the example's models). */
function configFor(projectYml: string): Config {
  const path = join(scratch, `manifest-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    serializeManifest(compileProject(withFiles(shopSources(), { 'project.yml': projectYml }))),
  );
  process.env.ZEO_MANIFEST_PATH = path;
  delete require.cache[CONFIG];
  return require(CONFIG) as Config;
}

const context = (stage: string, region: string): Context => ({
  resolveConfigurationProperty: async (path) =>
    (({ 'provider.stage': stage, 'provider.region': region }) as Record<string, unknown>)[path.join('.')],
});

const MACHINES = ['curated-refresh', 'curated-build', 'resync-recovery', 'integration-recovery', 'reconcile'];

/** Every physical name the config script makes for one deployment, by kind, and the role path. */
async function namesOf(config: Config, stage: string, region: string) {
  const ctx = context(stage, region);
  const service = config.service();
  return {
    functions: Object.values(await config.functionNames(ctx)),
    roles: [...Object.values(await config.roleNames(ctx)), await config.defaultRoleName(ctx)],
    rules: [
      await config.watchdogName(ctx),
      ...(await config.groupSchedules(ctx)).map((s) => s.schedule.name),
    ],
    // serverless.yml: name: ${self:service}-${sls:stage}-<machine>
    machines: MACHINES.map((m) => `${service}-${stage}-${m}`),
    path: await config.rolePath(ctx),
  };
}

const tooLong = (names: string[], max: number) => names.filter((n) => n.length > max);
const duplicates = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);

describe('physical names (scripts/serverless-config.cjs), for every stage, Region and project', () => {
  it('fit their AWS limits and are unique, for the example and the maximal variant', async () => {
    const problems: string[] = [];
    for (const [label, yml] of [
      ['example', shopSources().projectYml ?? ''],
      ['maximal', maximalProjectYml()],
    ] as const) {
      const config = configFor(yml);
      const allRoles: string[] = [];
      for (const stage of MATRIX_STAGES) {
        for (const region of MATRIX_REGIONS) {
          const n = await namesOf(config, stage, region);
          const where = `${label} ${stage} ${region}`;
          for (const [kind, names, max] of [
            ['function', n.functions, 64],
            ['role', n.roles, 64],
            ['rule', n.rules, 64],
            ['state machine', n.machines, 80],
          ] as const) {
            for (const name of tooLong(names, max)) problems.push(`${where}: ${kind} ${name} > ${max}`);
            for (const name of duplicates(names)) problems.push(`${where}: ${kind} ${name} twice`);
          }
          if (n.path.length > 512) problems.push(`${where}: path ${n.path}`);
          allRoles.push(...n.roles);
        }
      }
      // IAM role names are unique in the whole account (and compared regardless of case).
      for (const name of duplicates(allRoles.map((r) => r.toLowerCase())))
        problems.push(`${label}: role ${name} in two deployments`);
    }
    expect(problems).toEqual([]);
  });

  it('keep one rule per group even for long group names with a common start', async () => {
    const config = configFor(maximalProjectYml());
    const rules = (await config.groupSchedules(context('production', 'ap-southeast-2'))).map(
      (s) => s.schedule.name,
    );
    expect(rules).toHaveLength(50);
    expect(new Set(rules).size).toBe(50);
    // Shortened with a hash of the full, resolved name — never cut before the stage was known.
    const long = rules.filter((r) => r.length === 64);
    expect(long.length).toBeGreaterThan(0);
    for (const r of long) expect(r).toMatch(new RegExp(`^${MAXIMAL_NAME}-production-.*-[0-9a-f]{8}$`));
  });

  it('give two projects in one account, Region and stage no name in common', async () => {
    const one = await namesOf(configFor(shopSources().projectYml ?? ''), 'prod', 'eu-west-1');
    // The second project's name starts like the first one's stack name: a name-prefix match would mix them.
    const other = await namesOf(
      configFor(projectYmlWith({ name: 'shop-reporting-prod' })),
      'prod',
      'eu-west-1',
    );
    const mine = [...one.functions, ...one.roles, ...one.rules, ...one.machines];
    const theirs = new Set([...other.functions, ...other.roles, ...other.rules, ...other.machines]);
    expect(mine.filter((n) => theirs.has(n))).toEqual([]);
    expect(one.path).not.toBe(other.path);
    // Neither path is a prefix of the other: each warehouse role trusts its own functions only.
    expect(other.path.startsWith(one.path) || one.path.startsWith(other.path)).toBe(false);
  });

  it("let the warehouse role trust exactly its deployment's function roles (their IAM path)", async () => {
    const config = configFor(shopSources().projectYml ?? '');
    const ctx = context('prod', 'eu-west-1');
    const trust = JSON.stringify((await config.warehouseRole(ctx)).Properties.AssumeRolePolicyDocument);
    expect(trust).toContain(
      `"aws:PrincipalArn":{"Fn::Sub":"arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/zeo/shop-reporting/prod/eu-west-1/*"}`,
    );
    expect(await config.rolePath(ctx)).toBe('/zeo/shop-reporting/prod/eu-west-1/');
  });

  it('use the project.yml service as the prefix when it is set', async () => {
    const config = configFor(projectYmlWith({ service: 'shop' }));
    expect(config.service()).toBe('shop');
    expect((await config.functionNames(context('dev', 'us-east-1'))).planRefresh).toBe(
      'shop-dev-planRefresh',
    );
  });

  it('refuse a stage or Region that cannot be part of every name, naming the rule', async () => {
    const config = configFor(shopSources().projectYml ?? '');
    for (const stage of ['Prod', 'staging-eu', 'x'.repeat(MAX_STAGE_LENGTH + 1), '']) {
      await expect(config.functionNames(context(stage, 'us-east-1'))).rejects.toThrow(
        /is not a stage name: 1-16 lower-case letters and digits/,
      );
    }
    await expect(config.functionNames(context('dev', 'mars-1'))).rejects.toThrow(/is not an AWS Region/);
  });
});

describe('shared/project/deployment.ts (the CLI) and the config script agree', () => {
  it('on the service, the stage rule and the state machine names the CLI looks for', () => {
    for (const name of ['shop-reporting', 'a', MAXIMAL_NAME]) {
      const config = configFor(projectYmlWith({ name }));
      expect(config.service()).toBe(serviceOf({ name }));
      expect(serviceOf({ name })).toMatch(SERVICE_PATTERN);
    }
    for (const stage of ['dev', 'production', 'x'.repeat(16), 'Prod', 'a-b', 'x'.repeat(17)]) {
      expect(StageName.safeParse(stage).success).toBe(STAGE_PATTERN.test(stage));
      expect(stageProblem(stage) === undefined).toBe(STAGE_PATTERN.test(stage));
    }
    // The longest service and stage still give unshortened state machine names, so the CLI's name is
    // the template's `${self:service}-${sls:stage}-<machine>`.
    const longest = { service: 's'.repeat(MAX_SERVICE_LENGTH), stage: 'x'.repeat(MAX_STAGE_LENGTH) };
    for (const m of MACHINES) {
      expect(stateMachineName(longest, m)).toBe(`${longest.service}-${longest.stage}-${m}`);
    }
  });

  it('on how a name too long is shortened (the same hash on both sides)', async () => {
    const config = configFor(projectYmlWith({ name: MAXIMAL_NAME }));
    const names = await config.functionNames(context('x'.repeat(16), 'us-east-1'));
    const full = `${MAXIMAL_NAME}-${'x'.repeat(16)}-checkRecoveryGuardrails`;
    expect(names.checkRecoveryGuardrails).toBe(fitName(full, 64));
    expect(fitName(full, 64)).toHaveLength(64);
    expect(fitName('short-name', 64)).toBe('short-name');
  });
});
