import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  type SqlParameter,
  type StatementData,
} from '@aws-sdk/client-redshift-data';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { PGlite } from '@electric-sql/pglite';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CLOCK_SETTING,
  COMPATIBILITY_FUNCTIONS,
  localSchemaForDatabase,
  translate,
} from '../../local/redshift-dialect.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { LATENCY_MS } from './assumptions.js';
import type { VirtualTime } from './virtual-time.js';

/**
 * The Redshift Data API as a model on a virtual clock, behind the real SDK (aws-sdk-client-mock), so
 * the handlers run unchanged. Every statement the handlers send really runs — on PGlite through the
 * local stack's Redshift dialect, against empty landing tables — so bookkeeping, leases, change
 * detection and run logs behave as the product wrote them. Only time is modeled:
 *
 * - a model build (a batch submitted without WaitTimeSeconds) runs its SQL at its modeled finish time
 *   and is STARTED until then; its SYSDATE (on Redshift the start of the batch's transaction) is the
 *   submit time, so the run log records the build's real window and a later refresh reads real past
 *   durations;
 * - bookkeeping statements (sent with WaitTimeSeconds) finish within the request after a short
 *   modeled duration;
 * - every API call costs its modeled round trip;
 * - ListStatements matches StatementName as a case-sensitive prefix, filters by Status, returns the
 *   newest first, at most MaxResults (≤ 100, 0 = 100) a page with a NextToken for the rest.
 *
 * The warehouse has unlimited capacity: durations do not depend on how many statements run at once,
 * for us and for the baselines alike.
 */

interface StatementOutcome {
  status: 'FINISHED' | 'FAILED';
  error?: string;
  columns: string[];
  rows: Field[][];
}

interface ModeledStatement {
  id: string;
  /** Creation order (ListStatements: newest first, ties by arrival). */
  serial: number;
  name: string;
  submittedAt: number;
  finishAt: number;
  isBatch: boolean;
  outcome: Promise<StatementOutcome> | undefined;
  /** The outcome once the SQL has run (until then the statement is STARTED). */
  settled?: StatementOutcome;
}

export interface DataApiCounts {
  batchExecuteStatement: number;
  /** Batches that are model builds (submitted, then polled by the state machine). */
  buildBatches: number;
  executeStatement: number;
  describeStatement: number;
  getStatementResult: number;
  cancelStatement: number;
  /** ListStatements calls (each page is a call). */
  listStatements: number;
}

export interface ModeledDataApi {
  counts: DataApiCounts;
  /** Every build batch: model, when it was submitted and when its SQL finished (virtual ms). */
  builds: { model: string; submittedAt: number; finishAt: number }[];
  /** Virtual time at which each model's build was first seen FINISHED by a DescribeStatement. */
  noticedAt: Map<string, number>;
  /** DescribeStatement calls per model build (polls). */
  describesPerModel: Map<string, number>;
  /**
   * Each ListStatements call shared equally among the builds in flight when it was made (submitted
   * and not yet described as ended): a model's share of the list calls that watched it.
   */
  listSharePerModel: Map<string, number>;
  /** ListStatements calls made while each model's build was in flight (the looks it got). */
  looksPerModel: Map<string, number>;
  /**
   * Data API calls by what they were for: the part of the statement name after `zeo:<run>:` (build,
   * leases, leases:status, targets, outcomes, drop-old, plan, table-states, …); `list` for
   * ListStatements. Describe/GetStatementResult/Cancel count under the statement they concern.
   */
  callsByPurpose: Map<string, number>;
  /** Every Data API call: virtual time (ms) and operation. */
  callLog: { at: number; op: DataApiOperation }[];
  /** Statement names of every query (statements whose rows were read), in order. */
  queries: string[];
  readonly eventsPut: number;
  total(): number;
  /** Moves the replication position of landing tables (as new changes arriving would). */
  touchTables(tables: readonly string[], at: Date): Promise<void>;
  resetCounts(): void;
  restore(): void;
  close(): Promise<void>;
}

export type DataApiOperation =
  | 'BatchExecuteStatement'
  | 'ExecuteStatement'
  | 'DescribeStatement'
  | 'GetStatementResult'
  | 'CancelStatement'
  | 'ListStatements';

