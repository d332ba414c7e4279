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
  ActiveSessionsExceededException,
  ActiveStatementsExceededException,
  ActiveWaitingRequestsExceededException,
  BatchExecuteStatementCommand,
  BatchExecuteStatementException,
  CancelStatementCommand,
  DatabaseConnectionException,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  ExecuteStatementException,
  GetStatementResultCommand,
  InternalServerException,
  ListStatementsCommand,
  QueryTimeoutException,
  RedshiftDataClient,
  RedshiftDataServiceException,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DataApiError } from '../../local/data-api/errors.js';
import type { DataApiOperation, StatementInfo } from '../../local/data-api/faults.js';
import { ANONYMOUS_CALLER, LocalDataApi } from '../../local/data-api/server.js';
import { INTERNAL_SCHEMA } from '../../local/warehouse/catalog-sql.js';
import {
  applyAccess,
  dropLandingDatabase,
  landingDatabases,
  removeIntegration,
  setTableState,
  type TableState,
  upsertIntegration,
} from '../../local/warehouse/landing.js';
import { LocalRedshift } from '../../local/warehouse/local-redshift.js';
import { landShop, loadShop, SHOP_SOURCE_DATABASE, SHOP_TABLES } from './shop-landing.js';

/**
 * The AWS SDK mocked with aws-sdk-client-mock for the state machine tests, with real services behind
 * the mocks:
 *
 * - Redshift Data API: every command goes to the project's own emulator, `LocalDataApi`
 *   (local/data-api/), through its in-process `handle()`, on a `LocalRedshift` holding the shop's
 *   landing database. So every rule of the emulator applies here too (statuses, ClientToken replay,
 *   statement sizes, parameters, field conversion, ownership, listing), and faults are the emulator's
 *   own. In-process rather than the HTTP endpoint because the mocked clients never sign (the product's
 *   Data API client assumes the warehouse role through STS, which these tests have no endpoint for),
 *   and a call costs no socket. What the wire would do on the way is done here: undefined fields
 *   dropped, epoch-second dates turned into Dates, error replies into the SDK's modeled exceptions.
 *   Statements run asynchronously in the emulator; each submission waits until they have ended, so the
 *   product sees a statement's end at its first look, as before. Slow statements are the emulator's
 *   `delayStatus` fault (FaultPlan.pollsBeforeDone).
 * - RDS, EventBridge and SNS: small fakes here. Integration changes reach the warehouse's zero-ETL
 *   catalog as on AWS (a created integration is known to CREATE DATABASE … FROM INTEGRATION, a deleted
 *   one leaves its database detached); a database created FROM INTEGRATION is loaded with the shop at
 *   once, as a finished initial load.
 *
 * Every statement the Data API accepted and every mutating RDS call is logged.
 */

/** A statement the Data API accepted (a ClientToken replay is not a new one). */
export interface AcceptedStatement {
  id: string;
  name: string;
  sqls: string[];
}

export interface FaultPlan {
  /** Make every build of this model fail (status FAILED) or be aborted (ABORTED) without running it. */
  failModel?: Map<string, 'FAILED' | 'ABORTED'> | undefined;
  /**
   * Every build submitted from now on stays STARTED for this many looks (a ListStatements that lists it,
   * or a DescribeStatement) before its real status shows.
   */
  pollsBeforeDone: number;
  /** The next N submissions (ExecuteStatement or BatchExecuteStatement) are throttled (ActiveStatementsExceededException). */
  throttleSubmissions: number;
  /** The next N DeleteIntegration calls fail with IntegrationConflictOperationFault. */
  busyDeletes: number;
  /** Describes a new integration answers `creating` before `active` (Infinity = never active). */
  describesUntilActive: number;
}

export const CONFIGURED_INTEGRATION_ARN =
  'arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11';

export interface FakeAws {
  warehouse: LocalRedshift;
  /** The Data API emulator of the current test (a fresh one after every `reset()`). */
  readonly dataApi: LocalDataApi;
  statements: AcceptedStatement[];
  /** Every SQL text the Data API accepted, in order. */
  sqlLog: string[];
  rdsMutations: { action: string; identifier: string }[];
  integrations: Map<string, Integration>;
  events: PutEventsRequestEntry[];
  snsMessages: { subject?: string; message?: string }[];
  faults: FaultPlan;
  /** Sets a landing table's current state (no history row: see recordStateChange). */
  setTableState(table: string, state: TableState, reason?: string): Promise<void>;
  /** Adds a row to SYS_INTEGRATION_TABLE_STATE_CHANGE without changing the current state. */
  recordStateChange(table: string, state: string, at: string): Promise<void>;
  /** Back to a fresh state: no statements, a healthy integration, all tables Synced, no bookkeeping. */
  reset(): Promise<void>;
  restore(): void;
}

