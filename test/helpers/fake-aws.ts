import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  DescribeIntegrationsCommand,
  type Integration,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { translate } from '../../local/redshift-dialect.js';
import { createShopWarehouse, landingSchema, type TestWarehouse } from './pg-warehouse.js';

/**
 * The AWS SDK mocked with aws-sdk-client-mock, but behind the mocks the SQL really runs (PGlite via
 * the Redshift dialect translation): state machine tests assert real rows, statements and states.
 * Faults are injected per call; every statement and every mutating RDS call is logged.
 */

interface StatementRecord {
  id: string;
  name: string;
  sqls: string[];
  status: 'FINISHED' | 'FAILED' | 'ABORTED';
  error?: string;
  rows: Record<string, unknown>[];
  columns: string[];
  /** Looks (ListStatements or DescribeStatement) still to answer STARTED before revealing the real status. */
  pendingPolls: number;
}

export interface FaultPlan {
  /** Make a build of this model fail (status FAILED) or be aborted (ABORTED) without running it. */
  failModel?: Map<string, 'FAILED' | 'ABORTED'>;
  /**
   * Every build stays STARTED for this many looks (a ListStatements that lists it, or a DescribeStatement)
   * before its real status shows.
   */
  pollsBeforeDone: number;
  /** The next N submissions are throttled (ActiveStatementsExceededException). */
  throttleSubmissions: number;
  /** The next N DeleteIntegration calls fail with IntegrationConflictOperationFault. */
  busyDeletes: number;
  /** Describes a new integration answers `creating` before `active` (Infinity = never active). */
  describesUntilActive: number;
}

export const CONFIGURED_INTEGRATION_ARN =
  'arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11';

export interface FakeAws {
  warehouse: TestWarehouse;
  statements: StatementRecord[];
  /** Every SQL text the Data API received, in order. */
  sqlLog: string[];
  rdsMutations: { action: string; identifier: string }[];
  integrations: Map<string, Integration>;
  events: PutEventsRequestEntry[];
  snsMessages: { subject?: string; message?: string }[];
  faults: FaultPlan;
  setTableState(table: string, state: string, reason?: string): Promise<void>;
  recordStateChange(table: string, state: string, at: string): Promise<void>;
  /** Back to a fresh state: no statements, a healthy integration, all tables Synced, no bookkeeping. */
  reset(): Promise<void>;
  restore(): void;
}

const LANDING_DB = 'aurora_zeroetl';

function toField(value: unknown): Field {
  if (value === null || value === undefined) return { isNull: true };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { longValue: value } : { doubleValue: value };
  if (typeof value === 'bigint') return { longValue: Number(value) };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (value instanceof Date) return { stringValue: value.toISOString().replace('T', ' ').replace('Z', '') };
  return { stringValue: String(value) };
}

