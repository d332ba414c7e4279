import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PostgreSQL server for the tests PGlite cannot do (it has one session): a throwaway cluster
 * made with the machine's own binaries (initdb + pg_ctl, e.g. Debian's `postgresql` package), listening
 * on 127.0.0.1 only, owned by a non-root user when the suite runs as root. ZEO_RELIABILITY_PG_URL points
 * the suite at a server of your own instead.
 */

export interface PgServer {
  url: string;
  version: string;
  stop(): void;
}

export type PgAvailability = { server: PgServer } | { unavailable: string };

function binDir(): string | undefined {
  const candidates: string[] = [];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) {
      candidates.push(join(debian, version, 'bin'));
    }
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(join(which.stdout.trim(), '..'));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function userId(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(): Promise<PgAvailability> {
  const given = process.env.ZEO_RELIABILITY_PG_URL;
  if (given)
    return {
      server: { url: given, version: 'external server (ZEO_RELIABILITY_PG_URL)', stop: () => undefined },
    };
  const bin = binDir();
  if (!bin) {
    return {
      unavailable:
        'no PostgreSQL binaries (initdb, pg_ctl) on this machine: install Debian\'s "postgresql" package (.ci/run does) or set ZEO_RELIABILITY_PG_URL',
    };
  }
  const root = mkdtempSync(join(tmpdir(), 'zeo-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? (userId('postgres') ?? userId('nobody')) : undefined;
  if (asRoot && !owner)
    return { unavailable: 'running as root and no postgres/nobody user to own the cluster' };
  if (owner) {
    chownSync(root, owner.uid, owner.gid);
    chmodSync(root, 0o700);
  }
  const run = (tool: string, args: string[]) => {
    const command = join(bin, tool);
    const options = { stdio: 'pipe' as const, encoding: 'utf8' as const, timeout: 120_000 };
    return owner
      ? execFileSync(
          'setpriv',
          ['--reuid', String(owner.uid), '--regid', String(owner.gid), '--clear-groups', command, ...args],
          options,
        )
      : execFileSync(command, args, options);
  };
  try {
    run('initdb', ['-D', data, '-U', 'zeo', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const port = await freePort();
    const settings = [
      `-p ${port}`,
      "-c listen_addresses='127.0.0.1'",
      `-c unix_socket_directories='${root}'`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
      '-c deadlock_timeout=200ms',
    ].join(' ');
    run('pg_ctl', ['-D', data, '-o', settings, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']);
    const version = run('postgres', ['--version']).trim();
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };
    // A test process that dies early must not leave a server running.
    process.once('exit', stop);
    return { server: { url: `postgres://zeo@127.0.0.1:${port}/postgres`, version, stop } };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    const detail = error instanceof Error ? error.message : String(error);
    return { unavailable: `could not start PostgreSQL from ${bin}: ${detail.slice(0, 500)}` };
  }
}
