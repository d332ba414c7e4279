import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The compiled project reaches the handlers as an injected dependency: bundled by esbuild's `define`
 * at package time (the same define scripts/serverless-config.cjs hands serverless-esbuild), or named by
 * ZEO_MANIFEST_PATH. The bundles run in a child process without ZEO_MANIFEST_PATH, as on Lambda.
 */

const require = createRequire(import.meta.url);
const GOLDEN = new URL('../../../fixtures/golden/shop-manifest.json', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'zeo-runtime-manifest-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ENTRY = `import { runtimeManifest } from ${JSON.stringify(new URL('../../../../shared/runtime/deployed-manifest.ts', import.meta.url).pathname)};
try { console.log(JSON.stringify({ name: runtimeManifest().manifest.project.name, models: runtimeManifest().manifest.models.length })); }
catch (error) { console.log(JSON.stringify({ error: error.name, message: error.message })); }`;

async function bundleAndRun(define: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<unknown> {
  const entry = join(scratch, `entry-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(entry, ENTRY);
  const out = `${entry}.cjs`;
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', define });
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...env };
  const { stdout } = await promisify(execFile)(process.execPath, [out], { env: childEnv });
  return JSON.parse(stdout);
}

describe('runtime manifest injection', () => {
  it('a packaged bundle carries the compiled project through the define serverless.yml uses', async () => {
    const previous = process.env.ZEO_MANIFEST_PATH;
    process.env.ZEO_MANIFEST_PATH = GOLDEN;
    const configPath = require.resolve('../../../../scripts/serverless-config.cjs');
    delete require.cache[configPath];
    const config = require(configPath) as { esbuildDefine: () => Record<string, string> };
    const define = config.esbuildDefine();
    process.env.ZEO_MANIFEST_PATH = previous;
    expect(await bundleAndRun(define)).toEqual({ name: 'shop-reporting', models: expect.any(Number) });
  });

  it('without a bundled project, ZEO_MANIFEST_PATH names one', async () => {
    expect(await bundleAndRun({}, { ZEO_MANIFEST_PATH: GOLDEN })).toMatchObject({ name: 'shop-reporting' });
  });

  it('with neither, the step fails with ManifestUnavailableError naming both ways to provide one', async () => {
    const result = (await bundleAndRun({})) as { error: string; message: string };
    expect(result.error).toBe('ManifestUnavailableError');
    expect(result.message).toMatch(/zeo package.*ZEO_MANIFEST_PATH/);
  });

  it('an unreadable ZEO_MANIFEST_PATH is named in the error', async () => {
    const missing = join(scratch, 'nope.json');
    expect(await bundleAndRun({}, { ZEO_MANIFEST_PATH: missing })).toMatchObject({
      error: 'ManifestUnavailableError',
      message: expect.stringContaining(missing),
    });
  });
});
