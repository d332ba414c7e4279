import { createHash } from 'node:crypto';
import * as z from 'zod';
import { BuildModeInput, IsoTimestamp, RunId, SourceTable, Trigger } from '../contracts/fields.js';
import type { IndexedManifest } from '../graph/plan.js';
import { GroupName } from '../project/schema.js';

/**
 * The state a curated refresh carries from one dispatcher tick to the next (and into a continuation
 * execution). It stays small for any DAG: models are positions in the bundled manifest, the models
 * still to build are a bitset, and only the builds in flight (at most refresh.maxConcurrency) are
 * listed — 5,000 models cost about 0.8 KB of bitset and 13.4 KB of expected durations.
 * Everything a person needs later (outcomes, errors) is in the run log, not here.
 */

/** What every step of a refresh needs to know about it. */
export const RefreshContext = z.strictObject({
  runId: RunId,
  trigger: Trigger,
  startedAt: IsoTimestamp,
  fullRefresh: z.boolean(),
  select: z.string().max(4000).optional(),
  group: GroupName.optional(),
  /** The models downstream of these landing tables (a resync's rebuild). */
  sources: z.array(SourceTable).min(1).max(500).optional(),
  maxConcurrency: z.number().int().min(1).max(40),
});
export type RefreshContext = z.infer<typeof RefreshContext>;

/** A build in flight, or a model waiting for the lease another execution holds (`id` null). */
export const InFlightBuild = z.strictObject({
  /** Position of the model in the manifest. */
  m: z.number().int().min(0),
  mode: BuildModeInput,
  id: z.string().min(1).max(128).nullable(),
  /** Epoch seconds: submitted (or, while waiting for the lease, first asked for it). */
  at: z.number().int().min(0),
  /** Epoch seconds of its next look. */
  due: z.number().int().min(0),
  /** Submissions rolled back by a serialization conflict so far. */
  c: z.number().int().min(0).max(10).optional(),
});
export type InFlightBuild = z.infer<typeof InFlightBuild>;

/** What a tick did, for the person following the run in the console (bounded lists). */
export const TickReport = z.strictObject({
  started: z.array(z.string()).max(40),
  finished: z.array(z.string()).max(80),
  failed: z.array(z.string()).max(80),
  skipped: z.number().int().min(0),
  building: z.array(z.string()).max(40),
  pending: z.number().int().min(0),
});
export type TickReport = z.infer<typeof TickReport>;

export const DispatchState = z.strictObject({
  refresh: RefreshContext,
  /** Which manifest the positions refer to: a continuation on other code fails instead of building the wrong models. */
  manifest: z.string().min(1).max(64),
  /** base64url bitset over manifest positions: selected models not yet submitted. */
  pending: z.string().max(20_000),
  /** Past build durations of the models pending or in flight (encodeDurations). */
  expected: z.string().max(200_000),
  inFlight: z.array(InFlightBuild).max(40),
  /** Ticks of this execution (history budget) and executions so far (continuations). */
  ticks: z.number().int().min(0),
  continuation: z.number().int().min(0),
  /** What the state machine does next, and how long it waits first. */
  next: z.enum(['dispatch', 'wait', 'continue', 'summarize']),
  /** Name of the continuation execution, when `next` is continue. */
  continueAs: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,80}$/)
    .optional(),
  waitSeconds: z.number().int().min(0).max(300),
  last: TickReport,
  /** What the plan decided (counts), shown in the console beside every tick. */
  planned: z
    .strictObject({
      selected: z.number().int().min(0),
      build: z.number().int().min(0),
      deferred: z.number().int().min(0),
      skipped: z.number().int().min(0),
      unchanged: z.number().int().min(0),
      withinTolerance: z.number().int().min(0),
    })
    .optional(),
});
export type DispatchState = z.infer<typeof DispatchState>;

const fingerprints = new WeakMap<IndexedManifest, string>();

/** The execution that continues run `runId` for the n-th time: a valid, unique execution name. */
export function continuationName(runId: string, n: number): string {
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  return `${runId.slice(0, 60)}-${hash}-c${n}`;
}

/** A short hash of the manifest's model list (positions and names). */
export function manifestFingerprint(index: IndexedManifest): string {
  let f = fingerprints.get(index);
  if (f === undefined) {
    const names = index.manifest.models.map((m) => `${m.name}\0${m.definitionHash}`).join('\n');
    f = `${index.manifest.models.length}-${createHash('sha256').update(names).digest('hex').slice(0, 16)}`;
    fingerprints.set(index, f);
  }
  return f;
}

export function encodeBitset(positions: Iterable<number>, size: number): string {
  const bytes = Buffer.alloc(Math.ceil(size / 8));
  for (const p of positions) bytes[p >> 3] = (bytes[p >> 3] ?? 0) | (1 << (p & 7));
  return bytes.toString('base64url');
}

export function decodeBitset(text: string, size: number): Set<number> {
  const bytes = Buffer.from(text, 'base64url');
  const positions = new Set<number>();
  for (let p = 0; p < size; p++) if (((bytes[p >> 3] ?? 0) >> (p & 7)) & 1) positions.add(p);
  return positions;
}

/** Longest duration the state carries (18.2 hours); a longer build is expected at this, then looked at by age. */
export const MAX_EXPECTED_SECONDS = 65_534;

/**
 * Past build durations as two bytes per manifest position (seconds + 1; 0 = none), base64url; empty
 * when no model has one. Fixed width keeps the state's size a function of the manifest alone: 5,000
 * models cost 13.4 KB whatever their durations.
 */
export function encodeDurations(durations: ReadonlyMap<number, number>, size: number): string {
  if (durations.size === 0) return '';
  const bytes = Buffer.alloc(size * 2);
  for (const [p, seconds] of durations) {
    if (p < 0 || p >= size) continue;
    bytes.writeUInt16LE(Math.min(MAX_EXPECTED_SECONDS, Math.max(0, Math.ceil(seconds))) + 1, p * 2);
  }
  return bytes.toString('base64url');
}

export function decodeDurations(text: string, size: number): Map<number, number> {
  const durations = new Map<number, number>();
  if (text === '') return durations;
  const bytes = Buffer.from(text, 'base64url');
  for (let p = 0; p < size && p * 2 + 1 < bytes.length; p++) {
    const value = bytes.readUInt16LE(p * 2);
    if (value > 0) durations.set(p, value - 1);
  }
  return durations;
}

/** Model positions of the manifest by name. */
export function positionsOf(index: IndexedManifest): ReadonlyMap<string, number> {
  let positions = positionCache.get(index);
  if (!positions) {
    positions = new Map(index.manifest.models.map((m, i) => [m.name, i]));
    positionCache.set(index, positions);
  }
  return positions;
}
/** Built once per manifest (a Lambda keeps it across ticks), like the fingerprint. */
const positionCache = new WeakMap<IndexedManifest, Map<string, number>>();
