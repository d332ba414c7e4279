import { type IndexedManifest, indexManifest } from '../../shared/graph/plan.js';
import type { IntegrationInfo, IntegrationSnapshot, IntegrationsPort } from '../../shared/integration/rds.js';
import { compileProject } from '../../shared/project/compile.js';
import type { Manifest, ManifestProject } from '../../shared/project/manifest.js';
import { BOOKKEEPING_VERSION } from '../../shared/sql/bookkeeping.js';
import type {
  Row,
  StatementDescription,
  StatementOptions,
  WarehousePort,
} from '../../shared/warehouse/warehouse.js';
import { shopSources } from './project.js';

/**
 * Hand-written fakes of the ports the step cores take (WarehousePort, IntegrationsPort) and the
 * compiled shop project, for the unit tests of functions/<step>/core.ts. Every call is recorded.
 */

let shop: Manifest | undefined;

/** The compiled shop project (compiled once per test file). */
export function shopManifest(): Manifest {
  shop ??= compileProject(shopSources());
  return shop;
}

/** The compiled shop project, indexed; `recovery` overrides its recovery settings. */
export function shopIndex(recovery: Partial<ManifestProject['recovery']> = {}): IndexedManifest {
  const manifest = shopManifest();
  return indexManifest({
    ...manifest,
    project: { ...manifest.project, recovery: { ...manifest.project.recovery, ...recovery } },
  });
}

export interface SentStatement {
  kind: 'runTransaction' | 'runStatement' | 'query' | 'submitTransaction';
  sqls: string[];
  options: StatementOptions;
}

export interface FakeWarehouseBehaviour {
  /** Rows of a query; by default a set-up bookkeeping schema and no rows for anything else. */
  query?: (sql: string, options: StatementOptions) => Row[] | Promise<Row[]>;
  runTransaction?: (sqls: readonly string[], options: StatementOptions) => void | Promise<void>;
  runStatement?: (sql: string, options: StatementOptions) => void | Promise<void>;
  describe?: (id: string) => StatementDescription;
  listStatements?: (prefix: string, status: string) => string[];
}

/** The bookkeeping schema at the current version: what ensureBookkeeping reads first. */
export function bookkeepingUpToDate(sql: string): Row[] | undefined {
  return /max\("version"\)/.test(sql) ? [{ version: BOOKKEEPING_VERSION }] : undefined;
}

export function fakeWarehouse(behaviour: FakeWarehouseBehaviour = {}) {
  const sent: SentStatement[] = [];
  const cancelled: string[] = [];
  const listed: { prefix: string; status: string }[] = [];
  let ids = 0;
  const port: WarehousePort = {
    async runTransaction(sqls, options) {
      sent.push({ kind: 'runTransaction', sqls: [...sqls], options });
      await behaviour.runTransaction?.(sqls, options);
    },
    async runStatement(sql, options) {
      sent.push({ kind: 'runStatement', sqls: [sql], options });
      await behaviour.runStatement?.(sql, options);
      ids += 1;
      return `stmt-${ids}`;
    },
    async query(sql, options) {
      sent.push({ kind: 'query', sqls: [sql], options });
      if (behaviour.query) return behaviour.query(sql, options);
      return bookkeepingUpToDate(sql) ?? [];
    },
    async submitTransaction(sqls, options) {
      sent.push({ kind: 'submitTransaction', sqls: [...sqls], options });
      ids += 1;
      return `batch-${ids}`;
    },
    async describe(id) {
      return behaviour.describe?.(id) ?? { id, status: 'FINISHED' };
    },
    async cancel(id) {
      cancelled.push(id);
    },
    async listStatements(prefix, status) {
      listed.push({ prefix, status });
      return behaviour.listStatements?.(prefix, status) ?? [];
    },
  };
  return {
    port,
    sent,
    cancelled,
    listed,
    /** Every SQL text sent, in order. */
    sqls: () => sent.flatMap((s) => s.sqls),
    /** The statements that write (run / execute), not the reads. */
    writes: () => sent.filter((s) => s.kind === 'runTransaction' || s.kind === 'runStatement'),
  };
}

export const ACCOUNT = 'arn:aws:rds:us-east-1:123456789012';

/** An integration as DescribeIntegrations reports it (Integrations.describe / list). */
export function integration(
  id: string,
  fields: Partial<Omit<IntegrationInfo, 'snapshot' | 'arn' | 'id'>> & {
    snapshot?: Partial<IntegrationSnapshot>;
  } = {},
): IntegrationInfo {
  const { snapshot, ...rest } = fields;
  return {
    arn: `${ACCOUNT}:integration:${id}`,
    id,
    status: 'active',
    errors: [],
    ...rest,
    snapshot: {
      integrationName: 'shop-zeroetl',
      sourceArn: `${ACCOUNT}:cluster:shop-aurora`,
      targetArn: 'arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0f1e2d3c',
      tags: [],
      ...snapshot,
    },
  };
}

/** The RDS integration API over a list of integrations; deletes and creates are recorded. */
export function fakeIntegrations(
  integrations: IntegrationInfo[],
  behaviour: { delete?: (arn: string) => void } = {},
) {
  const deleted: string[] = [];
  const created: IntegrationSnapshot[] = [];
  const described: string[] = [];
  const port: IntegrationsPort = {
    async describe(identifier) {
      described.push(identifier);
      return integrations.find((i) => i.arn === identifier || i.arn.endsWith(`:${identifier}`));
    },
    async list() {
      return [...integrations];
    },
    async delete(arn) {
      deleted.push(arn);
      behaviour.delete?.(arn);
    },
    async create(snapshot) {
      created.push(snapshot);
      return integration(`new-${created.length}`, { status: 'creating', snapshot });
    },
  };
  return { port, deleted, created, described };
}
