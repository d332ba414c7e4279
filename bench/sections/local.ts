import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { LocalResult } from '../lib/results.js';
import { runSection } from '../lib/section.js';
import { median } from '../lib/stats.js';

/**
 * The embedded local stack as a user meets it: wall time and peak memory of `npm start` (the scripted
 * scenario) and of the local end-to-end tests (`npx vitest run test/e2e`). Peak memory is the maximum
 * resident set size of the process tree, from GNU time (`/usr/bin/time -v`) when present.
 */

const GNU_TIME = '/usr/bin/time';

interface Timed {
  seconds: number;
  peakRssMb: number;
  ok: boolean;
  stdout: string;
}

function timed(command: string, commandArgs: string[]): Timed {
  const useTime = existsSync(GNU_TIME);
  const started = performance.now();
  const result = useTime
    ? spawnSync(GNU_TIME, ['-v', command, ...commandArgs], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr ?? '');
  return {
    seconds,
    peakRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
    ok: result.status === 0,
    stdout: result.stdout ?? '',
  };
}

await runSection(async (args): Promise<LocalResult> => {
  const startRuns = args.number('start-runs', 3);
  const e2eRuns = args.number('e2e-runs', 1);
  const start: Timed[] = [];
  for (let i = 0; i < startRuns; i++) start.push(timed('npm', ['start']));
  const e2e: Timed[] = [];
  for (let i = 0; i < e2eRuns; i++) e2e.push(timed('npx', ['vitest', 'run', 'test/e2e']));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colours of vitest's summary
  const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
  return {
    start: {
      runs: start.map((r) => r.seconds),
      medianSeconds: median(start.map((r) => r.seconds)),
      peakRssMb: start.map((r) => r.peakRssMb),
      ok: start.map((r) => r.ok),
    },
    e2e: {
      runs: e2e.map((r) => r.seconds),
      medianSeconds: median(e2e.map((r) => r.seconds)),
      peakRssMb: e2e.map((r) => r.peakRssMb),
      ok: e2e.map((r) => r.ok),
      summary: e2e.map((r) =>
        plain(r.stdout)
          .split('\n')
          .filter((l) => /^\s*(Test Files|Tests)\s/.test(l))
          .map((l) => l.trim())
          .join('; '),
      ),
    },
  };
});
