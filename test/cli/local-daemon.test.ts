import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { describe, expect, it } from 'vitest';
import { rejection, waitForStatement } from '../local/support.js';

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
      await probeAsAws(JSON.parse(readFileSync(state, 'utf8')).dataApi as string);
      const doctor = await zeo('doctor', '--local', '--json');
      expect(JSON.parse(doctor.stdout)).toMatchObject({ ok: true });
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

/**
 * The running stack refuses what AWS refuses, seen through the real SDK: `DROP DATABASE IF EXISTS`
 * (SQL reference "DROP DATABASE": no IF EXISTS), an empty parameter value (SqlParameter `value` min 1),
 * a leader-node catalog relation joined with a user table (developer guide "Querying the catalog
 * tables"), another key's statement (Data API considerations: only the runner's identity); while a
 * plain SELECT 1 by any key finishes.
 */
async function probeAsAws(endpoint: string): Promise<void> {
  const as = (key: string) =>
    new RedshiftDataClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: key, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  const alice = as('AKIAPROBEALICE');
  const bob = as('AKIAPROBEBOB');
  const target = { Database: 'dev', WorkgroupName: 'analytics' };
  const run = async (sql: string, parameters?: { name: string; value: string }[]) => {
    const { Id } = await alice.send(
      new ExecuteStatementCommand({ ...target, Sql: sql, ...(parameters ? { Parameters: parameters } : {}) }),
    );
    return waitForStatement(alice, Id ?? '');
  };
  try {
    expect((await run('SELECT 1')).Status).toBe('FINISHED');
    expect((await run('DROP DATABASE IF EXISTS x')).Status).toBe('FAILED');
    const empty = await rejection(run('SELECT :v', [{ name: 'v', value: '' }]));
    expect(empty.name).toBe('ValidationException');
    const joined = await run(
      'SELECT t.table_name FROM information_schema.tables t JOIN zeo.model_state m ON m.model = t.table_name',
    );
    expect(joined.Status).toBe('FAILED');
    const { Id } = await alice.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT 2' }));
    const denied = await rejection(bob.send(new DescribeStatementCommand({ Id })));
    expect(denied.name).toBe('AccessDeniedException');
  } finally {
    alice.destroy();
    bob.destroy();
  }
}