const LANDING_DB = 'aurora_zeroetl';
const integrationIdOf = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);
const CONFIGURED_INTEGRATION_ID = integrationIdOf(CONFIGURED_INTEGRATION_ARN);

/** The model a build batch is for (`zeo:<run>:build:<model>`, shared/runtime statement names). */
const buildModel = (statement: Pick<StatementInfo, 'statementName'>): string | undefined =>
  /^zeo:[^:]+:build:([A-Za-z0-9_]+)$/.exec(statement.statementName ?? '')?.[1];

/** The Data API's epoch-second timestamps as the SDK hands them out: Dates. */
function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      (key === 'CreatedAt' || key === 'UpdatedAt') && typeof v === 'number'
        ? new Date(v * 1000)
        : fromWire(v),
    ]),
  );
}

/** An error reply as the SDK throws it: the modeled exception of its `__type`. */
function sdkError(error: unknown): unknown {
  if (!(error instanceof DataApiError)) return error;
  // Some exceptions model the text as `Message` too (the wire reply carries both).
  const options = {
    message: error.message,
    Message: error.message,
    $metadata: { httpStatusCode: error.httpStatus },
  };
  switch (error.type) {
    case 'ValidationException':
      return new ValidationException(options);
    case 'ResourceNotFoundException':
      return new ResourceNotFoundException({ ...options, ResourceId: error.extra.ResourceId });
    case 'ActiveStatementsExceededException':
      return new ActiveStatementsExceededException(options);
    case 'ActiveSessionsExceededException':
      return new ActiveSessionsExceededException(options);
    case 'ActiveWaitingRequestsExceededException':
      return new ActiveWaitingRequestsExceededException(options);
    case 'BatchExecuteStatementException':
      return new BatchExecuteStatementException({ ...options, StatementId: error.extra.StatementId });
    case 'ExecuteStatementException':
      return new ExecuteStatementException({ ...options, StatementId: error.extra.StatementId });
    case 'InternalServerException':
      return new InternalServerException(options);
    case 'DatabaseConnectionException':
      return new DatabaseConnectionException(options);
    case 'QueryTimeoutException':
      return new QueryTimeoutException(options);
    case 'ThrottlingException':
    case 'AccessDeniedException':
      // Not modeled by the Data API client: the SDK throws its service exception under the wire name.
      return new RedshiftDataServiceException({ ...options, name: error.type, $fault: 'client' });
  }
}