export interface ModeledDataApiOptions {
  vt: VirtualTime;
  manifest: Manifest;
  /** Modeled SQL duration per model, seconds. */
  durations: ReadonlyMap<string, number>;
}

const LANDING_COLUMNS = 'id bigint, account_id bigint, amount numeric(14,2), updated_at timestamp';

function toField(value: unknown): Field {
  if (value === null || value === undefined) return { isNull: true };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { longValue: value } : { doubleValue: value };
  if (typeof value === 'bigint') return { longValue: Number(value) };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (value instanceof Date) return { stringValue: value.toISOString().replace('T', ' ').replace('Z', '') };
  return { stringValue: String(value) };
}

function outcomeOf(result: { rows: unknown[]; fields: { name: string }[] }): StatementOutcome {
  const columns = result.fields.map((f) => f.name);
  return {
    status: 'FINISHED',
    columns,
    rows: result.rows.map((row) => columns.map((c) => toField((row as Record<string, unknown>)[c]))),
  };
}

const sqlTimestamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

export async function installModeledDataApi(options: ModeledDataApiOptions): Promise<ModeledDataApi> {
  const { vt, durations, manifest } = options;
  const landing = manifest.project.landing;
  const context = {
    currentDatabase: manifest.project.warehouse.database,
    schemaForDatabase: (database: string, schema: string) =>
      database === landing.database ? localSchemaForDatabase(database, schema) : undefined,
  };
  const db = await PGlite.create();
  const tables = Object.entries(landing.tables).flatMap(([schema, names]) =>
    names.map((t) => ({ schema, t })),
  );
  const setup = [
    ...COMPATIBILITY_FUNCTIONS,
    ...[...new Set(tables.map((x) => x.schema))].map(
      (s) => `CREATE SCHEMA "${localSchemaForDatabase(landing.database, s)}"`,
    ),
    ...tables.map(
      ({ schema, t }) =>
        `CREATE TABLE "${localSchemaForDatabase(landing.database, schema)}"."${t}" (${LANDING_COLUMNS})`,
    ),
    `CREATE TABLE svv_integration_table_state (integration_id text, target_database text, schema_name text, table_name text,
      table_state text, table_last_replicated_checkpoint text, reason text, last_updated_timestamp timestamp, table_rows bigint,
      table_size bigint, is_history_mode boolean)`,
    `CREATE TABLE sys_integration_table_state_change (integration_id text, database_name text, schema_name text, table_name text,
      new_state text, table_last_replicated_checkpoint text, state_change_reason text, record_time timestamp)`,
    ...tables.map(
      ({ schema, t }) =>
        `INSERT INTO svv_integration_table_state VALUES ('i-1', ${quoteLiteral(landing.database)}, ${quoteLiteral(schema)}, ${quoteLiteral(t)}, 'Synced', '{"txn_seq":1,"txn_id":1}', '', TIMESTAMP '2026-04-30 00:00:00', 0, 0, false)`,
    ),
  ];
  await db.exec(`${setup.join(';\n')};`);

  const data = mockClient(RedshiftDataClient);
  const eventBridge = mockClient(EventBridgeClient);
  const sns = mockClient(SNSClient);
  const statements = new Map<string, ModeledStatement>();
  const counts: DataApiCounts = {
    batchExecuteStatement: 0,
    buildBatches: 0,
    executeStatement: 0,
    describeStatement: 0,
    getStatementResult: 0,
    cancelStatement: 0,
    listStatements: 0,
  };
  const builds: ModeledDataApi['builds'] = [];
  const noticedAt = new Map<string, number>();
  const describesPerModel = new Map<string, number>();
  const listSharePerModel = new Map<string, number>();
  const looksPerModel = new Map<string, number>();
  const callsByPurpose = new Map<string, number>();
  const callLog: { at: number; op: DataApiOperation }[] = [];
  /** Build statements submitted and not yet seen ended by a DescribeStatement: model by statement id. */
  const buildsInFlight = new Map<string, string>();
  /** Long statements whose SQL has not run yet: the only ones ListStatements can find STARTED. */
  const running = new Set<ModeledStatement>();
  const queries: string[] = [];
  const byToken = new Map<string, string>();
  let serial = 0;
  let eventsPut = 0;
  const newId = () => {
    serial++;
    return `00000000-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`;
  };
  const modelOf = (statementName: string) => statementName.split(':').find((part) => durations.has(part));
  const isBuild = (statementName: string) =>
    statementName.includes(':build:') || statementName.startsWith('baseline:');
  /** `zeo:<run>:leases:status` → `leases:status`; a model name in it → `<model>`. */
  const purposeOf = (statementName: string) => {
    if (statementName.startsWith('baseline:')) return 'baseline build';
    const parts = statementName.split(':').slice(2);
    if (parts.length === 0) return 'bookkeeping';
    const kind = parts.map((p) => (durations.has(p) ? '<model>' : p));
    // Tick, batch and chunk numbers vary; the purpose is what stays.
    return kind.filter((p) => !/^[0-9-]+$/.test(p)).join(':') || 'other';
  };
  const countCall = (purpose: string, op: DataApiOperation) => {
    callsByPurpose.set(purpose, (callsByPurpose.get(purpose) ?? 0) + 1);
    callLog.push({ at: vt.now(), op });
  };
  /** SYSDATE of a build batch: the start of its transaction, i.e. when it was submitted. */
  const sysdateAt = (sql: string, ms: number) =>
    sql.replace(/(?<![\w."$])SYSDATE(?![\w"$(])/gi, `CAST(${quoteLiteral(sqlTimestamp(ms))} AS TIMESTAMP)`);

  /** Runs statements as one transaction at the current virtual time. */
  const execute = async (sqls: readonly string[], parameters?: SqlParameter[]): Promise<StatementOutcome> => {
    const setClock = `SET LOCAL ${CLOCK_SETTING} = ${quoteLiteral(sqlTimestamp(vt.now()))}`;
    try {
      return await db.transaction(async (tx) => {
        const first = sqls[0] ?? '';
        if (sqls.length === 1 && parameters && parameters.length > 0) {
          // Bound parameters need the extended protocol: one statement, :name → $n.
          const values: string[] = [];
          const text = first.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, p: string) => {
            const param = parameters.find((x) => x.name === p);
            if (!param) return whole;
            values.push(param.value ?? '');
            return `$${values.length}`;
          });
          await tx.exec(setClock);
          return outcomeOf(await tx.query<Record<string, unknown>>(translate(text, context).sql, values));
        }
        // One round trip into PGlite for the whole batch; the last statement's rows are the result.
        const results = await tx.exec(
          [setClock, ...sqls.map((sql) => translate(sql, context).sql)].join(';\n'),
        );
        const last = results.at(-1);
        return last && sqls.length === 1 ? outcomeOf(last) : { status: 'FINISHED', columns: [], rows: [] };
      });
    } catch (error) {
      return {
        status: 'FAILED',
        error: `ERROR: ${error instanceof Error ? error.message : String(error)}`,
        columns: [],
        rows: [],
      };
    }
  };

  const shortStatement = async (
    name: string,
    sqls: readonly string[],
    isBatch: boolean,
    parameters?: SqlParameter[],
  ) => {
    await vt.sleep(LATENCY_MS.dataApiSubmit + LATENCY_MS.bookkeepingStatement);
    const id = newId();
    const outcome = await execute(sqls, parameters);
    statements.set(id, {
      id,
      serial,
      name,
      submittedAt: vt.now(),
      finishAt: vt.now(),
      isBatch,
      outcome: Promise.resolve(outcome),
      settled: outcome,
    });
    return { id, outcome };
  };

  /**
   * A statement that runs past the request: STARTED until its model's modeled duration has passed.
   * `sqls` run at that moment (the batch commits then); without them only the time is modeled.
   */
  const longStatement = async (
    name: string,
    token: string | undefined,
    sqls: readonly string[] | undefined,
  ) => {
    await vt.sleep(LATENCY_MS.dataApiSubmit);
    const existing = token ? byToken.get(token) : undefined;
    if (existing) return existing;
    const model = isBuild(name) ? modelOf(name) : undefined;
    const seconds = model === undefined ? 0 : (durations.get(model) ?? 0);
    const id = newId();
    const submittedAt = vt.now();
    const finishAt = submittedAt + seconds * 1000;
    const done: StatementOutcome = { status: 'FINISHED', columns: [], rows: [] };
    const statement: ModeledStatement = {
      id,
      serial,
      name,
      submittedAt,
      finishAt,
      isBatch: sqls !== undefined,
      outcome: undefined,
    };
    const body = sqls && model !== undefined ? sqls.map((sql) => sysdateAt(sql, submittedAt)) : sqls;
    statement.outcome = vt
      .sleep(finishAt - submittedAt)
      .then(() => (body ? execute(body) : done))
      .then((outcome) => {
        statement.settled = outcome;
        running.delete(statement);
        return outcome;
      });
    statements.set(id, statement);
    running.add(statement);
    if (token) byToken.set(token, id);
    if (model !== undefined) {
      counts.buildBatches++;
      builds.push({ model, submittedAt, finishAt });
      buildsInFlight.set(id, model);
    }
    return id;
  };

  data.on(BatchExecuteStatementCommand).callsFake(async (input) => {
    counts.batchExecuteStatement++;
    const name = input.StatementName ?? '';
    countCall(purposeOf(name), 'BatchExecuteStatement');
    if (input.WaitTimeSeconds !== undefined) {
      const { id, outcome } = await shortStatement(name, input.Sqls ?? [], true);
      return { Id: id, Status: outcome.status };
    }
    return { Id: await longStatement(name, input.ClientToken, input.Sqls ?? []) };
  });
  data.on(ExecuteStatementCommand).callsFake(async (input) => {
    counts.executeStatement++;
    const name = input.StatementName ?? '';
    countCall(purposeOf(name), 'ExecuteStatement');
    if (input.WaitTimeSeconds === undefined && modelOf(name) !== undefined) {
      // The baselines' one statement per model: its duration is modeled, its text is not run.
      return { Id: await longStatement(name, input.ClientToken, undefined) };
    }
    const { id, outcome } = await shortStatement(name, [input.Sql ?? ''], false, input.Parameters);
    return { Id: id, ...(input.WaitTimeSeconds === undefined ? {} : { Status: outcome.status }) };
  });
  data.on(DescribeStatementCommand).callsFake(async (input) => {
    counts.describeStatement++;
    await vt.sleep(LATENCY_MS.dataApiDescribe);
    const s = statements.get(input.Id ?? '');
    if (!s?.outcome)
      throw Object.assign(new Error(`Query does not exist: ${input.Id}`), {
        name: 'ResourceNotFoundException',
      });
    countCall(purposeOf(s.name), 'DescribeStatement');
    const model = isBuild(s.name) ? modelOf(s.name) : undefined;
    if (model !== undefined) describesPerModel.set(model, (describesPerModel.get(model) ?? 0) + 1);
    if (vt.now() < s.finishAt) return { Id: s.id, Status: 'STARTED' };
    const outcome = await s.outcome;
    buildsInFlight.delete(s.id);
    if (model !== undefined && !noticedAt.has(model)) noticedAt.set(model, vt.now());
    return {
      Id: s.id,
      Status: outcome.status,
      ...(outcome.error ? { Error: outcome.error } : {}),
      ResultRows: outcome.rows.length,
      Duration: Math.round((s.finishAt - s.submittedAt) * 1e6),
    };
  });
  data.on(GetStatementResultCommand).callsFake(async (input) => {
    counts.getStatementResult++;
    await vt.sleep(LATENCY_MS.dataApiResult);
    const s = statements.get(input.Id ?? '');
    if (!s?.outcome)
      throw Object.assign(new Error('unknown statement'), { name: 'ResourceNotFoundException' });
    countCall(purposeOf(s.name), 'GetStatementResult');
    queries.push(s.name);
    const outcome = await s.outcome;
    return {
      ColumnMetadata: outcome.columns.map((name) => ({ name })),
      Records: outcome.rows,
      TotalNumRows: outcome.rows.length,
    };
  });
  data.on(CancelStatementCommand).callsFake(async (input) => {
    counts.cancelStatement++;
    countCall(purposeOf(statements.get(input.Id ?? '')?.name ?? ''), 'CancelStatement');
    await vt.sleep(LATENCY_MS.dataApiDescribe);
    return { Status: true };
  });
  data.on(ListStatementsCommand).callsFake(async (input) => {
    counts.listStatements++;
    countCall('list', 'ListStatements');
    // The builds this call watches: submitted, and not yet seen ended.
    const watched = [...buildsInFlight.values()];
    for (const model of watched) {
      listSharePerModel.set(model, (listSharePerModel.get(model) ?? 0) + 1 / watched.length);
      looksPerModel.set(model, (looksPerModel.get(model) ?? 0) + 1);
    }
    await vt.sleep(LATENCY_MS.dataApiList);
    const now = vt.now();
    const statusOf = (s: ModeledStatement): string =>
      now < s.finishAt || s.settled === undefined ? 'STARTED' : s.settled.status;
    const wanted = input.Status ?? 'ALL';
    const prefix = input.StatementName;
    // Short statements end within their request: only long ones can be STARTED.
    const pool = wanted === 'STARTED' ? [...running] : [...statements.values()];
    const matching = pool
      .filter(
        (s) =>
          (prefix === undefined || s.name.startsWith(prefix)) && (wanted === 'ALL' || statusOf(s) === wanted),
      )
      .sort((a, b) => b.submittedAt - a.submittedAt || b.serial - a.serial);
    const max = input.MaxResults || 100;
    if (max < 0 || max > 100)
      throw Object.assign(new Error('MaxResults must be between 0 and 100'), { name: 'ValidationException' });
    const offset = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64url').toString()) : 0;
    const page = matching.slice(offset, offset + max);
    const next = offset + page.length;
    const statementsOut: StatementData[] = page.map((s) => ({
      Id: s.id,
      Status: statusOf(s) as StatementData['Status'],
      StatementName: s.name,
      CreatedAt: new Date(s.submittedAt),
      UpdatedAt: new Date(Math.min(now, s.finishAt)),
      IsBatchStatement: s.isBatch,
    }));
    return {
      Statements: statementsOut,
      ...(next < matching.length ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}),
    };
  });
  eventBridge.on(PutEventsCommand).callsFake(async (input: PutEventsCommandInput) => {
    await vt.sleep(LATENCY_MS.dataApiDescribe);
    eventsPut += input.Entries?.length ?? 0;
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `e-${i}` })) };
  });
  sns.on(PublishCommand).callsFake(async () => {
    await vt.sleep(LATENCY_MS.dataApiDescribe);
    return { MessageId: 'm-1' };
  });

  return {
    counts,
    builds,
    noticedAt,
    describesPerModel,
    listSharePerModel,
    looksPerModel,
    callsByPurpose,
    callLog,
    queries,
    get eventsPut() {
      return eventsPut;
    },
    total: () =>
      counts.batchExecuteStatement +
      counts.executeStatement +
      counts.describeStatement +
      counts.getStatementResult +
      counts.cancelStatement +
      counts.listStatements,
    async touchTables(changed, at) {
      let n = 100;
      for (const table of changed) {
        const [schema = 'public', name = table] = table.split('.');
        n++;
        await db.query(
          `UPDATE svv_integration_table_state SET table_last_replicated_checkpoint = $1, last_updated_timestamp = $2
           WHERE schema_name = $3 AND table_name = $4`,
          [`{"txn_seq":${n},"txn_id":${n}}`, sqlTimestamp(at.getTime()), schema, name],
        );
      }
    },
    resetCounts() {
      for (const key of Object.keys(counts) as (keyof DataApiCounts)[]) counts[key] = 0;
      builds.length = 0;
      noticedAt.clear();
      describesPerModel.clear();
      listSharePerModel.clear();
      looksPerModel.clear();
      callsByPurpose.clear();
      callLog.length = 0;
      queries.length = 0;
      eventsPut = 0;
    },
    restore() {
      data.restore();
      eventBridge.restore();
      sns.restore();
    },
    close: () => db.close(),
  };
}
