import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);

describe('CLI: zeo local start / inject / stop', () => {
  it('keeps a stack running that other zeo processes drive, then stops it', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'zeo-daemon-')), 'local.json');
    const env = { ...process.env, NO_COLOR: '1', ZEO_LOCAL_STATE: state };
    const daemon = spawn('node', ['bin/zeo.js', 'local', 'start', '-p', 'examples/shop/curated'], {
      env,
      stdio: 'pipe',
    });
    let output = '';
    daemon.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    try {
      for (let i = 0; i < 240 && !existsSync(state); i++) await new Promise((r) => setTimeout(r, 250));
      expect(existsSync(state), output).toBe(true);
      const zeo = (...args: string[]) => exec('node', ['bin/zeo.js', ...args], { env });
      const run = await zeo('run', 'curated-refresh', '--local', '-p', 'examples/shop/curated', '--json');
      expect(JSON.parse(run.stdout)).toMatchObject({
        status: 'SUCCEEDED',
        output: { counts: { built: 11 } },
      });
      const injected = await zeo('local', 'inject', 'resync', 'public.orders');
      expect(injected.stdout).toMatch(/"injected":"resync"/);
      const status = JSON.parse(
        (await zeo('status', '--local', '-p', 'examples/shop/curated', '--json')).stdout,
      ) as {
        models: { model: string; lastSuccess: string | null }[];
      };
      // The running stack kept its state: every model has been built there.
      expect(status.models.every((m) => m.lastSuccess !== null)).toBe(true);
      await zeo('local', 'stop');
      expect(await exited).toBe(0);
      expect(existsSync(state)).toBe(false);
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
    }
  }, 180_000);

  it('inject and stop explain that no stack is running', async () => {
    const env = { ...process.env, NO_COLOR: '1', ZEO_LOCAL_STATE: join(tmpdir(), 'zeo-none', 'local.json') };
    const result = await exec('node', ['bin/zeo.js', 'local', 'stop'], { env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toMatch(/no local stack is running/);
  });
});
