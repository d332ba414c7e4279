import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The README's "Your own project" block, run as written: pack this repository, install the tarball
 * into a folder that only holds a curated project, and use `npx zeo` from there. The last line
 * (`zeo deploy`) needs an AWS account and is the only one left out.
 */

const exec = promisify(execFile);

function readmeBlock(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Your own project'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no sh block under "## Your own project"');
  return block;
}

describe('installed as a tool (README: Your own project)', () => {
  it('npm pack, npm install into another folder, then zeo init, validate, check, run --local, package', async () => {
    const block = readmeBlock();
    const lines = block.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^npx zeo deploy /);
    const script = lines.slice(0, -1).join('\n');
    const work = mkdtempSync(join(tmpdir(), 'zeo-install-'));
    symlinkSync(process.cwd(), join(work, 'zero-etl-orchestrator'));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', npm_config_prefer_offline: 'true' };
    for (const key of Object.keys(env))
      if (key.startsWith('npm_lifecycle') || key === 'INIT_CWD') delete env[key];
    delete env.ZEO_MANIFEST_PATH; // the installed tool must not lean on the test setup's manifest
    const { stdout, stderr } = await exec('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    const folder = join(work, 'my-reporting');
    // Installed, not linked: the tool runs from node_modules, with its own assets.
    expect(
      existsSync(
        join(folder, 'node_modules', 'zero-etl-orchestrator', 'statemachines', 'curated-refresh.asl.json'),
      ),
    ).toBe(true);
    expect(stdout).toMatch(/✓ my-reporting: 1 models/);
    expect(stdout).toMatch(/✓ 1 model\(s\) build against source\.sql as declared/);
    expect(stdout).toMatch(/✓ curated-refresh SUCCEEDED/);
    expect(stdout).toMatch(/built\s+1/);
    expect(stdout, stderr).toMatch(/packaged into .*my-reporting\/\.zeo\/package\/dev/);
    const template = readFileSync(
      join(folder, '.zeo/package/dev/cloudformation-template-update-stack.json'),
      'utf8',
    );
    // The user's project, not the example: its integration and its group's schedule.
    expect(template).toContain('integration:00000000-0000-0000-0000-000000000000');
    expect(template).toContain('refresh-daily');
    expect(template).not.toContain('refresh-hourly');
  }, 600_000);
});
