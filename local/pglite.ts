import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';

/**
 * Fresh in-memory PGlite instances, fast after the first. `PGlite.create()` runs initdb (1.5–5 s on a
 * small machine); loading a snapshot of an empty data directory takes about 1 s. The snapshot is kept
 * in memory for the process and, gzipped (4.5 MB), in the OS temp folder for the next processes (each
 * vitest worker is one), keyed by the PGlite version. Set ZEO_PGLITE_CACHE=0 to skip the file.
 */

let emptySnapshot: Promise<Blob> | undefined;

function cacheFile(): string | undefined {
  if (process.env.ZEO_PGLITE_CACHE === '0') return undefined;
  try {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ? join(tmpdir(), `zeo-local-pglite-${manifest.version}-empty.tar.gz`) : undefined;
  } catch {
    return undefined;
  }
}

function readCachedSnapshot(file: string | undefined): Blob | undefined {
  if (!file) return undefined;
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    return undefined;
  }
}

function writeCachedSnapshot(file: string | undefined, snapshot: Blob): void {
  if (!file) return;
  void snapshot.arrayBuffer().then((bytes) => {
    try {
      // Written aside and renamed, so a concurrent reader never sees half a file.
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.from(bytes));
      renameSync(partial, file);
    } catch {
      // The cache is an optimisation only.
    }
  });
}

async function createAndSnapshot(file: string | undefined): Promise<{ db: PGliteInterface; snapshot: Blob }> {
  const db = await PGlite.create();
  const snapshot = await db.dumpDataDir('gzip');
  writeCachedSnapshot(file, snapshot);
  return { db, snapshot };
}

export async function freshPGlite(): Promise<PGliteInterface> {
  if (emptySnapshot) return PGlite.create({ loadDataDir: await emptySnapshot });
  const file = cacheFile();
  const cached = readCachedSnapshot(file);
  if (cached) {
    emptySnapshot = Promise.resolve(cached);
    try {
      return await PGlite.create({ loadDataDir: cached });
    } catch {
      // A damaged cache file: fall through to initdb, which rewrites it.
    }
  }
  const first = createAndSnapshot(file);
  emptySnapshot = first.then((f) => f.snapshot);
  return (await first).db;
}
