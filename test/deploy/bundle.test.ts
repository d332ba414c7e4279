import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { syntheticProject } from '../../local/synthetic/project.js';
import { serializeManifest } from '../../shared/project/compile.js';

/**
 * A function bundle carries the compiled project (esbuild `define`), and Lambda runs it with
 * `--enable-source-maps` (serverless.yml NODE_OPTIONS): Node loads the whole source map the first time
 * it formats an error stack. When the project went into the bundle as an object literal, the map held
 * a segment per JSON token plus the project again as a source: at 5,000 models a 256 MB function went
 * from 129 to 244 MB RSS formatting one stack (measured on Node 20, issue #19). Bundled as one string
 * literal, with no sourcesContent, the map does not grow with the project.
 */

const require = createRequire(import.meta.url);
const CONFIG = require.resolve('../../scripts/serverless-config.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'zeo-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const previous = process.env.ZEO_MANIFEST_PATH;
afterEach(() => {
  if (previous === undefined) delete process.env.ZEO_MANIFEST_PATH;
  else process.env.ZEO_MANIFEST_PATH = previous;
});

/** custom.esbuild of serverless.yml, as serverless-esbuild hands it to esbuild. */
interface EsbuildConfig {
  bundle: boolean;
  minify: boolean;
  sourcemap: 'linked';
  sourcesContent?: boolean;
  target: string;
  platform: 'node';
  format: 'cjs';
  exclude: string[];
}
const serverless = parse(readFileSync('serverless.yml', 'utf8')) as { custom: { esbuild: EsbuildConfig } };

/** The planRefresh bundle for a project of `models` models: its size and its source map's. */
async function bundleFor(models: number): Promise<{ js: number; map: string; modelName: string }> {
  const { manifest } = syntheticProject({ models });
  const manifestPath = join(scratch, `manifest-${models}.json`);
  writeFileSync(manifestPath, serializeManifest(manifest));
  process.env.ZEO_MANIFEST_PATH = manifestPath;
  delete require.cache[CONFIG];
  const { esbuildDefine } = require(CONFIG) as { esbuildDefine: () => Record<string, string> };
  const options = serverless.custom.esbuild;
  const outfile = join(scratch, `plan-refresh-${models}.js`);
  await build({
    entryPoints: ['functions/plan-refresh/handler.ts'],
    outfile,
    bundle: options.bundle,
    minify: options.minify,
    sourcemap: options.sourcemap,
    ...(options.sourcesContent === undefined ? {} : { sourcesContent: options.sourcesContent }),
    target: options.target,
    platform: options.platform,
    format: options.format,
    external: options.exclude,
    define: esbuildDefine(),
    logLevel: 'silent',
  });
  const js = readFileSync(outfile, 'utf8');
  return {
    js: js.length,
    map: readFileSync(`${outfile}.map`, 'utf8'),
    modelName: manifest.models.at(-1)?.name ?? '',
  };
}

describe('function bundles and their source maps', () => {
  it('keep the source map the same size however large the bundled project is', async () => {
    const small = await bundleFor(20);
    const large = await bundleFor(2000);
    // The bundle grows with the project (it carries it); the map must not.
    expect(large.js - small.js).toBeGreaterThan(1_000_000);
    expect(Math.abs(large.map.length - small.map.length)).toBeLessThan(16 * 1024);
    expect(large.map).not.toContain(large.modelName);
    expect((JSON.parse(large.map) as { sourcesContent?: unknown }).sourcesContent).toBeUndefined();
    // Still a usable map: the handler's own sources are in it.
    expect((JSON.parse(large.map) as { sources: string[] }).sources.join(' ')).toContain(
      'functions/plan-refresh/handler.ts',
    );
  }, 120_000);
});
