import { SelectorError, UnknownModelError } from '../errors.js';
import type { Manifest, ManifestModel } from '../project/manifest.js';
import { buildDag, type Dag, downstreamOfSources, topologicalLevels } from './dag.js';
import { type SelectionContext, selectModels } from './select.js';

/** A manifest with its DAG built once, for planning and lookups. */
export interface IndexedManifest {
  manifest: Manifest;
  dag: Dag;
  model(name: string): ManifestModel;
  selection: SelectionContext;
}

export function indexManifest(manifest: Manifest): IndexedManifest {
  const byName = new Map(manifest.models.map((m) => [m.name, m]));
  const dag = buildDag(manifest.models);
  return {
    manifest,
    dag,
    model(name) {
      const model = byName.get(name);
      if (!model) throw new UnknownModelError(name);
      return model;
    },
    selection: {
      dag,
      groupOf: (name) => byName.get(name)?.group,
      groups: Object.keys(manifest.project.groups),
      sources: manifest.sources,
    },
  };
}

export interface PlanRequest {
  /** dbt-style selector; none = every model. */
  select?: string;
  /** Shorthand for `group:<name>`, combined with `select` by intersection when both are given. */
  group?: string;
  /**
   * The models downstream of these landing tables (`source:<table>+` for each, a table no model reads
   * adding nothing), combined with the rest by intersection: a list, so a resync of hundreds of tables
   * does not need a selector string that grows with them.
   */
  sources?: readonly string[];
}

export interface RefreshPlan {
  /** Topological levels of the selected models, each sorted. */
  levels: string[][];
  modelCount: number;
}

export function selectForRequest(index: IndexedManifest, request: PlanRequest): Set<string> {
  let selected = request.select ? selectModels(index.selection, request.select) : new Set(index.dag.names);
  if (request.group !== undefined) {
    if (!index.selection.groups.includes(request.group)) {
      throw new SelectorError(`unknown group '${request.group}'`);
    }
    const inGroup = selectModels(index.selection, `group:${request.group}`);
    selected = new Set([...selected].filter((n) => inGroup.has(n)));
  }
  if (request.sources !== undefined) {
    const downstream = downstreamOfSources(index.dag, request.sources);
    selected = new Set([...selected].filter((n) => downstream.has(n)));
  }
  return selected;
}

/** The selected models in dependency levels (what `zeo plan` prints; a refresh does not wait level by level, it starts each model once its upstreams are built). */
export function refreshLevels(index: IndexedManifest, request: PlanRequest = {}): RefreshPlan {
  const selected = selectForRequest(index, request);
  const levels = topologicalLevels(index.dag, selected);
  return { levels, modelCount: selected.size };
}
