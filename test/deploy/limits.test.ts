import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_GROUPS } from '../../shared/project/deployment.js';
import { SHOP, zeo } from '../helpers/cli.js';
import { maximalGroups, projectFolder, projectYmlWith } from '../helpers/deploy-variants.js';

/**
 * Limits that would otherwise fail a deployment halfway (issue #19) are refused by `zeo validate` /
 * `zeo package` before anything is packaged, naming the limit: the number of groups (one EventBridge
 * rule each on the default bus, 300 rules by default; 500 resources per CloudFormation template) and
 * the stage name (part of every physical name).
 */

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});
const folder = (yml: string) => {
  const dir = projectFolder(yml);
  folders.push(dir);
  return dir;
};

describe('deployment limits, checked before packaging', () => {
  it(`refuses more than ${MAX_GROUPS} groups in zeo validate and zeo package, naming the limit`, async () => {
    const over = folder(projectYmlWith({ groups: [...maximalGroups(), 'one_too_many'] }));
    const validate = await zeo('validate', '-p', over);
    expect(validate.code).toBe(1);
    expect(validate.stderr + validate.stdout).toContain(`groups: at most ${MAX_GROUPS} groups`);
    const pack = await zeo('package', '-p', over, '--stage', 'dev', '--out', `${over}/out`);
    expect(pack.code).toBe(1);
    expect(pack.stderr).toContain(`at most ${MAX_GROUPS} groups`);
    expect(pack.stderr).not.toContain('Packaging');
  });

  it(`accepts exactly ${MAX_GROUPS} groups`, async () => {
    const at = folder(projectYmlWith({ groups: maximalGroups() }));
    expect((await zeo('validate', '-p', at)).code).toBe(0);
  });

  it.each([['production-eu'], ['Prod'], ['abcdefghijklmnopq']])(
    'refuses --stage %s with exit code 2 before anything runs',
    async (stage) => {
      for (const command of ['package', 'deploy']) {
        const result = await zeo(command, ...SHOP, '--stage', stage);
        expect(result.code, command).toBe(2);
        expect(result.stderr).toContain(
          `--stage: '${stage}' is not a stage name: 1-16 lower-case letters and digits`,
        );
      }
      const status = await zeo(
        'status',
        ...SHOP,
        '--stage',
        stage,
        '--warehouse-role',
        'arn:aws:iam::123456789012:role/x',
      );
      expect(status.code).toBe(2);
      expect(status.stderr).toContain('is not a stage name');
    },
  );
});
