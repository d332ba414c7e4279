import { describe, expect, it } from 'vitest';
import {
  RecreateLandingDatabaseEvent,
  recreateLandingDatabase,
} from '../../../../functions/recreate-landing-database/core.js';
import { WarehouseStatementError } from '../../../../shared/errors.js';
import { fakeWarehouse, shopIndex } from '../../../helpers/fake-ports.js';

/**
 * recreateLandingDatabase over a fake warehouse: the landing database is dropped only when it exists
 * (Redshift has no DROP DATABASE IF EXISTS), then created FROM INTEGRATION and its settings re-applied,
 * each statement on its own; a failed statement stops the rest.
 */

const index = shopIndex();
const ID = '7d3f0a2e-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const exists = (present: boolean) => (sql: string) =>
  sql.includes('svv_redshift_databases') && present ? [{ database_name: 'aurora_zeroetl' }] : [];

describe('recreateLandingDatabase', () => {
  it('an existing landing database is dropped first, then created from the new integration and set up', async () => {
    const wh = fakeWarehouse({ query: exists(true) });
    const out = await recreateLandingDatabase({ integrationId: ID }, { index, warehouse: wh.port });
    expect(out).toEqual({ database: 'aurora_zeroetl', statements: 3, dropped: true });
    const [lookup, ...executed] = wh.sent;
    expect(lookup?.options.parameters).toEqual({ database: 'aurora_zeroetl' });
    expect(executed.map((s) => s.kind)).toEqual(['runStatement', 'runStatement', 'runStatement']);
    const [drop, create, alter] = executed.map((s) => s.sqls[0] ?? '');
    expect(drop).toMatch(/^DROP DATABASE "aurora_zeroetl"/);
    expect(create).toContain(`"aurora_zeroetl" FROM INTEGRATION '${ID}' DATABASE "shop"`);
    expect(alter).toMatch(/^ALTER DATABASE "aurora_zeroetl" INTEGRATION SET .*REFRESH_INTERVAL 60/);
  });

  it('a landing database that does not exist is not dropped (a retried step after the drop)', async () => {
    const wh = fakeWarehouse({ query: exists(false) });
    const out = await recreateLandingDatabase({ integrationId: ID }, { index, warehouse: wh.port });
    expect(out).toEqual({ database: 'aurora_zeroetl', statements: 2, dropped: false });
    expect(wh.sqls().some((s) => s.startsWith('DROP DATABASE'))).toBe(false);
  });

  it('a failed CREATE DATABASE fails the step before the settings are applied', async () => {
    const wh = fakeWarehouse({
      query: exists(false),
      runStatement: (sql) => {
        if (sql.startsWith('CREATE DATABASE')) throw new WarehouseStatementError('zeo:landing failed: ERROR');
      },
    });
    await expect(
      recreateLandingDatabase({ integrationId: ID }, { index, warehouse: wh.port }),
    ).rejects.toMatchObject({
      name: 'WarehouseStatementError',
    });
    expect(wh.sqls().some((s) => s.startsWith('ALTER DATABASE'))).toBe(false);
  });

  it('the input schema refuses an integration id that is not UUID-like before it nears SQL', () => {
    const parsed = RecreateLandingDatabaseEvent.safeParse({ integrationId: "x' OR '1'='1" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/UUID/);
  });
});
