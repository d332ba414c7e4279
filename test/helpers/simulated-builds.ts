import type { LocalOrchestrator } from '../../local/app.js';
import type { StatementHold } from '../../local/data-api/faults.js';
import { loadDefinitions } from '../../local/sfn/definitions.js';
import { localFunctions } from '../../local/sfn/functions.js';
import { type LocalFunction, LocalStepFunctions } from '../../local/sfn/runner.js';
import type { DispatchState } from '../../shared/refresh/dispatch-state.js';

/**
 * Builds that take simulated time, deterministically, through the real curated-refresh ASL and the
 * real handlers on the embedded stack. Each model's build batch is held in STARTED by the local Data
 * API until the simulated clock has passed its submission plus the model's duration; simulated time
 * moves only by the Wait state's seconds, applied just before the next DispatchBuilds runs (once per
 * tick, not per retried attempt). Before every tick, every build is either held (still running) or has
 * ended, so what a tick sees does not depend on how fast PGlite runs.
 */

const BUILD_NAME = /^zeo:([A-Za-z0-9_-]+):build:([A-Za-z0-9_]+)$/;
const TERMINAL = new Set(['FINISHED', 'FAILED', 'ABORTED']);

export interface BuildStatement {
  runId: string;
  model: string;
  id: string;
  /** Simulated epoch ms the Data API received the batch. */
  submittedAt: number;
  /** Simulated epoch ms it ended (undefined while it runs). */
  endedAt: number | undefined;
  status: string;
}

export interface TickHooks {
  /** Changes the state a tick receives (e.g. the tick count of a long execution). */
  input?: (state: DispatchState) => DispatchState;
  /**
   * Called after a DispatchBuilds attempt returned: throw here to crash the Lambda after its
   * submissions went through (the ASL's Retry then runs the attempt again on the same input).
   */
  after?: (state: DispatchState, result: DispatchState, attempt: number) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SimulatedBuilds {
  readonly holds = new Map<string, StatementHold>();
  #lastTick: string | undefined;
  #attempts = 0;

  /** `durations`: simulated seconds per model (0 or missing: ends at once). */
  constructor(
    readonly app: LocalOrchestrator,
    readonly durations: Readonly<Record<string, number>>,
  ) {
    for (const [model, seconds] of Object.entries(durations)) {
      if (seconds <= 0) continue;
      this.holds.set(
        model,
        app.stack.dataApi.hold((s) => BUILD_NAME.exec(s.statementName ?? '')?.[2] === model),
      );
    }
  }

  /** Every build batch the Data API received, in order (optionally of one run). */
  builds(runId?: string): BuildStatement[] {
    return this.app.stack.dataApi.log.flatMap((l) => {
      const match = l.index === 1 ? BUILD_NAME.exec(l.statementName ?? '') : null;
      if (!match || (runId !== undefined && match[1] !== runId)) return [];
      const described = this.app.stack.dataApi.describe(l.statementId) ?? {};
      const status = String(described.Status ?? 'UNKNOWN');
      return [
        {
          runId: match[1] ?? '',
          model: match[2] ?? '',
          id: l.statementId,
          submittedAt: l.receivedAt.getTime(),
          endedAt: TERMINAL.has(status) ? Number(described.UpdatedAt) * 1000 : undefined,
          status,
        },
      ];
    });
  }

  /** Most builds running at once, from the Data API's records ([received, ended) intervals). */
  maxInFlight(runId?: string): number {
    const builds = this.builds(runId);
    return Math.max(
      0,
      ...builds.map(
        (b) =>
          builds.filter((o) => o.submittedAt <= b.submittedAt && (o.endedAt ?? Infinity) > b.submittedAt)
            .length,
      ),
    );
  }

  /** What happens between two ticks: the wait's simulated time, the builds it lets end. */
  async beforeTick(state: DispatchState): Promise<void> {
    const tick = JSON.stringify(state);
    if (tick !== this.#lastTick) {
      this.#lastTick = tick;
      await this.app.stack.simulator.tick(state.waitSeconds * 1000);
    }
    const now = this.app.stack.clock.now().getTime();
    for (const build of this.builds()) {
      const hold = this.holds.get(build.model);
      const due = build.submittedAt + (this.durations[build.model] ?? 0) * 1000;
      if (hold && build.endedAt === undefined && due <= now) {
        hold.release();
        this.holds.delete(build.model);
      }
    }
    await this.settle();
  }

  /** Until every build has ended or waits on its hold. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5000; i++) {
      const busy = this.builds().filter(
        (b) => b.endedAt === undefined && !this.holds.get(b.model)?.heldIds.includes(b.id),
      );
      if (busy.length === 0) return;
      await sleep(2);
    }
    throw new Error('builds did not settle');
  }

  /** A runner of the real ASL and handlers whose DispatchBuilds goes through `beforeTick` (and `hooks`). */
  runner(hooks: TickHooks = {}): LocalStepFunctions {
    const functions: Record<string, LocalFunction> = localFunctions(
      this.app.stack.identities,
      this.app.wiring,
    );
    const real = functions.dispatchBuilds;
    if (!real) throw new Error('no dispatchBuilds function');
    functions.dispatchBuilds = async (payload) => {
      const state = payload as DispatchState;
      await this.beforeTick(state);
      const input = hooks.input ? hooks.input(state) : state;
      const result = (await real(input)) as DispatchState;
      hooks.after?.(input, result, ++this.#attempts);
      return result;
    };
    return new LocalStepFunctions({
      definitions: loadDefinitions(),
      functions,
      region: this.app.stack.region,
      account: this.app.stack.account,
    });
  }

  release(): void {
    for (const hold of this.holds.values()) hold.release();
    this.holds.clear();
  }
}
