import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { registerGraphCommand } from '../../cli/commands/graph.js';
import { registerInitCommand } from '../../cli/commands/init.js';
import { registerProjectCommands } from '../../cli/commands/project.js';
import { reportError } from '../../cli/output.js';
import { ProjectValidationError } from '../../shared/errors.js';
import { Recorder } from './support/results.js';
import { canary } from './support/sql-taint.js';

/**
 * Property-based tests over the `zeo` command line: the real commands (validate, compile, plan, sql,
 * graph, init) registered on a Commander program exactly as cli/main.ts does, fed generated argument
 * lists, errors handled as main.ts handles them. Every run ends in success, a usage error or a
 * reported error that names the offending option, argument, value or project field; never a raw
 * internal error. `local scenario` is not fuzzed (it starts the whole stack); files are only ever
 * written below a scratch folder.
 */

const recorder = new Recorder('fuzz-cli');
const SEED = Number(process.env.ZEO_RELIABILITY_SEED ?? 20261123);
const RUNS = Number(process.env.ZEO_RELIABILITY_FUZZ_SCALE ?? 1);
const scratch = mkdtempSync(join(tmpdir(), 'zeo-cli-fuzz-'));
const notADir = join(scratch, 'a-file.txt');
writeFileSync(notADir, 'not a project');

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  error?: unknown;
}

/** cli/main.ts, in-process: the same program, the same error handling, output captured. */
async function zeo(args: readonly string[]): Promise<RunResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const program = new Command()
    .name('zeo')
    .option('--verbose', 'print stack traces on errors')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => stdout.push(s), writeErr: (s) => stderr.push(s) });
  registerProjectCommands(program);
  registerGraphCommand(program);
  registerInitCommand(program);
  const saved = {
    log: console.log,
    error: console.error,
    warn: console.warn,
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
    exitCode: process.exitCode,
  };
  const capture =
    (into: string[]) =>
    (...parts: unknown[]) => {
      into.push(parts.map(String).join(' '));
      return true;
    };
  console.log = capture(stdout);
  console.error = capture(stderr);
  console.warn = capture(stderr);
  process.stdout.write = capture(stdout) as typeof process.stdout.write;
  process.stderr.write = capture(stderr) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code = 0;
  let error: unknown;
  try {
    await program.parseAsync(['node', 'zeo', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (caught) {
    error = caught;
    if (caught instanceof CommanderError) code = caught.exitCode === 0 ? 0 : 2;
    else code = reportError(caught, false);
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    console.warn = saved.warn;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join(''), error };
}

// ---- Generators ---------------------------------------------------------------------------------------

let seq = 1;
const hostile = fc
  .tuple(
    fc.constantFrom('', "'", '"', ';', ' ', '--', '-', '+', ',', '..', '/', '\\', '*', 'é', '\n', '%s', '%n'),
    fc.boolean(),
  )
  .map(([a, dash]) => `${dash ? '-' : ''}${canary(seq++)}${a}`);
const scratchPath = (suffix: string) => fc.nat(1_000_000).map((n) => join(scratch, `p${n}${suffix}`));
const projectDir = fc.oneof(
  fc.constantFrom(
    'examples/shop/curated',
    'test/fixtures/projects/broken',
    notADir,
    join(scratch, 'missing'),
    '',
  ),
  hostile,
);
const MODELS = ['fct_orders', 'dim_customers', 'daily_revenue', 'mv_payment_methods', 'stg_payments'];
const selector = fc.oneof(
  fc.constantFrom(
    ...MODELS,
    'fct_orders+',
    '+fct_orders',
    'source:public.orders+',
    'group:hourly',
    '*',
    'fct_orders, nope',
    'source:nope.x+',
    'group:',
    '+',
    '',
  ),
  hostile,
);
const option = fc.oneof(
  fc.tuple(fc.constantFrom('-p', '--project'), projectDir).map((o) => [...o]),
  fc.tuple(fc.constantFrom('-s', '--select'), selector).map((o) => [...o]),
  fc
    .tuple(
      fc.constantFrom('-g', '--group'),
      fc.oneof(fc.constantFrom('hourly', 'nightly', 'weekly'), hostile),
    )
    .map((o) => [...o]),
  fc
    .tuple(
      fc.constantFrom('-m', '--mode'),
      fc.oneof(fc.constantFrom('full', 'merge', 'create_view', 'refresh_view', 'bogus'), hostile),
    )
    .map((o) => [...o]),
  fc
    .tuple(fc.constantFrom('-f', '--format'), fc.constantFrom('mermaid', 'dot', 'svg', 'json', 'png', ''))
    .map((o) => [...o]),
  fc
    .tuple(
      fc.constantFrom('-o', '--out'),
      fc.oneof(
        scratchPath('.json'),
        scratchPath('.dot'),
        scratchPath('.md'),
        scratchPath('.mmd'),
        scratchPath('.txt'),
      ),
    )
    .map((o) => [...o]),
  fc
    .tuple(fc.constantFrom('-n', '--name'), fc.oneof(fc.constantFrom('acme', 'Bad Name', ''), hostile))
    .map((o) => [...o]),
  fc.constantFrom(['--json'], ['--verbose'], ['--help'], ['-p'], ['--select'], ['--zz-unknown'], ['-x']),
  hostile.map((h) => [h]),
);
const command = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('validate', 'compile', 'plan', 'sql', 'graph') },
  { weight: 1, arbitrary: fc.constantFrom('init', 'help', 'vaildate', '', '--help') },
  { weight: 1, arbitrary: hostile },
);

