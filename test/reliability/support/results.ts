import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Measured results of the reliability suite. Every test file records what it ran (cases, outcomes,
 * data lost, partial reads, unhandled errors) into its own JSON file; `scripts/reliability-report.ts`
 * merges them into docs/reliability.{md,json}. Nothing in the report is typed in by hand.
 */

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export function resultsDir(): string {
  return process.env.ZEO_RELIABILITY_RESULTS ?? join(REPO_ROOT, 'node_modules', '.cache', 'zeo-reliability');
}

export interface FaultTally {
  cases: number;
  /** Outcome label → number of cases that reached it. */
  outcomes: Record<string, number>;
  data_lost: number;
  partial_reads: number;
  unhandled: number;
  /** What the fault is and what "defined outcome" means for it (shown in the report). */
  description: string;
  /** The bound the outcome had to be reached within (shown in the report). */
  bound: string;
}

export interface FuzzTally {
  cases: number;
  accepted: number;
  rejected: number;
  unhandled: number;
  /** Rejections whose message did not name the offending field (must be 0). */
  unnamed: number;
  /** Tainted input that reached SQL outside a quoted identifier or literal (must be 0). */
  sql_leaks: number;
  statements_checked: number;
}

export interface ReaderTally {
  server: string;
  reads: number;
  empty: number;
  missing: number;
  partial: number;
  rebuilds: number;
  failed_rebuilds: number;
  seconds: number;
  skipped?: string;
}

export interface SuiteResults {
  suite: string;
  faults: Record<string, FaultTally>;
  fuzz: Record<string, FuzzTally>;
  reader?: ReaderTally;
  findings: string[];
}

export interface FaultCase {
  outcome: string;
  dataLost?: boolean;
  partialReads?: number;
  unhandled?: boolean;
}

/** Collects one test file's measurements and writes them after every change (a failing test keeps what it measured). */
export class Recorder {
  readonly results: SuiteResults;

  constructor(suite: string) {
    this.results = { suite, faults: {}, fuzz: {}, findings: [] };
    this.flush();
  }

  #tally(name: string, meta: { description: string; bound: string }): FaultTally {
    let tally = this.results.faults[name];
    if (!tally) {
      tally = {
        cases: 0,
        outcomes: {},
        data_lost: 0,
        partial_reads: 0,
        unhandled: 0,
        description: meta.description,
        bound: meta.bound,
      };
      this.results.faults[name] = tally;
    }
    return tally;
  }

  fault(name: string, meta: { description: string; bound: string }, c: FaultCase): void {
    const tally = this.#tally(name, meta);
    tally.cases++;
    tally.outcomes[c.outcome] = (tally.outcomes[c.outcome] ?? 0) + 1;
    if (c.dataLost) tally.data_lost++;
    tally.partial_reads += c.partialReads ?? 0;
    if (c.unhandled) tally.unhandled++;
    this.flush();
  }

  /** Many cases of one class at once (e.g. every rebuild of a concurrency run). */
  faultBatch(
    name: string,
    meta: { description: string; bound: string },
    batch: { outcomes: Record<string, number>; dataLost: number; partialReads: number; unhandled: number },
  ): void {
    const tally = this.#tally(name, meta);
    for (const [outcome, n] of Object.entries(batch.outcomes)) {
      tally.cases += n;
      tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + n;
    }
    tally.data_lost += batch.dataLost;
    tally.partial_reads += batch.partialReads;
    tally.unhandled += batch.unhandled;
    this.flush();
  }

  fuzz(surface: string, tally: FuzzTally): void {
    const previous = this.results.fuzz[surface];
    this.results.fuzz[surface] = previous
      ? {
          cases: previous.cases + tally.cases,
          accepted: previous.accepted + tally.accepted,
          rejected: previous.rejected + tally.rejected,
          unhandled: previous.unhandled + tally.unhandled,
          unnamed: previous.unnamed + tally.unnamed,
          sql_leaks: previous.sql_leaks + tally.sql_leaks,
          statements_checked: previous.statements_checked + tally.statements_checked,
        }
      : tally;
    this.flush();
  }

  reader(tally: ReaderTally): void {
    this.results.reader = tally;
    this.flush();
  }

  finding(text: string): void {
    if (!this.results.findings.includes(text)) this.results.findings.push(text);
    this.flush();
  }

  flush(): void {
    mkdirSync(resultsDir(), { recursive: true });
    writeFileSync(
      join(resultsDir(), `${this.results.suite}.json`),
      `${JSON.stringify(this.results, null, 2)}\n`,
    );
  }
}

export function clearResults(): void {
  rmSync(resultsDir(), { recursive: true, force: true });
  mkdirSync(resultsDir(), { recursive: true });
}

export function readAllResults(dir = resultsDir()): SuiteResults[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SuiteResults);
}
