import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'zeo.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real bin, run from `cwd` as a user would (no colors); never throws, the exit code is in the result. */
export async function zeoIn(cwd: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The real bin, run from the repository. */
export function zeo(...args: string[]): Promise<CliResult> {
  return zeoIn(process.cwd(), ...args);
}

export const SHOP = ['-p', 'examples/shop/curated'];
