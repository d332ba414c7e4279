import * as z from 'zod';
import type { IndexedManifest } from '../../shared/graph/plan.js';
import {
  dropLandingDatabaseSql,
  INTEGRATION_ID_PATTERN,
  landingDatabaseExistsSql,
  recreateLandingStatements,
} from '../../shared/sql/landing.js';
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
  const { landing } = deps.index.manifest.project;
  const statements = recreateLandingStatements(landing, event.integrationId);
  const existing = await deps.warehouse.query(landingDatabaseExistsSql(), {
    statementName: `zeo:landing:${event.integrationId}:exists`,
    parameters: { database: landing.database },
  });
  if (existing.length > 0) statements.unshift(dropLandingDatabaseSql(landing));
  for (const [i, sql] of statements.entries()) {
    await deps.warehouse.runStatement(sql, { statementName: `zeo:landing:${event.integrationId}:${i}` });
  }
  return { database: landing.database, statements: statements.length, dropped: existing.length > 0 };
}
