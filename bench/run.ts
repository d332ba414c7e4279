import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lambdaConfig, machineInfo } from './lib/machine.js';
import { type Collected, deriveTargets, markdown, resultsJson } from './lib/report.js';
import type {
  ChangeAwareResult,
  LambdaResult,
  LocalResult,
  PlanningResult,
  PollsResult,
  ReactionResult,
  SimResult,
} from './lib/results.js';
import { refreshStructure } from './lib/structure.js';

/**
 * `npm run bench` — every figure of issue 13 (and the earlier figures of issues 6 and 8), measured,
 * then written to docs/benchmarks.md and bench/results.json. Refreshes run with refresh.maxConcurrency
 * 40 (the schema's maximum) unless a job says otherwise. `npm run bench -- --quick` (< 1 minute) runs
 * 10 and 200 models with their baselines, polls, planning and the Lambda footprint with fewer repeats
 * (reusing an earlier package when there is one), skips the scale sizes, reaction latency and the
 * local-stack timings, and writes bench/results.quick.json and bench/benchmarks.quick.md instead, so
 * it never overwrites the full report. `--skip a,b` leaves sections out (the run then counts as
 * partial and also goes to the quick files).
 *
 * Each section is a separate Node process (bench/sections/*.ts). Simulations run on a virtual clock,
 * so their figures do not depend on CPU speed: they run two at a time. Sections that measure wall
 * time (planning, Lambda initialisation, local stack) run afterwards, one at a time.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const skipArg = argv.find((a) => a.startsWith('--skip'));
const skipped = (skipArg?.includes('=') ? skipArg.split('=')[1] : argv[argv.indexOf('--skip') + 1])
  ?.split(',')
  .filter(Boolean);
const skip = new Set(skipArg ? (skipped ?? []) : []);
const partial = skip.size > 0;
const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;

interface Job {
  key: string;
  section: string;
  args: string[];
  /** Runs alone (measures wall time). */
  timed: boolean;
  expose?: boolean;
}

const SECTION_ENV = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
  NODE_NO_WARNINGS: '1',
  // The Data API steps refuse to run without the warehouse role's name (the modeled Data API never assumes it).
  ZEO_WAREHOUSE_ROLE_ARN: 'arn:aws:iam::123456789012:role/zeo-bench-warehouse',
};

function jobs(): Job[] {
  const sim = (key: string, args: string[]): Job => ({ key, section: 'simulate', args, timed: false });
  const list: Job[] = quick
    ? [
        sim('200', ['--models', '200', '--second-run', '--baselines']),
        sim('10', ['--models', '10', '--baselines']),
        { key: 'polls', section: 'polls', args: [], timed: false },
        { key: 'planning', section: 'planning', args: ['--runs', '7'], timed: true, expose: true },
        { key: 'lambda', section: 'lambda', args: ['--runs', '3', '--reuse'], timed: true },
      ]
    : [
        sim('2000', ['--models', '2000', '--second-run', '--baselines']),
        sim('5000', ['--models', '5000']),
        { key: 'reaction', section: 'reaction', args: [], timed: false },
        sim('500', ['--models', '500']),
        sim('200', ['--models', '200', '--second-run', '--baselines']),
        { key: 'change-aware', section: 'change-aware', args: ['--models', '200'], timed: false },
        sim('200@10', ['--models', '200', '--concurrency', '10']),
        sim('long-builds', ['--flat', '900x100']),
        sim('10', ['--models', '10', '--baselines']),
        { key: 'polls', section: 'polls', args: [], timed: false },
        { key: 'planning', section: 'planning', args: ['--runs', '25'], timed: true, expose: true },
        { key: 'lambda', section: 'lambda', args: ['--runs', '5'], timed: true },
        { key: 'local', section: 'local', args: ['--start-runs', '3', '--e2e-runs', '1'], timed: true },
      ];
  return list.filter((j) => !skip.has(j.key) && !skip.has(j.section));
}

