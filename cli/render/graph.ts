import { type IndexedManifest, type PlanRequest, selectForRequest } from '../../shared/graph/plan.js';
import type { Materialization } from '../../shared/project/schema.js';

/**
 * The curated DAG as a picture needs it: the selected models, the landing-zone tables they read as
 * nodes of their own, and the edges between them. Everything is sorted so that every renderer's output
 * is byte-identical for the same project and selection.
 */

export interface GraphModel {
  name: string;
  schema: string;
  materialized: Materialization;
  /** The refresh group the model declares; null = it follows its upstream models. */
  group: string | null;
}

export interface GraphEdge {
  /** `schema.table` for a landing-zone source, a model name otherwise. */
  from: string;
  to: string;
  kind: 'source' | 'ref';
}

export interface CuratedGraph {
  project: string;
  landingDatabase: string;
  /** Landing-zone tables read by the selected models, as `schema.table`, sorted. */
  sources: string[];
  /** Sorted by name. */
  models: GraphModel[];
  /** Sorted by (from, to). */
  edges: GraphEdge[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The selected models (all of them without a selector) plus the sources they read. A ref to a model
 * outside the selection is left out, as `zeo plan` leaves it out of the levels.
 */
export function curatedGraph(index: IndexedManifest, request: PlanRequest = {}): CuratedGraph {
  const selected = selectForRequest(index, request);
  const models = [...selected].sort(byText).map((name) => index.model(name));
  const edges: GraphEdge[] = [];
  const sources = new Set<string>();
  for (const model of models) {
    for (const source of model.sources) {
      sources.add(source);
      edges.push({ from: source, to: model.name, kind: 'source' });
    }
    for (const ref of model.refs) {
      if (selected.has(ref)) edges.push({ from: ref, to: model.name, kind: 'ref' });
    }
  }
  edges.sort((a, b) => byText(a.from, b.from) || byText(a.to, b.to));
  return {
    project: index.manifest.project.name,
    landingDatabase: index.manifest.project.landing.database,
    sources: [...sources].sort(byText),
    models: models.map((m) => ({
      name: m.name,
      schema: m.schema,
      materialized: m.materialized,
      group: m.group,
    })),
    edges,
  };
}

/** The second line of a model's label: how it is materialized and which schedule refreshes it. */
export function modelCaption(model: GraphModel): string {
  const kind = model.materialized === 'materialized_view' ? 'materialized view' : model.materialized;
  return model.group ? `${kind}, group ${model.group}` : kind;
}

/** One colour scheme for every format, so a Mermaid and an SVG picture of the same DAG read alike. */
export const PALETTE = {
  source: { fill: '#eef4fb', stroke: '#4a78b5' },
  table: { fill: '#ffffff', stroke: '#555555' },
  incremental: { fill: '#f1f8ea', stroke: '#5b8c2a' },
  materialized_view: { fill: '#fbf3e6', stroke: '#b7791f' },
} as const;
