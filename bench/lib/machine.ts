import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parse } from 'yaml';

/** The machine and the code a benchmark ran on: every absolute time in the report is tied to these. */
export interface MachineInfo {
  cpuModel: string;
  nproc: number;
  memoryGiB: number;
  node: string;
  os: string;
  date: string;
  commit: string;
  dirty: boolean;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpuModel,
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain']).length > 0,
  };
}

/** Memory and architecture of each function, from serverless.yml (function setting over provider's). */
export interface LambdaConfig {
  architecture: string;
  memoryMbByFunction: Record<string, number>;
  defaultMemoryMb: number;
}

export function lambdaConfig(path = 'serverless.yml'): LambdaConfig {
  const file = parse(readFileSync(path, 'utf8')) as {
    provider?: { memorySize?: number; architecture?: string };
    functions?: Record<string, { memorySize?: number }>;
  };
  const defaultMemoryMb = Number(file.provider?.memorySize ?? 1024);
  return {
    architecture: file.provider?.architecture ?? 'x86_64',
    defaultMemoryMb,
    memoryMbByFunction: Object.fromEntries(
      Object.entries(file.functions ?? {}).map(([name, f]) => [
        name,
        Number(f.memorySize ?? defaultMemoryMb),
      ]),
    ),
  };
}
