import { SelectorError } from '../errors.js';
import { type Dag, downstreamClosure, downstreamOfSources, upstreamClosure } from './dag.js';

/**
 * dbt-style node selection over the curated DAG:
 *   `model`, `model+` (and everything downstream), `+model` (and everything upstream), `+model+`,
 *   `source:schema.table` (models reading it directly), `source:schema.table+` (and downstream),
 *   `group:name` (models declaring the group, plus group-less models downstream of them — a model
 *   without a group follows its upstreams), `*` (everything).
 * Terms separated by commas or spaces are unioned.
 */

export interface SelectionContext {
  dag: Dag;
  /** Model name → declared group (null when it follows its upstreams). */
  groupOf: (model: string) => string | null | undefined;
  groups: readonly string[];
  sources: readonly string[];
}

const TERM = /^(\+)?(?:(source|group):)?([A-Za-z0-9_.*]+)(\+)?$/;

export function parseSelector(selector: string): string[] {
  const terms = selector
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (terms.length === 0) throw new SelectorError('empty selector');
  return terms;
}

function selectGroup(context: SelectionContext, group: string): Set<string> {
  const { dag, groupOf } = context;
  const members = dag.names.filter((n) => groupOf(n) === group);
  const selected = new Set(members);
  const queue = [...members];
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i];
    if (name === undefined) continue;
    for (const down of dag.downstream.get(name) ?? []) {
      if (!selected.has(down) && groupOf(down) === null) {
        selected.add(down);
        queue.push(down);
      }
    }
  }
  return selected;
}

function selectTerm(context: SelectionContext, term: string): Set<string> {
  const m = TERM.exec(term);
  if (!m) throw new SelectorError(`cannot parse selector term '${term}'`);
  const [, plusBefore, method, value = '', plusAfter] = m;
  const { dag } = context;
  if (method === 'source') {
    if (plusBefore) throw new SelectorError(`'+' before a source selects nothing: '${term}'`);
    if (!context.sources.includes(value)) {
      throw new SelectorError(
        `unknown source '${value}' in '${term}' (known: ${context.sources.join(', ') || 'none'})`,
      );
    }
    if (plusAfter) return downstreamOfSources(dag, [value]);
    return new Set(dag.readersOfSource.get(value) ?? []);
  }
  let base: Set<string>;
  if (method === 'group') {
    if (!context.groups.includes(value)) {
      throw new SelectorError(`unknown group '${value}' (known: ${context.groups.join(', ') || 'none'})`);
    }
    base = selectGroup(context, value);
  } else if (value === '*') {
    base = new Set(dag.names);
  } else {
    if (!dag.upstream.has(value)) throw new SelectorError(`unknown model '${value}' in selector '${term}'`);
    base = new Set([value]);
  }
  const result = new Set(base);
  if (plusBefore) for (const n of upstreamClosure(dag, base)) result.add(n);
  if (plusAfter) for (const n of downstreamClosure(dag, base)) result.add(n);
  return result;
}

export function selectModels(context: SelectionContext, selector: string): Set<string> {
  const selected = new Set<string>();
  for (const term of parseSelector(selector)) {
    for (const name of selectTerm(context, term)) selected.add(name);
  }
  return selected;
}
