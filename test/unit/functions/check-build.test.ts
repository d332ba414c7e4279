import { describe, expect, it } from 'vitest';
import {
  type CheckBuildEvent,
  checkBuild,
  MAX_CONFLICT_RESUBMISSIONS,
} from '../../../functions/check-build/core.js';
import { buildClientToken } from '../../../functions/submit-build/core.js';
import { StatementStillRunningError } from '../../../shared/errors.js';
import { indexManifest } from '../../../shared/graph/plan.js';
import { compileProject } from '../../../shared/project/compile.js';
import type { StatementDescription, WarehousePort } from '../../../shared/warehouse/warehouse.js';
import { shopSources } from '../../helpers/project.js';

/**
 * CheckBuild's reading of a finished build: a serialization conflict is submitted again (bounded),
 * never recorded as the model's failure; a committed table swap is followed by the drop of the table it
 * swapped out, outside the build's transaction.
 */

const index = indexManifest(compileProject(shopSources()));
const NOW = new Date('2026-11-23T10:00:00Z');

/** Redshift's text for a transaction it stopped (developer guide "Serializable isolation"). */
const CONFLICT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - 119371, transactions forming the cycle are: 1745830, 1745762 (pid:15021)';

interface Calls {
  submitted: { statementName: string; clientToken?: string }[];
  executed: string[];
  ran: string[][];
}

function fakeWarehouse(
  described: Omit<StatementDescription, 'id'>,
  options: { dropStillRunning?: boolean } = {},
): { warehouse: WarehousePort; calls: Calls } {
  const calls: Calls = { submitted: [], executed: [], ran: [] };
  const warehouse: WarehousePort = {
    submitBatch: async (_sqls, opts) => {
      calls.submitted.push({
        statementName: opts.statementName,
        ...(opts.clientToken ? { clientToken: opts.clientToken } : {}),
      });
      return `stmt-${calls.submitted.length + 1}`;
    },
    describe: async (id) => ({ id, ...described }),
    cancel: async () => undefined,
    run: async (sqls) => {
      calls.ran.push([...sqls]);
    },
    execute: async (sql) => {
      calls.executed.push(sql);
      if (options.dropStillRunning && sql.startsWith('DROP TABLE')) {
        throw new StatementStillRunningError('still waiting for readers of the old table');
      }
      return 'stmt-exec';
    },
    // The lease status: this run holds the lease, nothing built from its inputs yet.
    query: async () => [{ holder: 'run-1', built: null, built_by: null, wanted: 'abc' }],
  };
  return { warehouse, calls };
}

const event = (overrides: Partial<CheckBuildEvent> = {}): CheckBuildEvent => ({
  runId: 'run-1',
  trigger: 'schedule',
  model: 'fct_orders',
  mode: 'full',
  statementId: 'stmt-1',
  submittedAt: '2026-11-23T09:59:00.000Z',
  status: 'STARTED',
  poll: { attempt: 3, waitSeconds: 10 },
  ...overrides,
});

describe('CheckBuild: serialization conflicts (ERROR 1023) are retried, not model failures', () => {
  it('a build rolled back by a serialization conflict is submitted again under a new token', async () => {
    const { warehouse, calls } = fakeWarehouse({ status: 'FAILED', error: CONFLICT });
    const checked = await checkBuild(event(), { index, warehouse, now: () => NOW });
    expect(checked.status).toBe('SUBMITTED');
    expect(checked.statementId).toBe('stmt-2');
    expect(checked.error).toBeUndefined();
    expect(checked.poll).toMatchObject({ attempt: 4, conflicts: 1 });
    expect(checked.submittedAt).toBe(NOW.toISOString());
    // The same lease is asked for again (this run still holds it), then the batch is submitted as a new
    // request: under the first token the Data API would answer with the failed statement.
    expect(calls.ran).toHaveLength(1);
    expect(calls.submitted).toEqual([
      {
        statementName: 'zeo:run-1:fct_orders',
        clientToken: buildClientToken('run-1', 'fct_orders', 'full', 1),
      },
    ]);
    expect(calls.submitted[0]?.clientToken).not.toBe(buildClientToken('run-1', 'fct_orders', 'full'));
  });

  it('each resubmission has its own token; after the bound the build fails saying it kept colliding', async () => {
    const tokens = new Set<string>();
    for (let conflicts = 0; conflicts < MAX_CONFLICT_RESUBMISSIONS; conflicts++) {
      const { warehouse, calls } = fakeWarehouse({ status: 'FAILED', error: CONFLICT });
      const checked = await checkBuild(event({ poll: { attempt: 3, waitSeconds: 10, conflicts } }), {
        index,
        warehouse,
        now: () => NOW,
      });
      expect(checked.status).toBe('SUBMITTED');
      tokens.add(calls.submitted[0]?.clientToken ?? '');
    }
    expect(tokens.size).toBe(MAX_CONFLICT_RESUBMISSIONS);
    const { warehouse, calls } = fakeWarehouse({ status: 'FAILED', error: CONFLICT });
    const last = await checkBuild(
      event({ poll: { attempt: 9, waitSeconds: 10, conflicts: MAX_CONFLICT_RESUBMISSIONS } }),
      { index, warehouse, now: () => NOW },
    );
    expect(last.status).toBe('FAILED');
    expect(last.error).toMatch(
      /^serialization conflict with concurrent transactions on every one of 4 submissions/,
    );
    expect(last.error).toContain('Serializable isolation violation');
    expect(calls.submitted).toEqual([]);
  });

  it('any other failure is the model’s: FAILED as it is, not submitted again', async () => {
    const { warehouse, calls } = fakeWarehouse({ status: 'FAILED', error: 'ERROR: division by zero' });
    const checked = await checkBuild(event(), { index, warehouse, now: () => NOW });
    expect(checked).toMatchObject({ status: 'FAILED', error: 'ERROR: division by zero' });
    expect(calls.submitted).toEqual([]);
  });
});

describe('CheckBuild: the old table is dropped once the swap committed (dbt-core #3112, facts §10)', () => {
  it('a finished table swap is followed by the drop of the table it swapped out', async () => {
    const { warehouse, calls } = fakeWarehouse({ status: 'FINISHED', resultRows: 600 });
    const checked = await checkBuild(event(), { index, warehouse, now: () => NOW });
    expect(checked.status).toBe('FINISHED');
    expect(calls.executed).toEqual(['DROP TABLE IF EXISTS "reporting"."fct_orders__zeo_old"']);
  });

  it('a drop still waiting for readers of the old table does not hold the build up', async () => {
    const { warehouse, calls } = fakeWarehouse({ status: 'FINISHED' }, { dropStillRunning: true });
    const checked = await checkBuild(event(), { index, warehouse, now: () => NOW });
    expect(checked.status).toBe('FINISHED');
    expect(calls.executed).toHaveLength(1);
  });

  it('a merge swaps nothing and drops nothing; neither does a failed swap', async () => {
    const merged = fakeWarehouse({ status: 'FINISHED' });
    await checkBuild(event({ model: 'daily_revenue', mode: 'merge' }), {
      index,
      warehouse: merged.warehouse,
      now: () => NOW,
    });
    expect(merged.calls.executed).toEqual([]);
    const failed = fakeWarehouse({ status: 'FAILED', error: 'ERROR: injected' });
    await checkBuild(event(), { index, warehouse: failed.warehouse, now: () => NOW });
    expect(failed.calls.executed).toEqual([]);
  });
});
