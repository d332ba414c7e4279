import type { DataApiErrorType } from './errors.js';

/** Test hooks of the local Data API: error bursts, statements held in STARTED, statement failures. */

export type DataApiOperation =
  | 'ExecuteStatement'
  | 'BatchExecuteStatement'
  | 'DescribeStatement'
  | 'GetStatementResult'
  | 'CancelStatement'
  | 'ListStatements';

export interface ApiFault {
  /**
   * The operation to fail, several sharing one count (e.g. both submissions: the next N submissions
   * fail, whichever operation makes them), or `*` for all of them.
   */
  operation: DataApiOperation | readonly DataApiOperation[] | '*';
  errorType: DataApiErrorType;
  /** How many calls fail (default 1). */
  times?: number;
  message?: string;
}

/** What a hold or failure predicate sees of a statement. */
export interface StatementInfo {
  id: string;
  sqls: readonly string[];
  statementName?: string;
}

export interface StatementFailure {
  match?: (statement: StatementInfo) => boolean;
  /** The Data API `Error` text, e.g. `ERROR: could not serialize access due to concurrent update`. */
  error: string;
  times?: number;
}

/**
 * Matching statements report STARTED for their first `looks` looks (each DescribeStatement of them, each
 * ListStatements page that lists them), whatever they really reached: a long-running statement without
 * real waiting, so a test can count how often the caller looks. They run as usual meanwhile.
 */
export interface StatementDelay {
  match?: (statement: StatementInfo) => boolean;
  looks: number;
  /** How many statements it applies to (default: every matching one until cleared). */
  times?: number;
}

/** Statements that match stay STARTED (before touching the database) until `release()`. */
export interface StatementHold {
  release(): void;
  /** Ids of the statements currently waiting on this hold. */
  readonly heldIds: readonly string[];
  /** Resolves once `count` statements are waiting on this hold. */
  waitUntilHeld(count?: number): Promise<void>;
}

export class FaultBook {
  #apiFaults: (ApiFault & { remaining: number })[] = [];
  #failures: (StatementFailure & { remaining: number })[] = [];
  #holds: HoldImpl[] = [];
  #delays: (StatementDelay & { remaining: number })[] = [];

  addApiFault(fault: ApiFault): void {
    this.#apiFaults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** The fault to answer this call with, if one is armed (consumes one use). */
  takeApiFault(operation: DataApiOperation): ApiFault | undefined {
    const fault = this.#apiFaults.find(
      (f) =>
        f.remaining > 0 &&
        (f.operation === '*' ||
          f.operation === operation ||
          (Array.isArray(f.operation) && f.operation.includes(operation))),
    );
    if (fault) fault.remaining--;
    return fault;
  }

  addFailure(failure: StatementFailure): void {
    this.#failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  takeFailure(statement: StatementInfo): string | undefined {
    const failure = this.#failures.find((f) => f.remaining > 0 && (f.match?.(statement) ?? true));
    if (failure) failure.remaining--;
    return failure?.error;
  }

  addDelay(delay: StatementDelay): void {
    this.#delays.push({ ...delay, remaining: delay.times ?? Number.POSITIVE_INFINITY });
  }

  /** How many looks a newly submitted statement answers STARTED (0 without a matching delay). */
  takeDelay(statement: StatementInfo): number {
    const delay = this.#delays.find((d) => d.remaining > 0 && (d.match?.(statement) ?? true));
    if (!delay) return 0;
    delay.remaining--;
    return delay.looks;
  }

  hold(match: (statement: StatementInfo) => boolean): StatementHold {
    const hold = new HoldImpl(match, () => {
      this.#holds = this.#holds.filter((h) => h !== hold);
    });
    this.#holds.push(hold);
    return hold;
  }

  /** Waits on every active hold that matches; resolves early when `aborted` resolves. */
  async waitForHolds(statement: StatementInfo, aborted: Promise<void>): Promise<void> {
    const matching = this.#holds.filter((h) => h.match(statement));
    await Promise.race([Promise.all(matching.map((h) => h.wait(statement.id))), aborted]);
    for (const h of matching) h.forget(statement.id);
  }

  clear(): void {
    this.#apiFaults = [];
    this.#failures = [];
    this.#delays = [];
    for (const hold of [...this.#holds]) hold.release();
  }
}

class HoldImpl implements StatementHold {
  #released = false;
  #release: () => void = () => undefined;
  readonly #gate: Promise<void>;
  readonly #held = new Set<string>();
  #watchers: { count: number; resolve: () => void }[] = [];

  constructor(
    readonly match: (statement: StatementInfo) => boolean,
    private readonly onRelease: () => void,
  ) {
    this.#gate = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
  }

  get heldIds(): readonly string[] {
    return [...this.#held];
  }

  wait(id: string): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#held.add(id);
    this.#watchers = this.#watchers.filter((w) => {
      if (this.#held.size < w.count) return true;
      w.resolve();
      return false;
    });
    return this.#gate;
  }

  forget(id: string): void {
    this.#held.delete(id);
  }

  waitUntilHeld(count = 1): Promise<void> {
    if (this.#held.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ count, resolve }));
  }

  release(): void {
    this.#released = true;
    this.#release();
    this.onRelease();
  }
}
