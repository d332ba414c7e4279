import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.js';
import { LocalDataApi } from '../../local/data-api/server.js';
import { EventHub } from '../../local/events.js';
import type { LocalEndpoint } from '../../local/http.js';
import { LocalRedshift } from '../../local/warehouse/local-redshift.js';
import { dataClient, rejection, waitForStatement } from './support.js';

/** The local Redshift Data API, driven through the real @aws-sdk/client-redshift-data. */

const TARGET = { Database: 'dev', WorkgroupName: 'analytics' };

let warehouse: LocalRedshift;
let api: LocalDataApi;
let endpoint: LocalEndpoint;
let client: RedshiftDataClient;
let events: EventHub;
const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));

beforeAll(async () => {
  warehouse = await LocalRedshift.create({ clock });
  events = new EventHub({ account: '123456789012', region: 'us-east-1' });
  api = new LocalDataApi({ warehouse, clock, events, workgroupNames: ['analytics'] });
  endpoint = await api.start();
  client = dataClient(endpoint.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
  await warehouse?.close();
});

beforeEach(() => {
  api.clearFaults();
  api.maxActiveStatements = 200;
});

const execute = (
  Sql: string,
  extra: Partial<ConstructorParameters<typeof ExecuteStatementCommand>[0]> = {},
) => client.send(new ExecuteStatementCommand({ ...TARGET, Sql, ...extra }));

const batch = (
  Sqls: string[],
  extra: Partial<ConstructorParameters<typeof BatchExecuteStatementCommand>[0]> = {},
) => client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls, ...extra }));

async function run(sql: string) {
  const { Id } = await execute(sql);
  return waitForStatement(client, Id ?? '');
}

async function rows(sql: string) {
  const described = await run(sql);
  expect(described.Error).toBeUndefined();
  return (await client.send(new GetStatementResultCommand({ Id: described.Id }))).Records ?? [];
}

describe('ExecuteStatement and DescribeStatement', () => {
  it('runs a statement after replying and reports it FINISHED with its row count', async () => {
    const submitted = await execute('SELECT g FROM generate_series(1, 3) AS g', {
      StatementName: 'lifecycle',
    });
    expect(submitted.Id).toMatch(/^[0-9a-f-]{36}$/);
    expect(submitted.CreatedAt?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(submitted.Status).toBeUndefined(); // only with WaitTimeSeconds
    const described = await waitForStatement(client, submitted.Id ?? '');
    expect(described).toMatchObject({
      Id: submitted.Id,
      Status: 'FINISHED',
      ResultRows: 3,
      HasResultSet: true,
      QueryString: 'SELECT g FROM generate_series(1, 3) AS g',
      Database: 'dev',
      WorkgroupName: 'analytics',
    });
    expect(described.Duration).toBeGreaterThan(0);
    expect(described.CreatedAt).toBeInstanceOf(Date);
    expect(described.Error).toBeUndefined();
  });

  it('returns a finished status directly when WaitTimeSeconds is given', async () => {
    const reply = await execute('SELECT 1', { WaitTimeSeconds: 5 });
    expect(reply.Status).toBe('FINISHED');
    expect(reply.HasResultSet).toBe(true);
    const tooLong = await rejection(execute('SELECT 1', { WaitTimeSeconds: 31 }));
    expect(tooLong).toBeInstanceOf(ValidationException);
  });

  it('reports a failing statement as FAILED with a Redshift-style error', async () => {
    const described = await run('SELECT * FROM public.no_such_table');
    expect(described.Status).toBe('FAILED');
    expect(described.Error).toBe('ERROR: relation "public.no_such_table" does not exist');
    expect(described.ResultRows).toBe(-1);
  });

  it('accepts a provisioned cluster with a database user', async () => {
    const reply = await client.send(
      new ExecuteStatementCommand({
        Database: 'dev',
        ClusterIdentifier: 'redshift-cluster-1',
        DbUser: 'etl_user',
        Sql: 'SELECT 1',
        WaitTimeSeconds: 5,
      }),
    );
    expect([reply.Status, reply.ClusterIdentifier, reply.DbUser]).toEqual([
      'FINISHED',
      'redshift-cluster-1',
      'etl_user',
    ]);
    const described = await client.send(new DescribeStatementCommand({ Id: reply.Id }));
    expect([described.ClusterIdentifier, described.DbUser, described.WorkgroupName]).toEqual([
      'redshift-cluster-1',
      'etl_user',
      undefined,
    ]);
    const serverlessUser = await rejection(execute('SELECT 1', { DbUser: 'etl_user' }));
    expect(serverlessUser).toBeInstanceOf(ValidationException);
  });

  it('keeps a statement STARTED for the configured latency', async () => {
    api.latencyMs = 300;
    try {
      const { Id } = await execute('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await client.send(new DescribeStatementCommand({ Id }))).Status).toBe('STARTED');
      const finished = await client.send(new DescribeStatementCommand({ Id, WaitTimeSeconds: 5 }));
      expect(finished.Status).toBe('FINISHED');
    } finally {
      api.latencyMs = 0;
    }
  });

  it('answers an unknown statement id with ResourceNotFoundException', async () => {
    const error = await rejection(
      client.send(new DescribeStatementCommand({ Id: '8c4b1a8e-0000-4000-8000-000000000000' })),
    );
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe('Query does not exist.');
  });

  it('refuses requests the Data API refuses', async () => {
    const both = await rejection(execute('SELECT 1', { ClusterIdentifier: 'c1' }));
    expect(both).toBeInstanceOf(ValidationException);
    const unknownWorkgroup = await rejection(
      client.send(new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'other', Sql: 'SELECT 1' })),
    );
    expect(unknownWorkgroup.message).toBe("Redshift endpoint doesn't exist in this region.");
    const big = await rejection(execute(`SELECT '${'x'.repeat(100_001)}'`));
    expect(big).toBeInstanceOf(ValidationException);
    expect(big.message).toContain('Statement is too large');
  });
});

