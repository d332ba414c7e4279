import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The dependency rule is enforced by the linter (biome.json, noRestrictedImports per folder):
 * functions import only shared/ and their own folder; shared/ never imports a function; nothing
 * outside cli/ or bench/ imports them (tests may test the CLI); production code never imports local/.
 * The project's own biome.json lints a scratch tree with one file per edge, allowed and forbidden.
 */

const scratch = mkdtempSync(join(tmpdir(), 'zeo-layering-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const EDGES: { file: string; imports: string; allowed: boolean }[] = [
  { file: 'functions/a/core.ts', imports: '../../shared/x.js', allowed: true },
  { file: 'functions/a/handler.ts', imports: './core.js', allowed: true },
  { file: 'functions/a/other-step.ts', imports: '../b/core.js', allowed: false },
  { file: 'functions/a/cli.ts', imports: '../../cli/x.js', allowed: false },
  { file: 'functions/a/bench.ts', imports: '../../bench/lib/x.js', allowed: false },
  { file: 'functions/a/local.ts', imports: '../../local/app.js', allowed: false },
  { file: 'shared/refresh/ok.ts', imports: '../sql/x.js', allowed: true },
  { file: 'shared/refresh/function.ts', imports: '../../functions/a/core.js', allowed: false },
  { file: 'shared/refresh/local.ts', imports: '../../local/app.js', allowed: false },
  { file: 'shared/refresh/cli.ts', imports: '../../cli/x.js', allowed: false },
  { file: 'local/ok.ts', imports: '../functions/a/handler.js', allowed: true },
  { file: 'local/cli.ts', imports: '../cli/status.js', allowed: false },
  { file: 'local/bench.ts', imports: '../bench/lib/x.js', allowed: false },
  { file: 'cli/ok.ts', imports: '../local/app.js', allowed: true },
  { file: 'cli/function.ts', imports: '../functions/a/core.js', allowed: false },
  { file: 'cli/bench.ts', imports: '../bench/lib/x.js', allowed: false },
  { file: 'bench/ok.ts', imports: '../local/app.js', allowed: true },
  { file: 'test/ok.ts', imports: '../cli/x.js', allowed: true },
  { file: 'test/bench.ts', imports: '../bench/lib/x.js', allowed: false },
];

function lintScratchTree(): Set<string> {
  copyFileSync(resolve('biome.json'), join(scratch, 'biome.json'));
  symlinkSync(resolve('node_modules'), join(scratch, 'node_modules'));
  for (const edge of EDGES) {
    mkdirSync(dirname(join(scratch, edge.file)), { recursive: true });
    writeFileSync(join(scratch, edge.file), `export { x } from '${edge.imports}';\n`);
  }
  const result = spawnSync(
    process.execPath,
    [resolve('node_modules/@biomejs/biome/bin/biome'), 'lint', '--max-diagnostics=none', '.'],
    { cwd: scratch, encoding: 'utf8' },
  );
  const output = `${result.stdout}${result.stderr}`;
  return new Set(
    [...output.matchAll(/^(\S+\.ts):\d+:\d+ lint\/style\/noRestrictedImports/gm)].map((m) => m[1] ?? ''),
  );
}

describe('the dependency rule, enforced by the linter', () => {
  const refused = lintScratchTree();
  for (const edge of EDGES) {
    it(`${edge.file} → ${edge.imports}: ${edge.allowed ? 'allowed' : 'refused'}`, () => {
      expect(refused.has(edge.file)).toBe(!edge.allowed);
    });
  }
});
