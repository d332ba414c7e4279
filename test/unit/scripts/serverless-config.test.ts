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
type FunctionStatements = (ctx: {
  resolveConfigurationProperty: (path: string[]) => Promise<unknown>;
}) => Promise<Record<string, Statement[]>>;

const scratch = mkdtempSync(join(tmpdir(), 'zeo-sls-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const previous = process.env.ZEO_MANIFEST_PATH;
afterEach(() => {
  if (previous === undefined) delete process.env.ZEO_MANIFEST_PATH;
  else process.env.ZEO_MANIFEST_PATH = previous;
  vi.restoreAllMocks();
});

/** A fresh copy of the script (its warn-once flag included), reading the project's manifest. */
function configFor(projectYml: string): { functionStatements: FunctionStatements } {
  const path = join(scratch, `manifest-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    serializeManifest(compileProject(withFiles(shopSources(), { 'project.yml': projectYml }))),
  );
  process.env.ZEO_MANIFEST_PATH = path;
  delete require.cache[CONFIG];
  return require(CONFIG) as { functionStatements: FunctionStatements };
}

const resolveConfigurationProperty = async () => true;
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
    const statements = await configFor(PROJECT).functionStatements({ resolveConfigurationProperty });
    const resources = workgroupResources(statements);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(r).toEqual([workgroup(ID)]);
    expect(
      statements.planRefresh?.find((s) => s.Action.includes('redshift-serverless:GetCredentials'))?.Resource,
    ).toEqual([workgroup(ID)]);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('falls back to workgroup/* of the account without it, and warns once on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const config = configFor(PROJECT.replace(/^ {2}workgroupId:.*\n/m, ''));
    // serverless.yml resolves the statements once per function: still one warning.
    await config.functionStatements({ resolveConfigurationProperty });
    const statements = await config.functionStatements({ resolveConfigurationProperty });
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
    const statements = await configFor(cluster).functionStatements({ resolveConfigurationProperty });
    const run = statements.planRefresh?.find((s) => s.Action.includes('redshift-data:ExecuteStatement'));
    expect(run?.Resource).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:cluster:shop-cluster`,
      },
    ]);
    expect(workgroupResources(statements).flat()).not.toContainEqual(workgroup('*'));
    expect(stderr).not.toHaveBeenCalled();
  });
});
