import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instance } from '@viz-js/viz';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/project/manifest.js';
import { SHOP, zeo } from '../helpers/cli.js';

const manifest = JSON.parse(readFileSync('test/fixtures/golden/shop-manifest.json', 'utf8')) as Manifest;
const edgeKey = (from: string, to: string) => `${from} -> ${to}`;

/** Every edge of the whole shop DAG, from the golden manifest: ref edges and source edges. */
const ALL_EDGES = new Set(
  manifest.models.flatMap((m) => [
    ...m.refs.map((r) => edgeKey(r, m.name)),
    ...m.sources.map((s) => edgeKey(s, m.name)),
  ]),
);

/** `+daily_revenue`: the model, everything upstream of it, and the landing tables those read. */
const UPSTREAM_OF_DAILY_REVENUE = {
  models: ['daily_revenue', 'dim_customers', 'fct_orders', 'stg_order_lines', 'stg_payments'],
  sources: ['public.customers', 'public.order_items', 'public.orders', 'public.payments'],
  edges: [
    'dim_customers -> fct_orders',
    'fct_orders -> daily_revenue',
    'public.customers -> dim_customers',
    'public.order_items -> stg_order_lines',
    'public.orders -> fct_orders',
    'public.payments -> stg_payments',
    'stg_order_lines -> fct_orders',
    'stg_payments -> fct_orders',
  ],
};

interface ParsedMermaid {
  /** node id → first line of its label (the model or source name). */
  nodes: Map<string, string>;
  shapes: Map<string, string>;
  edges: string[];
}

/**
 * A Mermaid flowchart read back the way Mermaid reads it (the subset zeo emits): node definitions
 * `id<open>"label"<close>`, edges `a --> b` / `a -.-> b`, subgraph/end, classDef/class, %% comments.
 * Anything else is a syntax error here.
 */
