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
  /** The operation to fail, or `*` for all of them. */
  operation: DataApiOperation | '*';
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

  addApiFault(fault: ApiFault): void {
    this.#apiFaults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** The fault to answer this call with, if one is armed (consumes one use). */
  takeApiFault(operation: DataApiOperation): ApiFault | undefined {
    const fault = this.#apiFaults.find(
      (f) => f.remaining > 0 && (f.operation === '*' || f.operation === operation),
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
