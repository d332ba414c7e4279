import { describe, expect, it } from 'vitest';
import {
  RequestTableRefreshEvent,
  requestTableRefresh,
} from '../../../../functions/request-table-refresh/core.js';
import { fakeWarehouse, shopIndex } from '../../../helpers/fake-ports.js';

/** requestTableRefresh over a fake warehouse: one REFRESH TABLE statement on the landing database. */

const index = shopIndex();

describe('requestTableRefresh', () => {
  it('asks the landing database to refresh every given table, in one statement', async () => {
    const wh = fakeWarehouse();
    const tables = ['public.orders', 'public.payments'];
    const out = await requestTableRefresh({ tables }, { index, warehouse: wh.port });
    expect(out).toEqual({ requested: tables });
    expect(wh.sent).toHaveLength(1);
    expect(wh.sent[0]?.kind).toBe('runStatement');
    const sql = wh.sent[0]?.sqls[0] ?? '';
    expect(sql).toMatch(/^ALTER DATABASE "aurora_zeroetl" INTEGRATION REFRESH TABLE /);
    expect(sql).toContain('"public"."orders", "public"."payments"');
  });

  it('the input schema needs 1 to 500 schema.table names', () => {
    expect(RequestTableRefreshEvent.safeParse({ tables: [] }).success).toBe(false);
    expect(RequestTableRefreshEvent.safeParse({ tables: ['orders'] }).success).toBe(false);
    const many = Array.from({ length: 501 }, (_, i) => `public.t${i}`);
    expect(RequestTableRefreshEvent.safeParse({ tables: many }).success).toBe(false);
    expect(RequestTableRefreshEvent.safeParse({ tables: many.slice(0, 500) }).success).toBe(true);
  });
});