function parseMermaid(text: string): ParsedMermaid {
  const [header, ...lines] = text.trimEnd().split('\n');
  expect(header).toBe('flowchart LR');
  const nodes = new Map<string, string>();
  const shapes = new Map<string, string>();
  const edges: [string, string][] = [];
  let depth = 0;
  for (const raw of lines) {
    const line = raw.trim();
    const node = /^([A-Za-z_][A-Za-z0-9_]*)(\[\(|\[\[|\{\{|\[)"([^"]*)"(\)\]|\]\]|\}\}|\])$/.exec(line);
    const edge = /^([A-Za-z_][A-Za-z0-9_]*) (-->|-\.->) ([A-Za-z_][A-Za-z0-9_]*)$/.exec(line);
    if (line.startsWith('%%') || /^classDef \w+ [^;]+;$/.test(line) || /^class [\w,]+ \w+;$/.test(line))
      continue;
    if (/^subgraph \w+\["[^"]*"\]$/.test(line)) depth++;
    else if (line === 'end') depth--;
    else if (node?.[1] && node[3] !== undefined && node[2]) {
      expect(nodes.has(node[1]), `node ${node[1]} defined twice`).toBe(false);
      nodes.set(node[1], node[3].split('<br/>')[0] ?? '');
      shapes.set(node[1], node[2]);
    } else if (edge?.[1] && edge[3]) edges.push([edge[1], edge[3]]);
    else throw new Error(`not valid zeo Mermaid: ${raw}`);
    expect(depth).toBeGreaterThanOrEqual(0);
  }
  expect(depth).toBe(0);
  const name = (id: string) => {
    const label = nodes.get(id);
    if (label === undefined) throw new Error(`edge to undefined node ${id}`);
    return label;
  };
  return { nodes, shapes, edges: edges.map(([a, b]) => edgeKey(name(a), name(b))).sort() };
}

describe('CLI: zeo graph', () => {
  it('draws the whole DAG as Mermaid: every model and landing table once, every edge, shapes by kind', async () => {
    const result = await zeo('graph', ...SHOP);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('flowchart LR\n')).toBe(true);
    const parsed = parseMermaid(result.stdout);
    const names = [...parsed.nodes.values()].sort();
    expect(names).toEqual([...manifest.models.map((m) => m.name), ...manifest.sources].sort());
    expect(parsed.edges).toEqual([...ALL_EDGES].sort());
    const shapeOf = (label: string) =>
      parsed.shapes.get([...parsed.nodes].find(([, l]) => l === label)?.[0] ?? '');
    expect(shapeOf('public.orders')).toBe('[(');
    expect(shapeOf('fct_orders')).toBe('[');
    expect(shapeOf('daily_revenue')).toBe('[[');
    expect(shapeOf('mv_payment_methods')).toBe('{{');
    expect(result.stdout).toContain('daily_revenue<br/>incremental"');
    expect(result.stdout).toContain('fct_orders<br/>table, group hourly"');
  });

  it('applies a selection: the selected models, the sources they read, the edges among them', async () => {
    const result = await zeo('graph', ...SHOP, '--select', '+daily_revenue');
    expect(result.code).toBe(0);
    const parsed = parseMermaid(result.stdout);
    expect([...parsed.nodes.values()].sort()).toEqual(
      [...UPSTREAM_OF_DAILY_REVENUE.models, ...UPSTREAM_OF_DAILY_REVENUE.sources].sort(),
    );
    expect(parsed.edges).toEqual(UPSTREAM_OF_DAILY_REVENUE.edges);
    const json = await zeo('graph', ...SHOP, '--select', '+daily_revenue', '--json');
    const graph = JSON.parse(json.stdout) as {
      sources: string[];
      models: { name: string }[];
      edges: { from: string; to: string; kind: string }[];
    };
    expect(graph.models.map((m) => m.name)).toEqual(UPSTREAM_OF_DAILY_REVENUE.models);
    expect(graph.sources).toEqual(UPSTREAM_OF_DAILY_REVENUE.sources);
    expect(graph.edges.map((e) => edgeKey(e.from, e.to))).toEqual(UPSTREAM_OF_DAILY_REVENUE.edges);
    expect(graph.edges.find((e) => e.from === 'public.orders')?.kind).toBe('source');
    const group = await zeo('graph', ...SHOP, '--group', 'nightly', '--json');
    expect((JSON.parse(group.stdout) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual([
      'customer_lifetime_value',
      'dim_customers',
      'dim_products',
    ]);
  });

  it('writes DOT that Graphviz parses, with every node and edge', async () => {
    const result = await zeo('graph', ...SHOP, '--format', 'dot');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^digraph "shop-reporting" \{\n[\s\S]*\n\}\n$/);
    const viz = await instance();
    const rendered = viz.render(result.stdout, { format: 'json' });
    expect(rendered.errors).toEqual([]);
    expect(rendered.status).toBe('success');
    const layout = JSON.parse(rendered.output ?? '{}') as {
      objects?: { name: string; _gvid: number; nodes?: number[] }[];
      edges?: { tail: number; head: number }[];
    };
    const objects = layout.objects ?? [];
    const nodeNames = objects.filter((o) => o.nodes === undefined).map((o) => o.name);
    expect(nodeNames.sort()).toEqual([...manifest.models.map((m) => m.name), ...manifest.sources].sort());
    const byId = new Map(objects.map((o) => [o._gvid, o.name]));
    const edges = (layout.edges ?? []).map((e) => edgeKey(byId.get(e.tail) ?? '?', byId.get(e.head) ?? '?'));
    expect(edges.sort()).toEqual([...ALL_EDGES].sort());
    expect(objects.find((o) => o.name === 'cluster_landing')?.nodes).toHaveLength(manifest.sources.length);
  });

  it('renders SVG without a browser: well-formed XML with a node per model and source', async () => {
    const result = await zeo('graph', ...SHOP, '--format', 'svg', '--select', 'source:public.orders+');
    expect(result.code).toBe(0);
    expect(XMLValidator.validate(result.stdout)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(result.stdout) as {
      svg?: { '@_viewBox'?: string };
    };
    expect(doc.svg?.['@_viewBox']).toMatch(/^[\d.]+ [\d.]+ [\d.]+ [\d.]+$/);
    const titles = [...result.stdout.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    for (const name of [
      'fct_orders',
      'customer_lifetime_value',
      'daily_revenue',
      'fct_shipments',
      'region_kpis',
    ]) {
      expect(titles).toContain(name);
    }
    expect(titles).toContain('public.orders');
    expect(titles).toContain('fct_orders&#45;&gt;daily_revenue');
    expect(titles).not.toContain('dim_products');
  });

  it('is deterministic', async () => {
    const [a, b] = await Promise.all([
      zeo('graph', ...SHOP, '--format', 'svg'),
      zeo('graph', ...SHOP, '--format', 'svg'),
    ]);
    expect(a.stdout.length).toBeGreaterThan(1000);
    expect(a.stdout).toBe(b.stdout);
  });

  it('--out writes the file, picking the format from the extension unless --format says otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeo-graph-'));
    const svg = join(dir, 'nested', 'dag.svg');
    const written = await zeo('graph', ...SHOP, '--out', svg);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toMatch(/^wrote .*dag\.svg \(svg, 11 models, 6 sources, \d+ bytes\)\n$/);
    expect(XMLValidator.validate(readFileSync(svg, 'utf8'))).toBe(true);
    const md = join(dir, 'dag.md');
    expect((await zeo('graph', ...SHOP, '--out', md)).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(/^```mermaid\nflowchart LR\n[\s\S]*\n```\n$/);
    const dotAsTxt = join(dir, 'dag.txt');
    expect((await zeo('graph', ...SHOP, '--format', 'dot', '--out', dotAsTxt)).code).toBe(0);
    expect(readFileSync(dotAsTxt, 'utf8').startsWith('digraph ')).toBe(true);
    const mermaid = join(dir, 'dag.mmd');
    expect((await zeo('graph', ...SHOP, '--out', mermaid)).code).toBe(0);
    expect(readFileSync(mermaid, 'utf8')).toBe((await zeo('graph', ...SHOP)).stdout);
  });

  it('rejects a bad selector with one error line and a hint (exit 2), a bad format (exit 2), a missing project (exit 1)', async () => {
    const bad = await zeo('graph', ...SHOP, '--select', 'nope+');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      "error: unknown model 'nope' in selector 'nope+'",
      expect.stringMatching(/^hint: /),
    ]);
    const unknownSource = await zeo('graph', ...SHOP, '--select', 'source:public.nope');
    expect(unknownSource.code).toBe(2);
    expect(unknownSource.stderr).toContain("unknown source 'public.nope'");
    const format = await zeo('graph', ...SHOP, '--format', 'png');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("argument 'png' is invalid");
    const both = await zeo('graph', ...SHOP, '--format', 'dot', '--json');
    expect(both.code).toBe(2);
    const missing = await zeo('graph', '-p', 'no/such/folder');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no/such/folder: project folder not found');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
