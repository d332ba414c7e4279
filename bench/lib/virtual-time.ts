/**
 * A discrete-event clock for in-process simulations. While installed, `setTimeout`/`clearTimeout`
 * (the globals aws-local-stepfunctions uses for Wait states and retry intervals) queue callbacks on a
 * virtual timeline instead of the real one. `run()` lets every promise chain settle, then jumps the
 * clock to the earliest pending wake-up and fires it — so concurrent Wait states overlap exactly as
 * they would on AWS, and hours of simulated time cost only the CPU the handlers need.
 *
 * aws-local-stepfunctions also arms a 60-second default timeout around every Task (AWS Standard
 * workflows have none by default); those timers are recognised by their callback and never fire.
 */

interface Timer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

type TimeoutFn = typeof globalThis.setTimeout;
type ClearFn = typeof globalThis.clearTimeout;

const realSetImmediate = globalThis.setImmediate;

/** A fake timer handle: enough of NodeJS.Timeout for code that only passes it back to clearTimeout. */
class VirtualHandle {
  constructor(readonly id: number) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return false;
  }
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

export class VirtualTime {
  #now: number;
  #seq = 0;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  #restore: (() => void) | undefined;
  /** Callbacks fired so far (a measure of simulation work). */
  fired = 0;

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  date(): Date {
    return new Date(this.#now);
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#schedule(Math.max(0, ms), resolve);
    });
  }

  #schedule(ms: number, fn: () => void): number {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + ms, seq: this.#seq++, fn });
    return id;
  }

  install(): void {
    if (this.#restore) return;
    const originalSet = globalThis.setTimeout;
    const originalClear = globalThis.clearTimeout;
    const virtualSet = ((handler: unknown, ms?: number, ...args: unknown[]) => {
      if (typeof handler !== 'function') throw new TypeError('virtual setTimeout needs a function');
      const fn = handler as (...a: unknown[]) => void;
      // The library's default Task timeout: AWS Standard Task states have no default timeout.
      if (fn.toString().includes('StatesTimeoutError')) return new VirtualHandle(0);
      return new VirtualHandle(this.#schedule(Number(ms ?? 0), () => fn(...args)));
    }) as unknown as TimeoutFn;
    const virtualClear = ((handle: unknown) => {
      if (handle instanceof VirtualHandle) this.#timers.delete(handle.id);
      else if (handle !== undefined) originalClear(handle as Parameters<ClearFn>[0]);
    }) as ClearFn;
    globalThis.setTimeout = virtualSet;
    globalThis.clearTimeout = virtualClear;
    this.#restore = () => {
      globalThis.setTimeout = originalSet;
      globalThis.clearTimeout = originalClear;
    };
  }

  uninstall(): void {
    this.#restore?.();
    this.#restore = undefined;
  }

  /** Lets every pending promise chain run (two real macrotask turns). */
  static async quiesce(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => realSetImmediate(resolve));
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /**
   * Advances virtual time event by event until `done()` is true. Throws when nothing is pending but
   * the simulation is not done (a deadlock in the modeled system).
   */
  async run(done: () => boolean, options: { maxVirtualMs?: number } = {}): Promise<void> {
    const limit = this.#now + (options.maxVirtualMs ?? 7 * 24 * 3600_000);
    let idleRounds = 0;
    for (;;) {
      await VirtualTime.quiesce();
      if (done()) return;
      const next = this.#earliest();
      if (!next) {
        // Something real (not virtual) may still be pending; give it a few turns before giving up.
        if (++idleRounds > 50)
          throw new Error('virtual time: nothing scheduled but the simulation is not done');
        await new Promise<void>((resolve) => realSetImmediate(resolve));
        continue;
      }
      idleRounds = 0;
      if (next.at > limit) throw new Error('virtual time: simulation ran past its time limit');
      // Fire every timer due at this instant, in scheduling order.
      this.#now = Math.max(this.#now, next.at);
      const due = [...this.#timers.values()]
        .filter((t) => t.at <= this.#now)
        .sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const t of due) {
        this.#timers.delete(t.id);
        this.fired++;
        t.fn();
      }
    }
  }
}
