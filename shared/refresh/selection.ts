import { type IndexedManifest, selectForRequest } from '../graph/plan.js';
import type { RefreshContext } from './dispatch-state.js';

function requestOf(ctx: Pick<RefreshContext, 'select' | 'group' | 'sources'>) {
  return {
    ...(ctx.select ? { select: ctx.select } : {}),
    ...(ctx.group ? { group: ctx.group } : {}),
    ...(ctx.sources ? { sources: ctx.sources } : {}),
  };
}

/** The models a refresh selects: PlanRefresh plans them, SummarizeRefresh reports on them. */
export function selectedModels(
  index: IndexedManifest,
  ctx: Pick<RefreshContext, 'select' | 'group' | 'sources'>,
) {
  return selectForRequest(index, requestOf(ctx));
}
