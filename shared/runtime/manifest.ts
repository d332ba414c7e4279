import { readFileSync } from 'node:fs';
import bundled from '../../.build/manifest.json' with { type: 'json' };
import { type IndexedManifest, indexManifest } from '../graph/plan.js';
import type { Manifest } from '../project/manifest.js';

/**
 * The compiled curated project the Lambdas run with. `npm run package` (and `npm test`) compile the
 * project into `.build/manifest.json`, which esbuild bundles into every function. ZEO_MANIFEST_PATH
 * points the local stack and tests at another compiled project without rebuilding.
 */
let cached: { path: string | undefined; index: IndexedManifest } | undefined;

export function runtimeManifest(): IndexedManifest {
  const path = process.env.ZEO_MANIFEST_PATH || undefined;
  if (cached && cached.path === path) return cached.index;
  const manifest = path
    ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest)
    : (bundled as unknown as Manifest);
  cached = { path, index: indexManifest(manifest) };
  return cached.index;
}
