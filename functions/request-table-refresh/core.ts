import * as z from 'zod';
import { SourceTable } from '../../shared/contracts/fields.js';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { refreshTablesStatement } from '../../shared/sql/landing.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const RequestTableRefreshEvent = z.strictObject({ tables: z.array(SourceTable).min(1).max(500) });

/** Asks the integration to fully re-replicate Failed tables (resyncing ones are left alone). */
export async function requestTableRefresh(
  event: z.infer<typeof RequestTableRefreshEvent>,
  deps: { index: IndexedManifest; warehouse: WarehousePort },
) {
  const sql = refreshTablesStatement(deps.index.manifest.project.landing.database, event.tables);
  await deps.warehouse.runStatement(sql, { statementName: 'zeo:integration-refresh' });
  return { requested: event.tables };
}
