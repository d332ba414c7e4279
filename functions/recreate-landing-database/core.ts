import { z } from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import { INTEGRATION_ID_PATTERN, recreateLandingStatements } from '../../shared/sql/landing.js';
import type { WarehousePort } from '../../shared/warehouse/warehouse.js';

export const RecreateLandingDatabaseEvent = z.strictObject({
  integrationId: z.string().regex(INTEGRATION_ID_PATTERN, 'integration ids are UUIDs'),
});

/**
 * Re-creates the landing database from the new integration and re-applies its settings. Each
 * statement runs on its own: CREATE/DROP DATABASE cannot run inside a transaction block.
 */
export async function recreateLandingDatabase(
  event: z.infer<typeof RecreateLandingDatabaseEvent>,
  deps: { index: IndexedManifest; warehouse: WarehousePort },
) {
  const statements = recreateLandingStatements(deps.index.manifest.project.landing, event.integrationId);
  for (const [i, sql] of statements.entries()) {
    await deps.warehouse.execute(sql, { statementName: `zeo:landing:${event.integrationId}:${i}` });
  }
  return { database: deps.index.manifest.project.landing.database, statements: statements.length };
}
