import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { compileProject, serializeManifest } from '../../../shared/project/compile.js';
import { shopSources, withFiles } from '../../helpers/project.js';

/**
 * The Data API statements scripts/serverless-config.cjs derives from the warehouse of project.yml,
 * without packaging (the packaged template is checked by test/deploy and the reliability suite).
 */

const require = createRequire(import.meta.url);
const CONFIG = require.resolve('../../../scripts/serverless-config.cjs');

interface Statement {
  Action: string[];
  Resource: unknown;
}
type Context = { resolveConfigurationProperty: (path: string[]) => Promise<unknown> };
type FunctionStatements = (ctx: Context) => Promise<Record<string, Statement[]>>;
type WarehouseRole = (
  ctx: Context,
) => Promise<{ Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] } }>;
interface Config {
  functionStatements: FunctionStatements;
  warehouseRole: WarehouseRole;
}

const scratch = mkdtempSync(join(tmpdir(), 'zeo-sls-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const previous = process.env.ZEO_MANIFEST_PATH;
afterEach(() => {
  if (previous === undefined) delete process.env.ZEO_MANIFEST_PATH;
  else process.env.ZEO_MANIFEST_PATH = previous;
  vi.restoreAllMocks();
});

/** A fresh copy of the script (its warn-once flag included), reading the project's manifest. */
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

/** The Data API statements: all on the one warehouse role (the functions may only assume it). */
async function warehouseStatements(config: Config): Promise<Record<string, Statement[]>> {
  const role = await config.warehouseRole({ resolveConfigurationProperty });
  return { WarehouseRole: role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement) };
}

/** What osls resolves: the stage and Region (names are built from them), `true` for anything else. */
const resolveConfigurationProperty = async (path: string[]) =>
  (({ 'provider.stage': 'test', 'provider.region': 'us-east-1' }) as Record<string, unknown>)[
    path.join('.')
  ] ?? true;
const PROJECT = shopSources().projectYml ?? '';
const ID = '7c9e6f4a-2b1d-4e3f-8a5c-6d7e8f9a0b1c';
const workgroup = (scope: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:redshift-serverless:\${AWS::Region}:\${AWS::AccountId}:workgroup/${scope}`,
});
const WORKGROUP_ACTIONS = [
  'redshift-data:ExecuteStatement',
  'redshift-data:BatchExecuteStatement',
  'redshift-serverless:GetCredentials',
];

/** The resources of every statement holding a workgroup action, over all functions. */
function workgroupResources(statements: Record<string, Statement[]>): unknown[] {
  return Object.values(statements)
    .flat()
    .filter((s) => s.Action.some((a) => WORKGROUP_ACTIONS.includes(a)))
    .map((s) => s.Resource);
}

describe('scripts/serverless-config.cjs: the Serverless workgroup', () => {
  it('scopes the Data API and GetCredentials to workgroup/<workgroupId>, silently', async () => {
    expect(PROJECT).toContain(`workgroupId: ${ID}`);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const config = configFor(PROJECT);
    const statements = await warehouseStatements(config);
    const resources = workgroupResources(statements);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(r).toEqual([workgroup(ID)]);
    expect(
      statements.WarehouseRole?.find((s) => s.Action.includes('redshift-serverless:GetCredentials'))
        ?.Resource,
    ).toEqual([workgroup(ID)]);
    // A step's own role holds no Data API action: it assumes the warehouse role.
    const own = await config.functionStatements({ resolveConfigurationProperty });
    expect(workgroupResources(own)).toEqual([]);
    expect(own.planRefresh?.find((s) => s.Action.includes('sts:AssumeRole'))?.Resource).toEqual([
      { 'Fn::GetAtt': ['WarehouseRole', 'Arn'] },
    ]);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('falls back to workgroup/* of the account without it, and warns once on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const config = configFor(PROJECT.replace(/^ {2}workgroupId:.*\n/m, ''));
    // Resolved more than once (resources, and again by a plugin): still one warning.
    await warehouseStatements(config);
    const statements = await warehouseStatements(config);
    for (const r of workgroupResources(statements)) expect(r).toEqual([workgroup('*')]);
    expect(stderr).toHaveBeenCalledTimes(1);
    const line = String(stderr.mock.calls[0]?.[0]);
    expect(line).toMatch(/^warning: .*\(workgroup\/\*\): set warehouse\.workgroupId in project\.yml/);
    expect(line).toContain('aws redshift-serverless get-workgroup --workgroup-name analytics');
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
  });

  it('needs no workgroup id for a cluster: its statements name the cluster, without a warning', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const cluster = PROJECT.replace(/^ {2}workgroupId:.*\n/m, '').replace(
      'workgroupName: analytics',
      'clusterIdentifier: shop-cluster',
    );
    const statements = await warehouseStatements(configFor(cluster));
    const run = statements.WarehouseRole?.find((s) => s.Action.includes('redshift-data:ExecuteStatement'));
    expect(run?.Resource).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:cluster:shop-cluster`,
      },
    ]);
    expect(workgroupResources(statements).flat()).not.toContainEqual(workgroup('*'));
    expect(stderr).not.toHaveBeenCalled();
  });
});
