import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProjectValidationError } from '../../shared/errors.js';
import { compileProject, serializeManifest } from '../../shared/project/compile.js';
import { shopSources, withFiles } from '../helpers/project.js';

/**
 * Recreating an integration encrypted with a customer-managed key: "the key policy must provide the
 * Amazon Redshift service principal access to the CreateGrant action. In addition, it must allow the
 * current user to perform to the DescribeKey and CreateGrant actions" (AuroraUserGuide "Creating
 * zero-ETL integrations", encrypting integrations with a customer managed key). The recreate step's
 * role gets exactly those two actions on `landing.kmsKeyArn`, the grant only through RDS.
 */

const require = createRequire(import.meta.url);
const CONFIG = require.resolve('../../scripts/serverless-config.cjs');
interface Statement {
  Action: string[];
  Resource: unknown;
  Condition?: unknown;
}
type FunctionStatements = (ctx: {
  resolveConfigurationProperty: (path: string[]) => Promise<unknown>;
}) => Promise<Record<string, Statement[]>>;

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const scratch = mkdtempSync(join(tmpdir(), 'zeo-kms-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const previous = process.env.ZEO_MANIFEST_PATH;
afterEach(() => {
  if (previous === undefined) delete process.env.ZEO_MANIFEST_PATH;
  else process.env.ZEO_MANIFEST_PATH = previous;
});

async function statementsFor(projectYml: string): Promise<Record<string, Statement[]>> {
  const path = join(scratch, `manifest-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    serializeManifest(compileProject(withFiles(shopSources(), { 'project.yml': projectYml }))),
  );
  process.env.ZEO_MANIFEST_PATH = path;
  delete require.cache[CONFIG];
  const { functionStatements } = require(CONFIG) as { functionStatements: FunctionStatements };
  return functionStatements({ resolveConfigurationProperty: async () => true });
}

const PROJECT = shopSources().projectYml ?? '';
const withKey = PROJECT.replace(/^( {2}targetArn: .*)$/m, `$1\n  kmsKeyArn: ${KEY}`);
const kmsOf = (statements: Record<string, Statement[]>) =>
  Object.entries(statements).flatMap(([key, list]) =>
    list.filter((s) => s.Action.some((a) => a.startsWith('kms:'))).map((s) => ({ key, ...s })),
  );

describe('KMS permissions for a customer-managed integration key', () => {
  it('gives only the create step DescribeKey and CreateGrant, on the configured key, the grant through RDS', async () => {
    expect(withKey).toContain(`kmsKeyArn: ${KEY}`);
    const kms = kmsOf(await statementsFor(withKey));
    expect(kms.map((s) => s.key)).toEqual(['createIntegration', 'createIntegration']);
    expect(kms.map((s) => s.Action)).toEqual([['kms:DescribeKey'], ['kms:CreateGrant']]);
    for (const s of kms) expect(s.Resource).toEqual([KEY]);
    expect(kms[1]?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Sub': `rds.\${AWS::Region}.\${AWS::URLSuffix}` } },
      'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Decrypt', 'GenerateDataKey', 'CreateGrant'] },
    });
  });

  it('gives none without landing.kmsKeyArn (the AWS-owned key needs no permission)', async () => {
    expect(kmsOf(await statementsFor(PROJECT))).toEqual([]);
  });

  it('refuses a kmsKeyArn that is not a KMS key ARN, naming the field', () => {
    const bad = withFiles(shopSources(), { 'project.yml': withKey.replace(KEY, 'alias/my-key') });
    expect(() => compileProject(bad)).toThrow(ProjectValidationError);
    try {
      compileProject(bad);
    } catch (error) {
      const issues = (error as ProjectValidationError).issues;
      expect(issues).toContainEqual(
        expect.objectContaining({
          file: 'project.yml',
          field: 'landing.kmsKeyArn',
          message: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)',
        }),
      );
    }
  });
});
