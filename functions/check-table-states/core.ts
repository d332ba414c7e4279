import * as z from 'zod';
import { ResyncRecoveryInput } from '../../shared/contracts/state-machine-inputs.js';
import { Watch } from '../../shared/contracts/watch.js';
import { InvalidInputError } from '../../shared/errors.js';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { childExecutionName } from '../../shared/runtime/execution-names.js';
import { parseInput } from '../../shared/runtime/parse-input.js';
import { parseTableStates, SYNCED, tableStatesSql } from '../../shared/sql/landing-state.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const CheckTableStatesEvent = z.union([
  z.strictObject({ input: z.unknown(), executionName: z.string().min(1).max(80) }),
  z.strictObject({ watch: Watch }),
]);

export interface TableStatesCheck {
  watch: Watch;
  allSynced: boolean;
  timedOut: boolean;
  /** True only on the first check, when asked to and some tables are Failed (not merely resyncing). */
  refreshNeeded: boolean;
  failedTables: string[];
  notSynced: { table: string; state: string; reason: string }[];
  /** The watched tables models read (the rebuild selects what is downstream of them), or null when none. */
  downstreamSources: string[] | null;
}

function startWatch(input: unknown, executionName: string, index: IndexedManifest, now: Date): Watch {
  const parsed = parseInput(ResyncRecoveryInput, input);
  const known = new Set(
    Object.entries(index.manifest.project.landing.tables).flatMap(([schema, tables]) =>
      tables.map((t) => `${schema}.${t}`),
    ),
  );
  const unknown = parsed.tables.flatMap((t, i) => (known.has(t) ? [] : [{ t, i }]));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      unknown.map(({ t, i }) => ({
        file: 'input',
        field: `tables[${i}]`,
        message: `'${t}' is not a landing table of this project (project.yml landing.tables)`,
      })),
    );
  }
  const minutes = index.manifest.project.recovery.resyncTimeoutMinutes;
  return {
    tables: [...new Set(parsed.tables)].sort(),
    requestRefresh: parsed.requestRefresh,
    trigger: parsed.trigger,
    deadline: new Date(now.getTime() + minutes * 60_000).toISOString(),
    rebuildAs: childExecutionName(executionName, 'rebuild'),
  };
}

/** One look at the replication state of the watched tables (one query), for the Wait-state loops. */
export async function checkTableStates(
  event: z.infer<typeof CheckTableStatesEvent>,
  deps: { index: IndexedManifest; warehouse: WarehousePort; now: () => Date },
): Promise<TableStatesCheck> {
  const now = deps.now();
  const first = 'input' in event;
  const watch =
    'input' in event ? startWatch(event.input, event.executionName, deps.index, now) : event.watch;
  const states = parseTableStates(
    await deps.warehouse.query(tableStatesSql(deps.index.manifest.project.landing.database), {
      statementName: `zeo:table-states:${watch.trigger}`,
    }),
  );
  const notSynced = watch.tables.flatMap((table) => {
    const s = states.get(table);
    if (s?.state === SYNCED) return [];
    return [{ table, state: s?.state ?? 'Missing', reason: s?.reason ?? 'no replication state' }];
  });
  const failedTables = notSynced.filter((n) => n.state === 'Failed').map((n) => n.table);
  const used = new Set(deps.index.manifest.sources);
  const downstream = watch.tables.filter((t) => used.has(t));
  return {
    watch,
    allSynced: notSynced.length === 0,
    timedOut: notSynced.length > 0 && now.getTime() >= Date.parse(watch.deadline),
    refreshNeeded: first && watch.requestRefresh && failedTables.length > 0,
    failedTables,
    notSynced,
    downstreamSources: downstream.length > 0 ? downstream : null,
  };
}
