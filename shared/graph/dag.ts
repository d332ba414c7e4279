/**
 * The curated dependency graph. Everything here is linear in models + edges, because a curated
 * layer of thousands of models is planned on every refresh.
 */

export interface GraphNode {
  name: string;
  refs: readonly string[];
  sources: readonly string[];
}

export interface Dag {
  /** Model names, sorted. */
  readonly names: readonly string[];
  readonly upstream: ReadonlyMap<string, readonly string[]>;
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  /** `schema.table` → models that read it directly. */
  readonly readersOfSource: ReadonlyMap<string, readonly string[]>;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Builds the graph; refs to unknown models are ignored here (validation reports them). */
export function buildDag(nodes: readonly GraphNode[]): Dag {
  const names = nodes.map((n) => n.name).sort(byName);
  const known = new Set(names);
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>(names.map((n) => [n, []]));
  const readersOfSource = new Map<string, string[]>();
  for (const node of nodes) {
    const ups = [...new Set(node.refs)].filter((r) => known.has(r)).sort(byName);
    upstream.set(node.name, ups);
    for (const up of ups) downstream.get(up)?.push(node.name);
    for (const source of new Set(node.sources)) {
      const readers = readersOfSource.get(source) ?? [];
      readers.push(node.name);
      readersOfSource.set(source, readers);
    }
  }
  for (const list of downstream.values()) list.sort(byName);
  for (const list of readersOfSource.values()) list.sort(byName);
  return { names, upstream, downstream, readersOfSource };
}

/** One cycle as a closed path (`['a', 'b', 'c', 'a']`), or undefined when the graph is acyclic. */
export function findCycle(dag: Dag): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  // Iterative DFS: recursion would overflow on long chains of models.
  for (const start of dag.names) {
    if (state.has(start)) continue;
    const frames: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'active');
    stack.push(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const ups = dag.upstream.get(frame.name) ?? [];
      const up = ups[frame.next];
      frame.next++;
      if (up === undefined) {
        state.set(frame.name, 'done');
        stack.pop();
        frames.pop();
        continue;
      }
      const s = state.get(up);
      if (s === 'active') {
        // The stack holds the path start → … → frame.name; `up` closes the loop. Report it in the
        // direction data flows (upstream → downstream).
        const path = stack.slice(stack.indexOf(up));
        return [...path, up].reverse();
      }
      if (s === undefined) {
        state.set(up, 'active');
        stack.push(up);
        frames.push({ name: up, next: 0 });
      }
    }
  }
  return undefined;
}

/**
 * Topological levels of the sub-graph induced by `subset` (default: every model): level 0 has no
 * selected upstream, level n depends on something in level n-1. Sorted inside each level so plans are
 * deterministic. Assumes an acyclic graph.
 */
export function topologicalLevels(dag: Dag, subset?: ReadonlySet<string>): string[][] {
  const members = subset ? dag.names.filter((n) => subset.has(n)) : dag.names;
  const inSet = subset ? (n: string) => subset.has(n) : () => true;
  const pending = new Map<string, number>();
  for (const name of members) {
    pending.set(name, (dag.upstream.get(name) ?? []).filter(inSet).length);
  }
  const levels: string[][] = [];
  let current = members.filter((n) => pending.get(n) === 0);
  while (current.length > 0) {
    levels.push(current);
    const next: string[] = [];
    for (const name of current) {
      for (const down of dag.downstream.get(name) ?? []) {
        const remaining = pending.get(down);
        if (remaining === undefined) continue;
        pending.set(down, remaining - 1);
        if (remaining === 1) next.push(down);
      }
    }
    current = next.sort(byName);
  }
  return levels;
}

function closure(start: Iterable<string>, edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i];
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    for (const next of edges.get(name) ?? []) if (!seen.has(next)) queue.push(next);
  }
  return seen;
}

/** The models themselves and everything built from them. */
export function downstreamClosure(dag: Dag, models: Iterable<string>): Set<string> {
  return closure(models, dag.downstream);
}

/** The models themselves and everything they are built from. */
export function upstreamClosure(dag: Dag, models: Iterable<string>): Set<string> {
  return closure(models, dag.upstream);
}

/** Every model that reads any of the landing-zone tables, directly or through other models. */
export function downstreamOfSources(dag: Dag, sources: Iterable<string>): Set<string> {
  const direct: string[] = [];
  for (const source of sources) direct.push(...(dag.readersOfSource.get(source) ?? []));
  return downstreamClosure(dag, direct);
}