describe('GetStatementResult', () => {
  it('returns typed fields and column metadata', async () => {
    const described = await run(
      `SELECT 9007199254740991::bigint AS big, 42 AS small, 12.50::numeric(12,2) AS amount, 1.25::float8 AS ratio,
              true AS flag, 'café'::varchar(8) AS name, TIMESTAMP '2026-03-01 10:11:12.123456' AS at,
              DATE '2026-03-01' AS day, NULL::int AS nothing`,
    );
    const result = await client.send(new GetStatementResultCommand({ Id: described.Id }));
    expect(result.TotalNumRows).toBe(1);
    expect(result.Records).toEqual([
      [
        { longValue: 9007199254740991 },
        { longValue: 42 },
        { stringValue: '12.50' },
        { doubleValue: 1.25 },
        { booleanValue: true },
        { stringValue: 'café' },
        { stringValue: '2026-03-01 10:11:12.123456' },
        { stringValue: '2026-03-01' },
        { isNull: true },
      ],
    ]);
    expect(result.ColumnMetadata?.map((c) => [c.name, c.typeName])).toEqual([
      ['big', 'int8'],
      ['small', 'int4'],
      ['amount', 'numeric'],
      ['ratio', 'float8'],
      ['flag', 'bool'],
      ['name', 'varchar'],
      ['at', 'timestamp'],
      ['day', 'date'],
      ['nothing', 'int4'],
    ]);
  });

  it('pages long results with NextToken', async () => {
    const described = await run('SELECT g FROM generate_series(1, 2500) AS g ORDER BY g');
    const values: number[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new GetStatementResultCommand({ Id: described.Id, NextToken: token }));
      for (const record of page.Records ?? []) values.push(Number(record[0]?.longValue));
      token = page.NextToken;
    } while (token);
    expect(values).toHaveLength(2500);
    expect(values.at(-1)).toBe(2500);
  });

  it('has no result for a statement without a result set', async () => {
    const described = await run('CREATE TABLE public.no_result (a int)');
    const error = await rejection(client.send(new GetStatementResultCommand({ Id: described.Id })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('BatchExecuteStatement', () => {
  it('runs a batch as one transaction: a failing third statement rolls back the first two', async () => {
    const submitted = await batch([
      'CREATE TABLE public.batch_t (id int NOT NULL)',
      'INSERT INTO public.batch_t VALUES (1), (2)',
      'INSERT INTO public.batch_t VALUES (NULL)',
      'INSERT INTO public.batch_t VALUES (3)',
    ]);
    const described = await waitForStatement(client, submitted.Id ?? '');
    expect(described.Status).toBe('FAILED');
    expect(described.Error).toContain('ERROR: null value in column "id"');
    expect(described.SubStatements?.map((s) => [s.Id, s.Status])).toEqual([
      [`${submitted.Id}:1`, 'FINISHED'],
      [`${submitted.Id}:2`, 'FINISHED'],
      [`${submitted.Id}:3`, 'FAILED'],
      [`${submitted.Id}:4`, 'ABORTED'],
    ]);
    expect(described.SubStatements?.[1]?.ResultRows).toBe(2);
    expect(described.SubStatements?.[2]?.Error).toContain('violates not-null constraint');
    const missing = await run('SELECT * FROM public.batch_t');
    expect(missing.Error).toBe('ERROR: relation "public.batch_t" does not exist');
  });

  it('commits each statement on its own in AUTO_COMMIT mode', async () => {
    const submitted = await batch(
      [
        'CREATE TABLE public.auto_t (id int NOT NULL)',
        'INSERT INTO public.auto_t VALUES (1)',
        'INSERT INTO public.auto_t VALUES (NULL)',
        'INSERT INTO public.auto_t VALUES (2)',
      ],
      { ExecutionMode: 'AUTO_COMMIT' },
    );
    const described = await waitForStatement(client, submitted.Id ?? '');
    expect(described.Status).toBe('FAILED');
    expect(described.SubStatements?.map((s) => s.Status)).toEqual([
      'FINISHED',
      'FINISHED',
      'FAILED',
      'FINISHED',
    ]);
    expect(await rows('SELECT id FROM public.auto_t ORDER BY id')).toEqual([
      [{ longValue: 1 }],
      [{ longValue: 2 }],
    ]);
  });

  it('serves results of sub-statements by id suffix only', async () => {
    const submitted = await batch(['SELECT 1 AS a', 'SELECT 2 AS b'], { WaitTimeSeconds: 5 });
    expect(submitted.Status).toBe('FINISHED');
    const noSuffix = await rejection(client.send(new GetStatementResultCommand({ Id: submitted.Id })));
    expect(noSuffix).toBeInstanceOf(ValidationException);
    const second = await client.send(new GetStatementResultCommand({ Id: `${submitted.Id}:2` }));
    expect(second.Records).toEqual([[{ longValue: 2 }]]);
    const sub = await client.send(new DescribeStatementCommand({ Id: `${submitted.Id}:2` }));
    expect([sub.Id, sub.Status, sub.QueryString]).toEqual([`${submitted.Id}:2`, 'FINISHED', 'SELECT 2 AS b']);
  });

  it('keeps temporary tables within a batch and drops them with the session', async () => {
    const submitted = await batch(
      ['CREATE TEMP TABLE tmp_delta (v int)', 'INSERT INTO tmp_delta VALUES (7)', 'SELECT v FROM tmp_delta'],
      { WaitTimeSeconds: 5 },
    );
    expect(submitted.Status).toBe('FINISHED');
    const result = await client.send(new GetStatementResultCommand({ Id: `${submitted.Id}:3` }));
    expect(result.Records).toEqual([[{ longValue: 7 }]]);
    const later = await run('SELECT v FROM tmp_delta');
    expect(later.Error).toBe('ERROR: relation "tmp_delta" does not exist');
  });
});

describe('idempotency, cancellation, limits and faults', () => {
  it('runs a request once per ClientToken and returns the same statement id', async () => {
    await run('CREATE TABLE public.once (v int)');
    const logged = api.log.length;
    const request = { Sql: 'INSERT INTO public.once VALUES (1)', ClientToken: 'retry-token-1' };
    const first = await execute(request.Sql, { ClientToken: request.ClientToken });
    const second = await execute(request.Sql, { ClientToken: request.ClientToken });
    expect(second.Id).toBe(first.Id);
    await waitForStatement(client, first.Id ?? '');
    expect(await rows('SELECT count(*) FROM public.once')).toEqual([[{ longValue: 1 }]]);
    expect(api.log.length - logged).toBe(2); // the INSERT once, then the count
    const reused = await rejection(
      execute('INSERT INTO public.once VALUES (2)', { ClientToken: 'retry-token-1' }),
    );
    expect(reused).toBeInstanceOf(ValidationException);
  });

  it('cancels a statement that is still running: ABORTED, and its work is not applied', async () => {
    await run('CREATE TABLE public.cancelled (v int)');
    const hold = api.hold((s) => s.sqls.some((sql) => sql.includes('cancelled VALUES')));
    const { Id } = await execute('INSERT INTO public.cancelled VALUES (1)');
    await hold.waitUntilHeld();
    expect((await client.send(new DescribeStatementCommand({ Id }))).Status).toBe('STARTED');
    expect(await client.send(new CancelStatementCommand({ Id }))).toMatchObject({ Status: true });
    const described = await waitForStatement(client, Id ?? '');
    expect(described.Status).toBe('ABORTED');
    hold.release();
    expect(await rows('SELECT count(*) FROM public.cancelled')).toEqual([[{ longValue: 0 }]]);
    const again = await rejection(client.send(new CancelStatementCommand({ Id })));
    expect(again).toBeInstanceOf(ValidationException);
  });

  it('holds a statement in STARTED until released, and lets an operator abort one', async () => {
    const hold = api.hold();
    const slow = await execute('SELECT 1 AS slow');
    const killed = await execute('SELECT 2 AS killed');
    await hold.waitUntilHeld(2);
    expect(api.abort(killed.Id ?? '')).toBe(true);
    expect((await waitForStatement(client, killed.Id ?? '')).Status).toBe('ABORTED');
    expect((await client.send(new DescribeStatementCommand({ Id: slow.Id }))).Status).toBe('STARTED');
    hold.release();
    expect((await waitForStatement(client, slow.Id ?? '')).Status).toBe('FINISHED');
  });

  it('refuses more active statements than the limit with ActiveStatementsExceededException', async () => {
    api.maxActiveStatements = 2;
    const hold = api.hold();
    const ids = [(await execute('SELECT 1')).Id, (await execute('SELECT 2')).Id];
    const third = await rejection(execute('SELECT 3'));
    expect(third).toBeInstanceOf(ActiveStatementsExceededException);
    hold.release();
    for (const id of ids) expect((await waitForStatement(client, id ?? '')).Status).toBe('FINISHED');
  });

  it('surfaces injected faults as typed SDK exceptions, and the SDK retries throttling', async () => {
    api.injectFault({
      operation: 'ExecuteStatement',
      errorType: 'ActiveStatementsExceededException',
      times: 1,
    });
    expect(await rejection(execute('SELECT 1'))).toBeInstanceOf(ActiveStatementsExceededException);
    expect((await execute('SELECT 1')).Id).toBeDefined();

    api.injectFault({ operation: 'DescribeStatement', errorType: 'ThrottlingException', times: 2 });
    const retrying = new RedshiftDataClient({
      endpoint: endpoint.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
    const { Id } = await execute('SELECT 1');
    const described = await retrying.send(new DescribeStatementCommand({ Id }));
    expect(described.Id).toBe(Id);
    expect(described.$metadata.attempts).toBe(3);
    retrying.destroy();
  });

  it('lets several operations share one fault count', async () => {
    api.injectFault({
      operation: ['ExecuteStatement', 'BatchExecuteStatement'],
      errorType: 'ActiveStatementsExceededException',
      times: 2,
    });
    expect(await rejection(batch(['SELECT 1']))).toBeInstanceOf(ActiveStatementsExceededException);
    expect(await rejection(execute('SELECT 1'))).toBeInstanceOf(ActiveStatementsExceededException);
    expect((await batch(['SELECT 1'])).Id).toBeDefined();
  });

  it('shows a delayed statement STARTED for its first looks, then as it really ended', async () => {
    api.delayStatus({ match: (s) => s.statementName === 'slow-looking', looks: 3 });
    const { Id } = await batch(['SELECT 1', 'SELECT 2'], { StatementName: 'slow-looking' });
    const other = await execute('SELECT 3', { StatementName: 'slow-other' });
    await api.settle();
    expect(api.describe(Id ?? '')?.Status).toBe('FINISHED');
    const first = await client.send(new DescribeStatementCommand({ Id }));
    expect([first.Status, first.ResultRows, first.SubStatements?.map((s) => s.Status)]).toEqual([
      'STARTED',
      -1,
      ['STARTED', 'STARTED'],
    ]);
    // Listing counts as a look for every statement on the page; the undelayed one shows its real status.
    const listed = await client.send(
      new ListStatementsCommand({ StatementName: 'slow-', Status: 'STARTED' }),
    );
    expect(listed.Statements?.map((s) => s.Id)).toEqual([Id]);
    const all = await client.send(new ListStatementsCommand({ StatementName: 'slow-' }));
    expect(all.Statements?.map((s) => [s.Id, s.Status])).toEqual([
      [other.Id, 'FINISHED'],
      [Id, 'STARTED'],
    ]);
    const revealed = await client.send(new DescribeStatementCommand({ Id }));
    expect([revealed.Status, revealed.SubStatements?.map((s) => s.Status)]).toEqual([
      'FINISHED',
      ['FINISHED', 'FINISHED'],
    ]);
    const later = await client.send(new ListStatementsCommand({ StatementName: 'slow-', Status: 'STARTED' }));
    expect(later.Statements).toEqual([]);
  });

  it('fails a statement on demand without running it', async () => {
    api.failStatements({ match: (s) => s.statementName === 'doomed', error: 'ERROR: injected failure' });
    const described = await waitForStatement(
      client,
      (await execute('CREATE TABLE public.never_created (v int)', { StatementName: 'doomed' })).Id ?? '',
    );
    expect([described.Status, described.Error]).toEqual(['FAILED', 'ERROR: injected failure']);
    expect((await run('SELECT * FROM public.never_created')).Status).toBe('FAILED');
  });
});

describe('parameters, events and listing', () => {
  it('binds :name parameters as values, never as SQL text', async () => {
    const hostile = "o'brien'); DROP TABLE public.once; --";
    const described = await run('SELECT 1'); // warm-up keeps the id sequence independent of this test
    expect(described.Status).toBe('FINISHED');
    const { Id } = await execute(
      "SELECT :name AS name, :n::int + 1 AS next, ':name' AS literal, 2::int AS cast",
      {
        Parameters: [
          { name: 'name', value: hostile },
          { name: 'n', value: '41' },
        ],
        WaitTimeSeconds: 5,
      },
    );
    const result = await client.send(new GetStatementResultCommand({ Id }));
    expect(result.Records).toEqual([
      [{ stringValue: hostile }, { longValue: 42 }, { stringValue: ':name' }, { longValue: 2 }],
    ]);
    expect(api.log.at(-1)?.sql).toBe(
      "SELECT :name AS name, :n::int + 1 AS next, ':name' AS literal, 2::int AS cast",
    );
    expect(api.log.at(-1)?.sql).not.toContain('brien');
    expect((await rows('SELECT count(*) FROM public.once'))[0]).toEqual([{ longValue: 1 }]);
    const missing = await rejection(
      execute('SELECT :absent', { Parameters: [{ name: 'other', value: '1' }] }),
    );
    expect(missing).toBeInstanceOf(ValidationException);
  });

  it('rejects an empty parameter value, as the service model does (ParameterValue length min 1; facts §10)', async () => {
    const empty = await rejection(
      execute('SELECT :child AS child', { Parameters: [{ name: 'child', value: '' }] }),
    );
    expect(empty).toBeInstanceOf(ValidationException);
    expect((empty as Error).message).toBe(
      "1 validation error detected: Value '' at 'parameters.1.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const inBatch = await rejection(
      batch(['SELECT 1', 'SELECT :v'], {
        Parameters: [
          { name: 'v', value: 'x' },
          { name: 'w', value: '' },
        ],
      }),
    );
    expect(inBatch).toBeInstanceOf(ValidationException);
  });

  it('announces WithEvent statements on the event bus', async () => {
    const { Id } = await execute('SELECT 1', { WithEvent: true, StatementName: 'evented' });
    await waitForStatement(client, Id ?? '');
    const event = events.log.find((e) => e.detail.statementId === Id);
    expect(event).toMatchObject({
      source: 'aws.redshift-data',
      'detail-type': 'Redshift Data Statement Status Change',
      resources: ['arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/analytics'],
      detail: { state: 'FINISHED', statementName: 'evented', rows: 1 },
    });
  });

  it('lists statements by name prefix, newest first', async () => {
    clock.advance(1000);
    const a = await execute('SELECT 1', { StatementName: 'zeo:run-9:a', WaitTimeSeconds: 5 });
    clock.advance(1000);
    const b = await execute('SELECT 2', { StatementName: 'zeo:run-9:b', WaitTimeSeconds: 5 });
    const listed = await client.send(new ListStatementsCommand({ StatementName: 'zeo:run-9:' }));
    expect(listed.Statements?.map((s) => [s.Id, s.Status, s.StatementName])).toEqual([
      [b.Id, 'FINISHED', 'zeo:run-9:b'],
      [a.Id, 'FINISHED', 'zeo:run-9:a'],
    ]);
  });
});
