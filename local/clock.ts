/**
 * Time for the local stack. Everything that AWS does "later" (an integration becoming active, a table
 * finishing its resync, timestamps in system views) reads this clock, so a test or the scripted
 * scenario can move hours of simulated time in milliseconds of real time.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; starts at the real time unless given a start. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date | number = Date.now()) {
    this.#ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot move the clock by ${ms} ms`);
    this.#ms += ms;
    return this.now();
  }

  set(to: Date): void {
    this.#ms = to.getTime();
  }
}

export const isManualClock = (clock: Clock): clock is ManualClock => clock instanceof ManualClock;

/** `timestamp without time zone` text in UTC, the way Redshift system views store times. */
export const utcTimestamp = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');
