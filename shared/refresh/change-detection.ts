import { createHash } from 'node:crypto';
import type { IndexedManifest } from '../graph/plan.js';
import type { TableState } from '../sql/landing-state.js';

/**
 * Decides, for a whole refresh at once, which selected models must be built and which can be left as
 * they are — from two reads: the landing tables' replication positions and the bookkeeping's record of
 * what each model was last built from. A model is skipped only when its definition, the positions of
 * the landing tables it reads and the builds of its upstream models are all exactly what its current
 * table was built from. Anything unknown means rebuild.
 *
 * Builds are identified by content, like a Merkle tree: a build's inputs hash covers its definition,
 * its sources' positions and its upstream builds' inputs hashes. Two executions that build the same
 * model from the same data therefore agree on the hash, which is how a refresh that waited for another
 * one's build of a model can tell it has nothing left to do.
 */

/** What the bookkeeping says about a model's current table. */
export interface BuiltState {
  definitionHash: string;
  buildId: string | null;
  inputsHash: string | null;
  lastSuccessAt: Date | null;
  /** How long its last successful build took (transaction start to its last statement), when recorded. */
  lastDurationSeconds?: number;
}

/** What a build is made from; its hash is what the next refresh compares. */
export interface BuildInputs {
  definition: string;
  /** `schema.table` → replication position. */
  sources: Record<string, string>;
  /** upstream model → inputs hash of the upstream build this one reads. */
  upstream: Record<string, string>;
}

export type ChangeDecision =
  | {
      model: string;
      action: 'build';
      buildId: string;
      inputs: BuildInputs;
      inputsHash: string;
      reason: string;
    }
  | { model: string; action: 'unchanged' | 'within_tolerance'; reason: string };

export interface ChangeDetectionInput {
  index: IndexedManifest;
  runId: string;
  /** Selected models that will be considered, in topological order (deferred ones already removed). */
  models: readonly string[];
  states: ReadonlyMap<string, TableState>;
  built: ReadonlyMap<string, BuiltState>;
  fullRefresh: boolean;
  now: Date;
}

export function inputsHash(inputs: BuildInputs): string {
  const canonical = JSON.stringify({
    definition: inputs.definition,
    sources: Object.entries(inputs.sources).sort(([a], [b]) => (a < b ? -1 : 1)),
    upstream: Object.entries(inputs.upstream).sort(([a], [b]) => (a < b ? -1 : 1)),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export const buildIdOf = (runId: string, model: string) => `${runId}:${model}`;

export function decideChanges(input: ChangeDetectionInput): Map<string, ChangeDecision> {
  const { index, runId, states, built, now } = input;
  const decisions = new Map<string, ChangeDecision>();
  for (const name of input.models) {
    const model = index.model(name);
    const buildId = buildIdOf(runId, name);
    const previous = built.get(name);
    const unknown: string[] = [];
    const sources: Record<string, string> = {};
    for (const table of model.sources) {
      const position = states.get(table)?.position;
      if (position) sources[table] = position;
      else {
        // An unknown position never equals anything recorded: the build's inputs are unique to this run.
        sources[table] = `unknown:${buildId}`;
        unknown.push(`position of ${table} unknown`);
      }
    }
    const upstream: Record<string, string> = {};
    const rebuiltUpstream: string[] = [];
    for (const up of index.dag.upstream.get(name) ?? []) {
      const decided = decisions.get(up);
      if (decided?.action === 'build') {
        upstream[up] = decided.inputsHash;
        rebuiltUpstream.push(up);
        continue;
      }
      const id = built.get(up)?.inputsHash;
      if (id) upstream[up] = id;
      else {
        upstream[up] = `unknown:${buildId}`;
        unknown.push(`build of upstream ${up} unknown`);
      }
    }
    const inputs: BuildInputs = { definition: model.definitionHash, sources, upstream };
    const hash = inputsHash(inputs);
    const build = (reason: string): ChangeDecision => ({
      model: name,
      action: 'build',
      buildId,
      inputs,
      inputsHash: hash,
      reason,
    });
    let decision: ChangeDecision;
    if (input.fullRefresh) decision = build('full refresh requested');
    else if (!previous?.inputsHash) decision = build('no record of what the current table was built from');
    else if (previous.definitionHash !== model.definitionHash) decision = build('definition changed');
    else if (unknown.length > 0) decision = build(unknown.join('; '));
    else if (previous.inputsHash === hash)
      decision = {
        model: name,
        action: 'unchanged',
        reason: 'sources, upstream builds and definition unchanged',
      };
    else {
      const why =
        rebuiltUpstream.length > 0
          ? `upstream rebuilt: ${rebuiltUpstream.join(', ')}`
          : 'landing data changed';
      const tolerance = model.lagToleranceSeconds;
      const age = previous.lastSuccessAt
        ? (now.getTime() - previous.lastSuccessAt.getTime()) / 1000
        : Number.POSITIVE_INFINITY;
      decision =
        tolerance !== null && age < tolerance
          ? {
              model: name,
              action: 'within_tolerance',
              reason: `${why}; last build ${Math.round(age / 60)} min ago is within lag_tolerance`,
            }
          : build(why);
    }
    decisions.set(name, decision);
  }
  return decisions;
}
