import { type CuratedGraph, type GraphModel, modelCaption, PALETTE } from './graph.js';

/**
 * Graphviz DOT of the curated DAG, with the same conventions as the Mermaid picture: sources are
 * cylinders in a "landing zone" cluster; box = table, double box = incremental, hexagon =
 * materialized view. Every id is a quoted string, so model and source names need no mangling (a
 * source always has a dot, a model never does).
 */

const SHAPES: Record<GraphModel['materialized'], string> = {
  table: 'shape=box',
  incremental: 'shape=box, peripheries=2',
  materialized_view: 'shape=hexagon',
};

// Graphviz only has text metrics for a few fonts; with Helvetica the boxes fit the text viewers draw.
const FONT = 'Helvetica';

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

const colors = (kind: keyof typeof PALETTE) =>
  `style=filled, fillcolor=${dotString(PALETTE[kind].fill)}, color=${dotString(PALETTE[kind].stroke)}`;

export function toDot(graph: CuratedGraph): string {
  const lines = [
    `digraph ${dotString(graph.project)} {`,
    `  graph [rankdir=LR, fontname=${dotString(FONT)}, fontsize=12, labelloc=t, nodesep=0.3, ranksep=0.9, label=${dotString(`${graph.project}: curated DAG`)}];`,
    // Generous margins: viewers substitute fonts wider than the metrics Graphviz laid the text out with.
    `  node [fontname=${dotString(FONT)}, fontsize=11, margin="0.2,0.08"];`,
    '  edge [color="#777777", arrowsize=0.7];',
  ];
  if (graph.sources.length > 0) {
    lines.push(
      '  subgraph cluster_landing {',
      `    label=${dotString(`landing zone\n${graph.landingDatabase}`)};`,
      `    style="rounded,dashed"; color=${dotString(PALETTE.source.stroke)}; margin=16;`,
    );
    for (const source of graph.sources) {
      lines.push(
        `    ${dotString(source)} [shape=cylinder, ${colors('source')}, label=${dotString(source)}];`,
      );
    }
    lines.push('  }');
  }
  for (const model of graph.models) {
    const label = dotString(`${model.name}\n${modelCaption(model)}`);
    lines.push(
      `  ${dotString(model.name)} [${SHAPES[model.materialized]}, ${colors(model.materialized)}, label=${label}];`,
    );
  }
  for (const edge of graph.edges) {
    const style = edge.kind === 'source' ? ' [style=dashed]' : '';
    lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)}${style};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
