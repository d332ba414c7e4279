import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LambdaResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { bundleComposition } from '../lib/source-map.js';
import { median } from '../lib/stats.js';

/**
 * Lambda footprint from `npm run package` (serverless-esbuild: bundled, minified, @aws-sdk/* left to
 * the runtime): the size of each function's handler.js, its source map and its zip, and the module
 * initialisation time — the median over fresh `node` processes that require the bundle (with the
 * Lambda environment stubbed; @aws-sdk/* resolves from this repository's node_modules, as the
 * runtime's copy would on AWS).
 */

const KIB = 1024;

function packageInto(dir: string): number {
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  const result = spawnSync('npm', ['run', 'package', '--', '--package', dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run package failed:\n${result.stdout}\n${result.stderr}`);
  return (performance.now() - started) / 1000;
}

/** Milliseconds a fresh `node` spends in `require` of the given modules (a bundle, or packages). */
function initMs(modules: readonly string[], name: string): number {
  const script = `const t=performance.now();for(const m of ${JSON.stringify(modules)})require(m);process.stdout.write(String(performance.now()-t));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      NODE_PATH: resolve('node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_ACCESS_KEY_ID: 'stub',
      AWS_SECRET_ACCESS_KEY: 'stub',
      AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    },
  });
  return Number(out);
}

await runSection(async (args): Promise<LambdaResult> => {
  const dir = args.get('dir') ?? join(tmpdir(), 'zeo-bench-package');
  const runs = args.number('runs', 7);
  const reuse = args.has('reuse') && existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.zip'));
  const packageSeconds = reuse ? null : packageInto(dir);
  const zips = readdirSync(dir)
    .filter((f) => f.endsWith('.zip'))
    .sort();
  const functions: LambdaResult['functions'] = {};
  const handlers: { name: string; handler: string; sdk: string[] }[] = [];
  const sdkRuns = new Map<string, number[]>();
  for (const zip of zips) {
    const name = zip.replace(/\.zip$/, '');
    const into = join(dir, 'unzipped', name);
    rmSync(into, { recursive: true, force: true });
    mkdirSync(into, { recursive: true });
    execFileSync('unzip', ['-o', '-q', join(dir, zip), '-d', into]);
    const handler = findFile(into, (f) => f.endsWith('handler.js'));
    if (!handler) throw new Error(`${zip} has no handler.js`);
    const map = `${handler}.map`;
    const sdk = [
      ...new Set(
        [...readFileSync(handler, 'utf8').matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1] ?? ''),
      ),
    ]
      .filter(Boolean)
      .sort();
    handlers.push({ name, handler, sdk });
    functions[name] = {
      kb: statSync(handler).size / KIB,
      zip_kb: statSync(join(dir, zip)).size / KIB,
      map_kb: existsSync(map) ? statSync(map).size / KIB : 0,
      init_ms: 0,
      init_runs: [],
      sdk_packages: sdk,
      sdk_init_ms: 0,
    };
  }
  // Round-robin over the functions, so machine noise spreads evenly.
  for (let run = 0; run < runs; run++) {
    for (const { name, handler } of handlers) functions[name]?.init_runs.push(initMs([handler], name));
    // The @aws-sdk clients the bundles require at load (left out of the bundle, loaded from the runtime).
    for (const sdk of new Set([...handlers.map((h) => h.sdk.join(',')), ...handlers.flatMap((h) => h.sdk)])) {
      const list = sdkRuns.get(sdk) ?? [];
      list.push(initMs(sdk.split(',').filter(Boolean), 'sdk'));
      sdkRuns.set(sdk, list);
    }
  }
  for (const [name, f] of Object.entries(functions)) {
    f.init_ms = median(f.init_runs);
    const key = handlers.find((h) => h.name === name)?.sdk.join(',') ?? '';
    f.sdk_init_ms = median(sdkRuns.get(key) ?? []);
  }
  const largest = handlers.reduce<{ name: string; handler: string; sdk: string[] } | undefined>(
    (a, b) => (!a || (functions[b.name]?.kb ?? 0) > (functions[a.name]?.kb ?? 0) ? b : a),
    undefined,
  );
  const composition =
    largest && existsSync(`${largest.handler}.map`)
      ? { function: largest.name, bytes: bundleComposition(largest.handler, `${largest.handler}.map`) }
      : undefined;
  const sdkSingle = Object.fromEntries(
    [...new Set(handlers.flatMap((h) => h.sdk))].map((pkg) => [pkg, median(sdkRuns.get(pkg) ?? [])]),
  );
  return {
    packaged: !reuse,
    packageSeconds,
    functions,
    runs,
    sdkSingleMs: sdkSingle,
    ...(composition ? { composition } : {}),
  };
});

function findFile(dir: string, test: (path: string) => boolean): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, test);
      if (found) return found;
    } else if (test(path)) return path;
  }
  return undefined;
}
