import { describe, expect, it } from 'vitest';
import { SelectorError } from '../../../../shared/errors.js';
import {
  buildDag,
  downstreamClosure,
  downstreamOfSources,
  findCycle,
  type GraphNode,
  topologicalLevels,
  upstreamClosure,
} from '../../../../shared/graph/dag.js';
import { indexManifest, refreshLevels } from '../../../../shared/graph/plan.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { shopSources } from '../../../helpers/project.js';

const node = (name: string, refs: string[] = [], sources: string[] = []): GraphNode => ({
  name,
  refs,
  sources,
});

describe('DAG', () => {
  const dag = buildDag([
    node('stg_a', [], ['public.a']),
    node('stg_b', [], ['public.b']),
    node('mart', ['stg_a', 'stg_b']),
    node('report', ['mart'], ['public.a']),
    node('island'),
  ]);

  it('levels models so each depends only on earlier levels, sorted inside a level', () => {
    expect(topologicalLevels(dag)).toEqual([['island', 'stg_a', 'stg_b'], ['mart'], ['report']]);
  });

  it('levels only the selected sub-graph', () => {
    expect(topologicalLevels(dag, new Set(['stg_b', 'report']))).toEqual([['report', 'stg_b']]);
  });

  it('computes downstream and upstream closures, and what reads a source', () => {
    expect([...downstreamClosure(dag, ['stg_b'])].sort()).toEqual(['mart', 'report', 'stg_b']);
    expect([...upstreamClosure(dag, ['report'])].sort()).toEqual(['mart', 'report', 'stg_a', 'stg_b']);
    expect([...downstreamOfSources(dag, ['public.a'])].sort()).toEqual(['mart', 'report', 'stg_a']);
  });

  it('finds a cycle and returns it as a closed path in data-flow order', () => {
    const cyclic = buildDag([node('a', ['c']), node('b', ['a']), node('c', ['b']), node('d', ['a'])]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(dag)).toBeUndefined();
  });

  it('handles a 5,000-model graph with long chains without recursion limits', () => {
    // A chain of 5,000 would overflow a recursive DFS; levels must still come out right.
    const nodes = Array.from({ length: 5000 }, (_, i) =>
      node(`m${String(i).padStart(5, '0')}`, i === 0 ? [] : [`m${String(i - 1).padStart(5, '0')}`]),
    );
    const chain = buildDag(nodes);
    expect(findCycle(chain)).toBeUndefined();
    const levels = topologicalLevels(chain);
    expect(levels).toHaveLength(5000);
    expect(levels[4999]).toEqual(['m04999']);
  });
});

describe('Selection on the shop example', () => {
  const index = indexManifest(compileProject(shopSources()));
  const select = (selector: string) => refreshLevels(index, { select: selector }).levels;

  it('source:public.orders+ selects exactly what is built from orders', () => {
    expect(select('source:public.orders+')).toEqual([
      ['fct_orders'],
      ['customer_lifetime_value', 'daily_revenue', 'fct_shipments'],
      ['region_kpis'],
    ]);
  });

  it('supports model+, +model, +model+ and unions by comma or space', () => {
    expect(select('daily_revenue+')).toEqual([['daily_revenue'], ['region_kpis']]);
    expect(select('+fct_orders').flat().sort()).toEqual([
      'dim_customers',
      'fct_orders',
      'stg_order_lines',
      'stg_payments',
    ]);
    expect(select('+daily_revenue+').flat()).toContain('region_kpis');
    expect(select('dim_products, mv_payment_methods')).toEqual([['dim_products', 'mv_payment_methods']]);
    expect(select('dim_products mv_payment_methods')).toEqual([['dim_products', 'mv_payment_methods']]);
  });

  it('group selection takes the group and the group-less models that follow it', () => {
    const nightly = select('group:nightly').flat().sort();
    // customer_lifetime_value declares no group and reads dim_customers, so it follows nightly too.
    expect(nightly).toEqual(['customer_lifetime_value', 'dim_customers', 'dim_products']);
    const hourly = select('group:hourly').flat();
    expect(hourly).toContain('fct_orders');
    expect(hourly).toContain('daily_revenue'); // no group, downstream of fct_orders
    expect(hourly).not.toContain('dim_customers'); // declares nightly
    expect(refreshLevels(index, { group: 'nightly', select: 'fct_orders+' }).levels).toEqual([
      ['customer_lifetime_value'],
    ]);
  });

  it('rejects unknown models, sources, groups and malformed terms', () => {
    expect(() => select('nope+')).toThrow(SelectorError);
    expect(() => select('source:public.nope+')).toThrow(/unknown source 'public.nope'/);
    expect(() => select('group:weekly')).toThrow(/unknown group 'weekly'/);
    expect(() => select('a++')).toThrow(/cannot parse selector term/);
    expect(() => select(' , ')).toThrow(/empty selector/);
  });
});