export async function createFakeAws(): Promise<FakeAws> {
  const warehouse = await LocalRedshift.create({ roles: ['reporting_reader'] });
  const data = mockClient(RedshiftDataClient);
  const rds = mockClient(RDSClient);
  const eventBridge = mockClient(EventBridgeClient);
  const sns = mockClient(SNSClient);
  const statements: AcceptedStatement[] = [];
  const sqlLog: string[] = [];
  const rdsMutations: FakeAws['rdsMutations'] = [];
  const integrations = new Map<string, Integration>();
  const events: PutEventsRequestEntry[] = [];
  const snsMessages: FakeAws['snsMessages'] = [];
  const describeCount = new Map<string, number>();

  // The Data API and the fault plan, translated into the emulator's own faults as the tests set it.
  let dataApi = new LocalDataApi({ warehouse });
  let logged = 0;
  let failModel: FaultPlan['failModel'];
  let pollsBeforeDone = 0;
  let throttleSubmissions = 0;
  const faults: FaultPlan = {
    get failModel() {
      return failModel;
    },
    set failModel(plan) {
      failModel = plan;
      for (const [model, status] of plan ?? []) {
        if (status !== 'FAILED') continue; // ABORTED: aborted on submission, see submit()
        dataApi.failStatements({
          // The live plan decides, so a later plan without this model disarms it.
          match: (s) => buildModel(s) === model && failModel?.get(model) === 'FAILED',
          error: `ERROR: injected failure for ${model}`,
          times: Number.POSITIVE_INFINITY,
        });
      }
    },
    get pollsBeforeDone() {
      return pollsBeforeDone;
    },
    set pollsBeforeDone(looks) {
      pollsBeforeDone = looks;
      if (looks > 0)
        dataApi.delayStatus({
          match: (s) => buildModel(s) !== undefined && pollsBeforeDone === looks,
          looks,
        });
    },
    /** What was last armed (the emulator counts the throttled calls down). */
    get throttleSubmissions() {
      return throttleSubmissions;
    },
    set throttleSubmissions(times) {
      throttleSubmissions = times;
      if (times > 0)
        dataApi.injectFault({
          operation: ['ExecuteStatement', 'BatchExecuteStatement'],
          errorType: 'ActiveStatementsExceededException',
          times,
          message: 'Active statements exceeded the limit',
        });
    },
    busyDeletes: 0,
    describesUntilActive: 1,
  };

  const call = async (operation: DataApiOperation, input: object): Promise<unknown> => {
    try {
      // JSON round trip: the request as the wire carries it (no undefined members).
      return fromWire(await dataApi.handle(operation, JSON.parse(JSON.stringify(input)), ANONYMOUS_CALLER));
    } catch (error) {
      throw sdkError(error);
    }
  };
  const submit = async (operation: 'ExecuteStatement' | 'BatchExecuteStatement', input: object) => {
    const api = dataApi;
    const reply = await call(operation, input);
    const accepted = api.log.slice(logged);
    logged = api.log.length;
    for (const entry of accepted) {
      sqlLog.push(entry.sql);
      const known = statements.find((s) => s.id === entry.statementId);
      if (known) known.sqls.push(entry.sql);
      else statements.push({ id: entry.statementId, name: entry.statementName ?? '', sqls: [entry.sql] });
      const model = buildModel(entry);
      // An operator's abort before it runs: the emulator's own ABORTED path (pg_cancel_backend).
      if (entry.index === 1 && model && failModel?.get(model) === 'ABORTED') api.abort(entry.statementId);
    }
    await api.settle();
    return reply;
  };
  // The mocks resolve with what the emulator answered: its replies are the SDK's output shapes.
  data.on(BatchExecuteStatementCommand).callsFake((input) => submit('BatchExecuteStatement', input));
  data.on(ExecuteStatementCommand).callsFake((input) => submit('ExecuteStatement', input));
  data.on(DescribeStatementCommand).callsFake((input) => call('DescribeStatement', input));
  data.on(GetStatementResultCommand).callsFake((input) => call('GetStatementResult', input));
  data.on(ListStatementsCommand).callsFake((input) => call('ListStatements', input));
  data.on(CancelStatementCommand).callsFake((input) => call('CancelStatement', input));

  // The zero-ETL side of the warehouse: the source database exists, a new landing database is loaded.
  warehouse.setIntegrationHooks({
    checkSourceDatabase: (_id, source) =>
      source === SHOP_SOURCE_DATABASE ? undefined : `database "${source}" does not exist in the source`,
    onLandingChange: () => {
      // Queued now, so it runs before the next Data API request reaches the warehouse.
      void warehouse
        .privileged(async (db) => {
          const loaded = await db.query<{ database_name: string }>(
            `SELECT DISTINCT database_name FROM ${INTERNAL_SCHEMA}.landing_table`,
          );
          const withTables = new Set(loaded.rows.map((r) => r.database_name));
          for (const database of await landingDatabases(db)) {
            if (database.attached && !withTables.has(database.name))
              await loadShop(db, warehouse, {
                database: database.name,
                integrationId: database.integrationId,
              });
          }
        })
        .catch((error: unknown) => console.error('fake-aws: initial load failed', error));
    },
  });

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
      // Gone: its landing database stays, detached (readable, droppable, nothing replicates).
      await warehouse.privileged((db) => removeIntegration(db, integrationIdOf(arn), warehouse.sessionRole));
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
    // The warehouse knows the integration (CREATE DATABASE … FROM INTEGRATION may name it).
    await warehouse.privileged((db) => upsertIntegration(db, integrationIdOf(arn), warehouse.clock.now()));
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

  /** The landing database's integration (the configured one, or whichever recreated it). */
  const landingIntegrationId = async (): Promise<string> => {
    const databases = await warehouse.privileged((db) => landingDatabases(db));
    return databases.find((d) => d.name === LANDING_DB)?.integrationId ?? CONFIGURED_INTEGRATION_ID;
  };

  const fake: FakeAws = {
    warehouse,
    get dataApi() {
      return dataApi;
    },
    statements,
    sqlLog,
    rdsMutations,
    integrations,
    events,
    snsMessages,
    faults,
    async setTableState(table, state, reason = '') {
      const [schema = '', name = ''] = table.split('.');
      const integrationId = await landingIntegrationId();
      await warehouse.privileged(async (db) => {
        const before = await db.query<{ seq: number }>(
          `SELECT COALESCE(max(seq), 0)::int AS seq FROM ${INTERNAL_SCHEMA}.table_state_change`,
        );
        await setTableState(db, {
          database: LANDING_DB,
          schema,
          table: name,
          integrationId,
          state,
          reason,
          now: warehouse.clock.now(),
        });
        // The current state only: the tests write the history they mean (recordStateChange), and the
        // resync episodes the product tells apart come from that history.
        await db.query(`DELETE FROM ${INTERNAL_SCHEMA}.table_state_change WHERE seq > $1`, [
          before.rows[0]?.seq ?? 0,
        ]);
        // Only Synced tables are readable, as on Redshift.
        await applyAccess(db, LANDING_DB, warehouse.sessionRole);
      });
    },
    async recordStateChange(table, state, at) {
      const [schema, name] = table.split('.');
      // A past transition, without changing the current state: straight into the history.
      await warehouse.privileged((db) =>
        db.query(
          `INSERT INTO ${INTERNAL_SCHEMA}.table_state_change (integration_id, database_name, schema_name, table_name, new_state, record_time) VALUES ('x', '${LANDING_DB}', $1, $2, $3, $4)`,
          [schema, name, state, at],
        ),
      );
    },
    async reset() {
      dataApi.clearFaults();
      await dataApi.settle();
      dataApi = new LocalDataApi({ warehouse });
      logged = 0;
      failModel = undefined;
      pollsBeforeDone = 0;
      throttleSubmissions = 0;
      const created = [...integrations.keys()]
        .filter((arn) => arn !== CONFIGURED_INTEGRATION_ARN)
        .map(integrationIdOf);
      await warehouse.privileged(async (db) => {
        await db.exec('DROP SCHEMA IF EXISTS zeo CASCADE');
        const databases = await landingDatabases(db);
        const only = databases.length === 1 ? databases[0] : undefined;
        const fresh =
          only?.name === LANDING_DB && only.integrationId === CONFIGURED_INTEGRATION_ID && only.attached;
        if (fresh) {
          // Curated objects reading the landing tables survive, as they did between tests.
          for (const table of SHOP_TABLES) {
            await setTableState(db, {
              database: LANDING_DB,
              schema: 'public',
              table,
              integrationId: CONFIGURED_INTEGRATION_ID,
              state: 'Synced',
              reason: null,
              now: warehouse.clock.now(),
            });
          }
          await db.exec(
            `DELETE FROM ${INTERNAL_SCHEMA}.landing_table WHERE database_name = '${LANDING_DB}' AND NOT (schema_name = 'public' AND table_name IN (${SHOP_TABLES.map((t) => `'${t}'`).join(', ')}))`,
          );
          await applyAccess(db, LANDING_DB, warehouse.sessionRole);
        } else {
          for (const database of databases) await dropLandingDatabase(db, database.name);
        }
        for (const id of created) await removeIntegration(db, id, warehouse.sessionRole);
      });
      const reloaded = await warehouse.privileged(async (db) => (await landingDatabases(db)).length === 0);
      if (reloaded)
        await landShop(warehouse, { database: LANDING_DB, integrationId: CONFIGURED_INTEGRATION_ID });
      await warehouse.privileged((db) => db.exec(`DELETE FROM ${INTERNAL_SCHEMA}.table_state_change`));
      statements.length = 0;
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
      faults.busyDeletes = 0;
      faults.describesUntilActive = 1;
    },
    restore() {
      dataApi.clearFaults();
      data.restore();
      rds.restore();
      eventBridge.restore();
      sns.restore();
    },
  };
  await fake.reset();
  return fake;
}