/** Most runs name a real project, so the commands get past loading it. */
const projectArg = fc.oneof(
  { weight: 6, arbitrary: fc.constant(['-p', 'examples/shop/curated']) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-p', '--project'), projectDir).map((o) => [...o]) },
  { weight: 1, arbitrary: fc.constant<string[]>([]) },
);

const argv = fc
  .tuple(
    command,
    fc.option(fc.oneof(fc.constantFrom(...MODELS, 'nope'), hostile), { freq: 3 }),
    projectArg,
    fc.array(option, { maxLength: 3 }),
  )
  .map(([cmd, positional, project, options]) => {
    const args = [cmd, ...(cmd === 'init' ? [] : project)];
    if (cmd === 'init') {
      // init writes files: only ever into the scratch folder.
      args.push(join(scratch, `init-${seq++}`));
      return [...args, ...options.filter((o) => o[0] === '-n' || o[0] === '--name').flat()];
    }
    if (positional !== null && cmd === 'sql') args.push(positional);
    // --out writes files: keep every path in the scratch folder.
    return [...args, ...options.flat()];
  });

/** Raw errors that must never reach a user: a bug, not a refusal. */
function isInternal(error: unknown): boolean {
  if (!(error instanceof Error)) return error !== undefined;
  if (error instanceof CommanderError || error instanceof ProjectValidationError) return false;
  if (
    ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'ZodError', 'AssertionError'].includes(
      error.name,
    )
  )
    return true;
  return (
    typeof (error as { code?: unknown }).code === 'string' &&
    /^E[A-Z]+$/.test(String((error as { code?: unknown }).code))
  );
}

/** A rejection names what was wrong: an option, argument or value from the command line, or a file and field. */
function namesTheField(args: readonly string[], result: RunResult): boolean {
  const text = `${result.stderr}\n${result.error instanceof Error ? result.error.message : ''}`;
  if (result.error instanceof ProjectValidationError) {
    return result.error.issues.every(
      // The file names something visible (an empty -p value used to give ": project folder not found").
      (i) =>
        i.file.trim().length > 0 && (i.field !== undefined || i.line !== undefined || i.message.length > 0),
    );
  }
  const pieces = args.flatMap((a) => [a, ...a.split(/[,\s]+/)]).filter((p) => p.trim().length > 0);
  // A value is named when it appears quoted; longer tokens (options, paths) also when they appear as they are.
  if (pieces.some((p) => text.includes(`'${p.trim()}'`) || (p.trim().length > 1 && text.includes(p))))
    return true;
  // Commander names the option by its flags (e.g. `-p, --project <dir>`) or the command by name.
  return /option '|argument '|command '|unknown option|too many arguments|missing required/.test(text);
}

describe('Fuzz: CLI arguments', () => {
  it('every argument list ends in success, a usage error or a reported error naming the culprit', async () => {
    const tally = {
      cases: 0,
      accepted: 0,
      rejected: 0,
      unhandled: 0,
      unnamed: 0,
      sql_leaks: 0,
      statements_checked: 0,
    };
    const problems: string[] = [];
    const byCommand = new Map<string, { ok: number; rejected: number }>();
    try {
      await fc.assert(
        fc.asyncProperty(argv, async (args) => {
          tally.cases++;
          const result = await zeo(args);
          const known = ['validate', 'compile', 'plan', 'sql', 'graph', 'init'];
          const key = known.includes(args[0] ?? '') ? (args[0] ?? '') : 'other';
          const entry = byCommand.get(key) ?? { ok: 0, rejected: 0 };
          if (result.code === 0) entry.ok++;
          else entry.rejected++;
          byCommand.set(key, entry);
          if (isInternal(result.error)) {
            tally.unhandled++;
            problems.push(
              `${JSON.stringify(args)} → ${(result.error as Error).name}: ${(result.error as Error).message}`,
            );
            return false;
          }
          if (result.code === 0) {
            tally.accepted++;
            return true;
          }
          tally.rejected++;
          if (result.code !== 1 && result.code !== 2) {
            problems.push(`${JSON.stringify(args)} → exit ${result.code}`);
            return false;
          }
          if (!namesTheField(args, result)) {
            tally.unnamed++;
            problems.push(`${JSON.stringify(args)} → ${result.stderr.slice(0, 300)}`);
            return false;
          }
          return true;
        }),
        { numRuns: 1500 * RUNS, seed: SEED + 30, endOnFailure: true },
      );
    } finally {
      recorder.fuzz('CLI arguments', tally);
      recorder.finding(
        `CLI fuzzing by command (exit 0 / rejected): ${[...byCommand].map(([k, v]) => `${k} ${v.ok}/${v.rejected}`).join(', ')}`,
      );
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(tally.accepted).toBeGreaterThan(50);
    expect(tally.rejected).toBeGreaterThan(50);
  });
});