export async function createFakeAws(): Promise<FakeAws> {
  const warehouse = await createShopWarehouse();
  await warehouse.db.exec(`
    CREATE TABLE svv_integration_table_state (integration_id text, target_database text, schema_name text, table_name text,
      table_state text, table_last_replicated_checkpoint text, reason text, last_updated_timestamp timestamp, table_rows bigint, table_size bigint, is_history_mode boolean);
    CREATE TABLE sys_integration_table_state_change (integration_id text, database_name text, schema_name text, table_name text,
      new_state text, table_last_replicated_checkpoint text, state_change_reason text, record_time timestamp);
    CREATE TABLE svv_redshift_databases (database_name text, database_type text);
    INSERT INTO svv_redshift_databases VALUES ('dev', 'local'), ('${LANDING_DB}', 'local');
    INSERT INTO svv_integration_table_state (integration_id, target_database, schema_name, table_name, table_state, reason, last_updated_timestamp)
    SELECT '5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11', '${LANDING_DB}', 'public', t, 'Synced', '', TIMESTAMP '2026-03-01 00:00:00'
    FROM unnest(ARRAY['customers','products','orders','order_items','payments','shipments']) AS t;`);

  const data = mockClient(RedshiftDataClient);
  const rds = mockClient(RDSClient);
  const eventBridge = mockClient(EventBridgeClient);
  const sns = mockClient(SNSClient);
  const statements: StatementRecord[] = [];
  const byToken = new Map<string, StatementRecord>();
  const sqlLog: string[] = [];
  const rdsMutations: FakeAws['rdsMutations'] = [];
  const integrations = new Map<string, Integration>();
  const events: PutEventsRequestEntry[] = [];
  const snsMessages: FakeAws['snsMessages'] = [];
  const describeCount = new Map<string, number>();
  const faults: FaultPlan = {
    pollsBeforeDone: 0,
    throttleSubmissions: 0,
    busyDeletes: 0,
    describesUntilActive: 1,
  };
  const throttled = () => {
    if (faults.throttleSubmissions <= 0) return false;
    faults.throttleSubmissions--;
    return true;
  };
  const throttleError = () =>
    Object.assign(new Error('Active statements exceeded the limit'), {
      name: 'ActiveStatementsExceededException',
    });

  const runStatement = async (
    name: string,
    sqls: string[],
    parameters?: { name?: string; value?: string }[],
    isBuild = false,
  ) => {
    sqlLog.push(...sqls);
    const record: StatementRecord = {
      id: randomUUID(),
      name,
      sqls,
      status: 'FINISHED',
      rows: [],
      columns: [],
      pendingPolls: 0,
    };
    // Model builds are the batches submitted with an idempotency token; bookkeeping runs without one.
    const model = isBuild ? /^zeo:[^:]+:build:([A-Za-z0-9_]+)$/.exec(name)?.[1] : undefined;
    const forced = model ? faults.failModel?.get(model) : undefined;
    if (model) record.pendingPolls = faults.pollsBeforeDone;
    if (forced) {
      record.status = forced;
      record.error = forced === 'FAILED' ? `ERROR: injected failure for ${model}` : undefined;
    } else if (sqls.length === 1 && /^\s*(CREATE|DROP|ALTER)\s+DATABASE\b/i.test(sqls[0] ?? '')) {
      // Landing-database DDL acts on the zero-ETL integration; recorded, nothing to run here.
    } else {
      try {
        if (sqls.length === 1 && parameters) {
          const values: string[] = [];
          const sql = (sqls[0] ?? '').replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, p: string) => {
            const param = parameters.find((x) => x.name === p);
            if (!param) return whole;
            values.push(param.value ?? '');
            return `$${values.length}`;
          });
          const result = await warehouse.db.query(
            translate(sql, {
              currentDatabase: 'dev',
              schemaForDatabase: (d, s) => (d === LANDING_DB ? landingSchema(d, s) : undefined),
            }).sql,
            values,
          );
          record.rows = result.rows as Record<string, unknown>[];
          record.columns = result.fields.map((f) => f.name);
        } else if (sqls.length === 1) {
          const result = await warehouse.db.query(
            translate(sqls[0] ?? '', {
              currentDatabase: 'dev',
              schemaForDatabase: (d, s) => (d === LANDING_DB ? landingSchema(d, s) : undefined),
            }).sql,
          );
          record.rows = result.rows as Record<string, unknown>[];
          record.columns = result.fields.map((f) => f.name);
        } else {
          await warehouse.runBatch(sqls);
        }
      } catch (error) {
        record.status = 'FAILED';
        record.error = `ERROR: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    statements.push(record);
    return record;
  };

  data.on(BatchExecuteStatementCommand).callsFake(async (input) => {
    if (throttled()) throw throttleError();
    const token = input.ClientToken;
    const existing = token ? byToken.get(token) : undefined;
    if (existing) return { Id: existing.id };
    const record = await runStatement(
      input.StatementName ?? '',
      input.Sqls ?? [],
      undefined,
      token !== undefined,
    );
    if (token) byToken.set(token, record);
    return {
      Id: record.id,
      ...(input.WaitTimeSeconds ? { Status: record.pendingPolls > 0 ? 'STARTED' : record.status } : {}),
    };
  });
  data.on(ExecuteStatementCommand).callsFake(async (input) => {
    if (throttled()) throw throttleError();
    const record = await runStatement(input.StatementName ?? '', [input.Sql ?? ''], input.Parameters);
    return { Id: record.id, ...(input.WaitTimeSeconds ? { Status: record.status } : {}) };
  });
  data.on(DescribeStatementCommand).callsFake(async (input) => {
    const record = statements.find((s) => s.id === input.Id);
    if (!record)
      throw Object.assign(new Error(`Query does not exist: ${input.Id}`), {
        name: 'ResourceNotFoundException',
      });
    if (record.pendingPolls > 0) {
      record.pendingPolls--;
      return { Id: record.id, Status: 'STARTED' };
    }
    return {
      Id: record.id,
      Status: record.status,
      ...(record.error ? { Error: record.error } : {}),
      ResultRows: record.rows.length,
      Duration: 1_000_000,
    };
  });
  data.on(GetStatementResultCommand).callsFake(async (input) => {
    const record = statements.find((s) => s.id === input.Id);
    if (!record) throw Object.assign(new Error('unknown statement'), { name: 'ResourceNotFoundException' });
    return {
      ColumnMetadata: record.columns.map((name) => ({ name })),
      Records: record.rows.map((row) => record.columns.map((c) => toField(row[c]))),
      TotalNumRows: record.rows.length,
    };
  });
  data.on(ListStatementsCommand).callsFake(async (input) => {
    // Only the running statements are listed (the dispatcher asks for STARTED); one page is enough here.
    const prefix = input.StatementName ?? '';
    const wanted = input.Status ?? 'ALL';
    const running = statements.filter(
      (s) => (wanted === 'STARTED' || wanted === 'ALL') && s.pendingPolls > 0 && s.name.startsWith(prefix),
    );
    for (const s of running) s.pendingPolls--;
    return { Statements: running.map((s) => ({ Id: s.id, StatementName: s.name, Status: 'STARTED' })) };
  });
  data.on(CancelStatementCommand).resolves({ Status: true });

  const findIntegration = (identifier: string | undefined) =>
    identifier
      ? [...integrations.values()].find(
          (i) => i.IntegrationArn === identifier || i.IntegrationArn?.endsWith(`:${identifier}`),
        )
      : undefined;
  const notFound = () =>
    Object.assign(new Error('integration not found'), { name: 'IntegrationNotFoundFault' });
  rds.on(DescribeIntegrationsCommand).callsFake(async (input) => {
    if (!input.IntegrationIdentifier) return { Integrations: [...integrations.values()] };
    const found = findIntegration(input.IntegrationIdentifier);
    if (!found?.IntegrationArn) throw notFound();
    const arn = found.IntegrationArn;
    const n = (describeCount.get(arn) ?? 0) + 1;
    describeCount.set(arn, n);
    if (found.Status === 'deleting') {
      integrations.delete(arn);
      return { Integrations: [found] };
    }
    if (found.Status === 'creating' && n > faults.describesUntilActive) found.Status = 'active';
    return { Integrations: [found] };
  });
  rds.on(DeleteIntegrationCommand).callsFake(async (input) => {
    rdsMutations.push({ action: 'DeleteIntegration', identifier: input.IntegrationIdentifier ?? '' });
    if (faults.busyDeletes > 0) {
      faults.busyDeletes--;
      throw Object.assign(new Error('another operation is in progress'), {
        name: 'IntegrationConflictOperationFault',
      });
    }
    const found = findIntegration(input.IntegrationIdentifier);
    if (!found) throw notFound();
    found.Status = 'deleting';
    return found;
  });
  rds.on(CreateIntegrationCommand).callsFake(async (input) => {
    rdsMutations.push({ action: 'CreateIntegration', identifier: input.IntegrationName ?? '' });
    const arn = `arn:aws:rds:us-east-1:123456789012:integration:${randomUUID()}`;
    const created: Integration = {
      IntegrationArn: arn,
      IntegrationName: input.IntegrationName,
      SourceArn: input.SourceArn,
      TargetArn: input.TargetArn,
      Status: 'creating',
      Tags: input.Tags,
      CreateTime: new Date(),
      ...(input.KMSKeyId ? { KMSKeyId: input.KMSKeyId } : {}),
      ...(input.DataFilter ? { DataFilter: input.DataFilter } : {}),
    };
    integrations.set(arn, created);
    return created;
  });
  eventBridge.on(PutEventsCommand).callsFake(async (input) => {
    events.push(...(input.Entries ?? []));
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: randomUUID() })) };
  });
  sns.on(PublishCommand).callsFake(async (input) => {
    snsMessages.push({ subject: input.Subject, message: input.Message });
    return { MessageId: randomUUID() };
  });

  const fake: FakeAws = {
    warehouse,
    statements,
    sqlLog,
    rdsMutations,
    integrations,
    events,
    snsMessages,
    faults,
    async setTableState(table, state, reason = '') {
      const [schema, name] = table.split('.');
      await warehouse.db.query(
        'UPDATE svv_integration_table_state SET table_state = $1, reason = $2, last_updated_timestamp = now() WHERE schema_name = $3 AND table_name = $4',
        [state, reason, schema, name],
      );
    },
    async recordStateChange(table, state, at) {
      const [schema, name] = table.split('.');
      await warehouse.db.query(
        `INSERT INTO sys_integration_table_state_change (integration_id, database_name, schema_name, table_name, new_state, record_time) VALUES ('x', '${LANDING_DB}', $1, $2, $3, $4)`,
        [schema, name, state, at],
      );
    },
    async reset() {
      await warehouse.db.exec(`DROP SCHEMA IF EXISTS zeo CASCADE;
        UPDATE svv_integration_table_state SET table_state = 'Synced', reason = '';
        DELETE FROM sys_integration_table_state_change;`);
      statements.length = 0;
      byToken.clear();
      sqlLog.length = 0;
      rdsMutations.length = 0;
      events.length = 0;
      snsMessages.length = 0;
      describeCount.clear();
      integrations.clear();
      integrations.set(CONFIGURED_INTEGRATION_ARN, {
        IntegrationArn: CONFIGURED_INTEGRATION_ARN,
        IntegrationName: 'shop-zero-etl',
        SourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora',
        TargetArn:
          'arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
        Status: 'active',
        CreateTime: new Date('2026-01-01T00:00:00Z'),
        Tags: [{ Key: 'team', Value: 'data' }],
        DataFilter: 'include: shop.public.*',
        Description: 'shop to analytics',
      });
      Object.assign(faults, {
        failModel: undefined,
        pollsBeforeDone: 0,
        throttleSubmissions: 0,
        busyDeletes: 0,
        describesUntilActive: 1,
      });
    },
    restore() {
      data.restore();
      rds.restore();
      eventBridge.restore();
      sns.restore();
    },
  };
  await fake.reset();
  return fake;
}