function runJob(job: Job, dir: string): Promise<{ ok: boolean; value: unknown; seconds: number }> {
  const out = join(dir, `${job.key.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        ...(job.expose ? ['--expose-gc'] : []),
        '--import',
        'tsx',
        join(ROOT, 'bench', 'sections', `${job.section}.ts`),
        '--out',
        out,
        ...job.args,
      ],
      { cwd: ROOT, env: { ...process.env, ...SECTION_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    child.stdout.on('data', () => undefined);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        value = { error: `no result (exit ${code}): ${stderr.trim().split('\n').slice(-5).join(' / ')}` };
      }
      const ok = code === 0 && !(typeof value === 'object' && value !== null && 'error' in value);
      resolve({ ok, value, seconds });
    });
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  const dir = mkdtempSync(join(tmpdir(), 'zeo-bench-results-'));
  const collected: Collected = {
    command,
    quick,
    partial,
    machine,
    lambdaConfig: lambdaConfig(join(ROOT, 'serverless.yml')),
    structure: refreshStructure(),
    load: { start: loadavg()[0] ?? 0, end: 0 },
    benchSeconds: 0,
    sims: {},
    errors: {},
    skipped: [
      ...skip,
      ...(quick
        ? [
            'simulations of 500, 2,000 and 5,000 models',
            'change-aware',
            'reaction latency',
            'local stack timings',
          ]
        : []),
    ],
  };
  const store = (job: Job, value: unknown) => {
    switch (job.section) {
      case 'simulate':
        if (job.key === 'long-builds') collected.longBuilds = value as SimResult;
        else collected.sims[job.key] = value as SimResult;
        return;
      case 'polls':
        collected.polls = value as PollsResult;
        return;
      case 'change-aware':
        collected.changeAware = value as ChangeAwareResult;
        return;
      case 'planning':
        collected.planning = value as PlanningResult;
        return;
      case 'lambda':
        collected.lambda = value as LambdaResult;
        return;
      case 'reaction':
        collected.reaction = value as ReactionResult;
        return;
      case 'local':
        collected.local = value as LocalResult;
        return;
    }
  };
  const record = (job: Job, result: { ok: boolean; value: unknown; seconds: number }) => {
    const status = result.ok ? 'done' : 'FAILED';
    console.log(`  ${status.padEnd(6)} ${job.key.padEnd(14)} ${result.seconds.toFixed(1).padStart(6)} s`);
    if (result.ok) store(job, result.value);
    else collected.errors[job.key] = String((result.value as { error?: unknown }).error ?? 'failed');
  };

  const all = jobs();
  const parallel = all.filter((j) => !j.timed);
  const sequential = all.filter((j) => j.timed);
  const workers = Math.max(1, Math.min(2, machine.nproc));
  console.log(
    `zeo bench${quick ? ' --quick' : ''}: ${parallel.length} simulations (${workers} at a time), then ${sequential.length} timed sections`,
  );
  const queue = [...parallel];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) record(job, await runJob(job, dir));
    }),
  );
  for (const job of sequential) record(job, await runJob(job, dir));
  rmSync(dir, { recursive: true, force: true });

  collected.benchSeconds = (performance.now() - started) / 1000;
  collected.load.end = loadavg()[0] ?? 0;
  const targets = deriveTargets(collected);
  const json = resultsJson(collected, targets);
  const md = markdown(collected, targets);
  const toQuick = quick || partial;
  const jsonPath = join(ROOT, 'bench', toQuick ? 'results.quick.json' : 'results.json');
  const mdPath = toQuick ? join(ROOT, 'bench', 'benchmarks.quick.md') : join(ROOT, 'docs', 'benchmarks.md');
  mkdirSync(dirname(mdPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(mdPath, md);
  // The repository lints every JSON file with Biome: write results.json in its format.
  const biome = spawnSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', jsonPath], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (biome.status !== 0) console.warn(`biome could not format ${jsonPath}: ${biome.stderr}`);
  console.log(
    `\nwrote ${jsonPath.replace(`${ROOT}/`, '')} and ${mdPath.replace(`${ROOT}/`, '')} in ${collected.benchSeconds.toFixed(0)} s`,
  );
  for (const t of targets)
    console.log(
      `  ${t.met === null ? '—      ' : t.met ? 'met    ' : 'NOT met'} ${t.issue === 13 ? '' : `(issue ${t.issue}) `}${t.id} ${t.figure}: ${t.measured} (must reach ${t.target}${t.goal ? `; goal ${t.goal}${t.goalMet ? ' met' : ' not met'}` : ''})`,
    );
  if (Object.keys(collected.errors).length > 0) {
    console.error(`\nsections failed: ${Object.keys(collected.errors).join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
