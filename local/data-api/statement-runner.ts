import type { Clock } from '../clock.js';
import type { EventHub } from '../events.js';
import type { LocalRedshift, StatementOutcome } from '../warehouse/local-redshift.js';
import type { FaultBook, StatementInfo } from './faults.js';
import type { BoundStatement } from './parameters.js';
import { isTerminal, type StatementRecord, type StatementStatus } from './statements.js';

/**
 * Runs accepted statements against the warehouse after the reply went out, moving them through
 * SUBMITTED → PICKED → STARTED → FINISHED | FAILED | ABORTED. Latency and holds keep a statement in
 * STARTED without touching the database (so other statements still run); cancellation before the
 * database is reached ends it at once, afterwards at the next statement boundary (rolled back).
 */

export interface StatementRunnerOptions {
  warehouse: LocalRedshift;
  clock: Clock;
  faults: FaultBook;
  /** Real milliseconds each statement waits before running (read for every statement). */
  latencyMs: () => number;
  events?: EventHub;
  region: string;
  account: string;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

export class StatementRunner {
  readonly #options: StatementRunnerOptions;
  readonly #aborts = new Map<string, () => void>();

  constructor(options: StatementRunnerOptions) {
    this.#options = options;
  }

  start(
    record: StatementRecord,
    bound: readonly BoundStatement[],
    mode: 'TRANSACTION' | 'AUTO_COMMIT',
  ): void {
    const aborted = new Promise<void>((resolve) => this.#aborts.set(record.id, resolve));
    void this.#run(record, bound, mode, aborted).finally(() => this.#aborts.delete(record.id));
  }

  /** Requests cancellation; false when the statement already ended. */
  abort(record: StatementRecord): boolean {
    if (isTerminal(record.status)) return false;
    record.abortRequested = true;
    this.#aborts.get(record.id)?.();
    return true;
  }

  #touch(record: StatementRecord, status?: StatementStatus): void {
    if (status) record.status = status;
    record.updatedAt = this.#options.clock.now();
  }

  async #run(
    record: StatementRecord,
    bound: readonly BoundStatement[],
    mode: 'TRANSACTION' | 'AUTO_COMMIT',
    aborted: Promise<void>,
  ): Promise<void> {
    const { clock, faults, warehouse } = this.#options;
    const start = process.hrtime.bigint();
    try {
      // The reply goes out first: statements run asynchronously, as on Redshift.
      await nextMacrotask();
      if (!record.abortRequested) this.#touch(record, 'PICKED');
      await nextMacrotask();
      if (!record.abortRequested) this.#touch(record, 'STARTED');
      const info: StatementInfo = {
        id: record.id,
        sqls: record.subs.map((s) => s.sql),
        ...(record.statementName === undefined ? {} : { statementName: record.statementName }),
      };
      const latency = this.#options.latencyMs();
      if (latency > 0 && !record.abortRequested) await Promise.race([sleep(latency), aborted]);
      if (!record.abortRequested) await faults.waitForHolds(info, aborted);
      if (record.abortRequested) {
        this.#end(record, 'ABORTED', start);
        return;
      }
      const injected = faults.takeFailure(info);
      if (injected !== undefined) {
        const first = record.subs[0];
        if (first) Object.assign(first, { status: 'FAILED', error: injected, updatedAt: clock.now() });
        this.#end(record, 'FAILED', start, injected);
        return;
      }
      const outcome = await warehouse.execute(
        {
          database: record.target.database,
          user: record.owner.databaseUser,
          statements: bound.map((b) => ({ sql: b.sql, params: b.params })),
          mode,
        },
        {
          isAborted: () => record.abortRequested,
          onStatementStart: (index, at) => {
            const sub = record.subs[index];
            if (sub) Object.assign(sub, { status: 'STARTED', updatedAt: at });
            this.#touch(record);
          },
          onStatementEnd: (index, result) => this.#subEnded(record, index, result),
        },
      );
      const failed = record.subs.find((s) => s.status === 'FAILED');
      if (outcome.aborted) this.#end(record, 'ABORTED', start);
      else if (failed) this.#end(record, 'FAILED', start, failed.error);
      else this.#end(record, 'FINISHED', start);
    } catch (error) {
      this.#end(record, 'FAILED', start, `ERROR: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #subEnded(record: StatementRecord, index: number, outcome: StatementOutcome): void {
    const sub = record.subs[index];
    if (!sub) return;
    sub.status = outcome.status;
    sub.updatedAt = outcome.endedAt ?? this.#options.clock.now();
    sub.durationNs = outcome.durationNs ?? 0;
    if (outcome.error !== undefined) sub.error = outcome.error;
    if (outcome.result) sub.result = outcome.result;
    this.#touch(record);
  }

  #end(
    record: StatementRecord,
    status: 'FINISHED' | 'FAILED' | 'ABORTED',
    start: bigint,
    error?: string,
  ): void {
    const now = this.#options.clock.now();
    for (const sub of record.subs) {
      if (!isTerminal(sub.status)) Object.assign(sub, { status: 'ABORTED', updatedAt: now });
    }
    record.durationNs = Number(process.hrtime.bigint() - start);
    if (error !== undefined) record.error = error;
    this.#touch(record, status);
    record.markDone();
    if (record.withEvent) this.#announce(record);
  }

  /** `aws.redshift-data` "Redshift Data Statement Status Change" (facts §5.4). */
  #announce(record: StatementRecord): void {
    const { region, account, clock, events } = this.#options;
    const t = record.target;
    const resource =
      t.workgroupName !== undefined
        ? `arn:aws:redshift-serverless:${region}:${account}:workgroup/${t.workgroupName}`
        : `arn:aws:redshift:${region}:${account}:cluster:${t.clusterIdentifier ?? ''}`;
    events?.emit({
      source: 'aws.redshift-data',
      detailType: 'Redshift Data Statement Status Change',
      time: clock.now(),
      resources: [resource],
      detail: {
        principal: record.owner.arn,
        ...(record.statementName === undefined ? {} : { statementName: record.statementName }),
        statementId: record.id,
        redshiftQueryId: -1,
        state: record.status,
        rows: record.subs.reduce((n, s) => n + Math.max(0, s.result?.rowCount ?? 0), 0),
        expireAt: Math.floor(clock.now().getTime() / 1000) + 86_400,
      },
    });
  }
}
