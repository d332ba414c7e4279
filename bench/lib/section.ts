import { writeFileSync } from 'node:fs';

/**
 * Each benchmark section runs in its own Node process (`node --import tsx bench/sections/<x>.ts --out
 * <file> …`): simulations patch timers and mock the SDK, timings want a quiet process, and the peak
 * memory of a process is a figure of its own. A section writes its JSON result to `--out`.
 */

export interface SectionArgs {
  out: string;
  quick: boolean;
  get(name: string): string | undefined;
  number(name: string, fallback: number): number;
  has(name: string): boolean;
}

export function sectionArgs(argv: readonly string[] = process.argv.slice(2)): SectionArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        values.set(arg.slice(2), next);
        i++;
      } else values.set(arg.slice(2), 'true');
    }
  }
  const out = values.get('out');
  if (!out) throw new Error('a section needs --out <file>');
  return {
    out,
    quick: values.has('quick'),
    get: (name) => values.get(name),
    number: (name, fallback) => {
      const v = values.get(name);
      return v === undefined ? fallback : Number(v);
    },
    has: (name) => values.has(name),
  };
}

/** Runs a section body and writes its result (or its error) to `--out`. */
export async function runSection<T>(body: (args: SectionArgs) => Promise<T>): Promise<void> {
  const args = sectionArgs();
  try {
    const result = await body(args);
    writeFileSync(args.out, JSON.stringify(result));
    process.exit(0);
  } catch (error) {
    const message =
      error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    writeFileSync(args.out, JSON.stringify({ error: message }));
    console.error(message);
    process.exit(1);
  }
}
