import { readFileSync } from 'node:fs';
import { ManifestUnavailableError } from '../errors.js';
import { type IndexedManifest, indexManifest } from '../graph/plan.js';
import type { Manifest } from '../project/manifest.js';

/**
 * The compiled curated project the Lambdas run with, as an injected dependency: no module imports a
 * generated file, so a fresh clone runs without a build step.
 *
 * - Packaged: `zeo package` / `npm run package` compile the project and esbuild replaces
 *   `__ZEO_MANIFEST__` with it as one JSON string (`define`, see scripts/serverless-config.cjs: an
 *   object literal would put one source-map segment per JSON token into every bundle's map).
 * - Local stack, tests, subprocesses: ZEO_MANIFEST_PATH names a compiled manifest file.
 */
declare const __ZEO_MANIFEST__: string | undefined;

const bundled = (): Manifest | undefined =>
  typeof __ZEO_MANIFEST__ === 'undefined' ? undefined : (JSON.parse(__ZEO_MANIFEST__) as Manifest);

let cached: { path: string | undefined; index: IndexedManifest } | undefined;

export function runtimeManifest(): IndexedManifest {
  const path = process.env.ZEO_MANIFEST_PATH || undefined;
  if (cached && cached.path === path) return cached.index;
  const manifest = path ? readManifestFile(path) : bundled();
  if (!manifest)
    throw new ManifestUnavailableError(
      'no compiled curated project: package with `zeo package -p <project>` (it bundles one) or set ZEO_MANIFEST_PATH to a file written by `zeo compile`',
    );
  cached = { path, index: indexManifest(manifest) };
  return cached.index;
}

function readManifestFile(path: string): Manifest {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (error) {
    throw new ManifestUnavailableError(
      `ZEO_MANIFEST_PATH=${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
