import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type ExecutionMode,
  GetStatementResultCommand,
  ListStatementsCommand,
  type RedshiftDataClient,
  type ResultFormatString,
  type StatusString,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.js';
import { LocalDataApi } from '../../local/data-api/server.js';
import type { LocalEndpoint } from '../../local/http.js';
import { LocalRedshift } from '../../local/warehouse/local-redshift.js';
import { Warehouse } from '../../shared/warehouse/warehouse.js';
import { dataClient, rejection } from './support.js';

/**
 * Conformance of the local Data API with the request constraints of the Redshift Data API service model
 * (aws/api-models-aws redshift-data-2019-12-20.json, shapes named in each test; members added since —
 * WaitTimeSeconds, ExecutionMode, batch Parameters — per the API reference), through the real
 * @aws-sdk/client-redshift-data, which checks none of them itself. AWS answers a violation with
 * ValidationException "N validation error(s) detected: Value … at '…' failed to satisfy constraint: …".
 */

const TARGET = { Database: 'dev', WorkgroupName: 'analytics' };
const STATEMENT_ID = '8c4b1a8e-0000-4000-8000-000000000000';

let warehouse: LocalRedshift;
let api: LocalDataApi;
let endpoint: LocalEndpoint;
let client: RedshiftDataClient;

beforeAll(async () => {
  const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
  warehouse = await LocalRedshift.create({ clock });
  api = new LocalDataApi({ warehouse, clock, workgroupNames: ['analytics'] });
  endpoint = await api.start();
  client = dataClient(endpoint.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
  await warehouse?.close();
});

/** The ValidationException a request is refused with; it must not have run anything. */
async function refused(request: Promise<unknown>): Promise<string> {
  const logged = api.log.length;
  const error = await rejection(request);
  expect(error).toBeInstanceOf(ValidationException);
  expect(api.log.length).toBe(logged);
  return error.message;
}

const one = (value: string, path: string, constraint: string) =>
  `1 validation error detected: Value ${value} at '${path}' failed to satisfy constraint: ${constraint}`;

describe('local Data API: every request field against the service model', () => {
  it('refuses a missing required member (ExecuteStatementInput.Sql, DescribeStatementRequest.Id: smithy.api#required)', async () => {
    const noSql = { ...TARGET } as ConstructorParameters<typeof ExecuteStatementCommand>[0];
    expect(await refused(client.send(new ExecuteStatementCommand(noSql)))).toBe(
      one('null', 'sql', 'Member must not be null'),
    );
    const noId = {} as ConstructorParameters<typeof DescribeStatementCommand>[0];
    expect(await refused(client.send(new DescribeStatementCommand(noId)))).toBe(
      one('null', 'id', 'Member must not be null'),
    );
    const noSqls = { ...TARGET } as ConstructorParameters<typeof BatchExecuteStatementCommand>[0];
    expect(await refused(client.send(new BatchExecuteStatementCommand(noSqls)))).toBe(
      one('null', 'sqls', 'Member must not be null'),
    );
  });

  it('refuses a string outside its length (StatementNameString max 500, ClientToken 1-64, ClusterIdentifierString 1-63, WorkgroupNameString 3-128, ParameterValue min 1)', async () => {
    const longName = 'n'.repeat(501);
    expect(
      await refused(
        client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', StatementName: longName })),
      ),
    ).toBe(one(`'${longName}'`, 'statementName', 'Member must have length less than or equal to 500'));
    // 500 is allowed: the bound itself is inside.
    await client.send(
      new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', StatementName: 'n'.repeat(500) }),
    );
    const token = 't'.repeat(65);
    expect(
      await refused(
        client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', ClientToken: token })),
      ),
    ).toBe(one(`'${token}'`, 'clientToken', 'Member must have length less than or equal to 64'));
    expect(
      await refused(
        client.send(new ExecuteStatementCommand({ Database: 'dev', ClusterIdentifier: '', Sql: 'SELECT 1' })),
      ),
    ).toBe(one("''", 'clusterIdentifier', 'Member must have length greater than or equal to 1'));
    // Checked before the endpoint is looked up: not "Redshift endpoint doesn't exist".
    expect(
      await refused(
        client.send(new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'wg', Sql: 'SELECT 1' })),
      ),
    ).toBe(one("'wg'", 'workgroupName', 'Member must have length greater than or equal to 3'));
    expect(
      await refused(
        client.send(
          new ExecuteStatementCommand({
            ...TARGET,
            Sql: 'SELECT :v',
            Parameters: [{ name: 'v', value: '' }],
          }),
        ),
      ),
    ).toBe(one("''", 'parameters.1.member.value', 'Member must have length greater than or equal to 1'));
  });

  it('refuses a number outside its range (ListStatementsLimit 0-100, SessionAliveSeconds 0-86400, WaitTimeSeconds 1-30 per the long-polling reference)', async () => {
    expect(await refused(client.send(new ListStatementsCommand({ MaxResults: 101 })))).toBe(
      one("'101'", 'maxResults', 'Member must have value less than or equal to 100'),
    );
    expect(
      await refused(
        client.send(
          new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', SessionKeepAliveSeconds: 86_401 }),
        ),
      ),
    ).toBe(one("'86401'", 'sessionKeepAliveSeconds', 'Member must have value less than or equal to 86400'));
    expect(
      await refused(
        client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', WaitTimeSeconds: 0 })),
      ),
    ).toBe(one("'0'", 'waitTimeSeconds', 'Member must have value greater than or equal to 1'));
    expect(
      await refused(client.send(new DescribeStatementCommand({ Id: STATEMENT_ID, WaitTimeSeconds: 31 }))),
    ).toBe(one("'31'", 'waitTimeSeconds', 'Member must have value less than or equal to 30'));
    expect(
      await refused(client.send(new GetStatementResultCommand({ Id: STATEMENT_ID, WaitTimeSeconds: 31 }))),
    ).toContain("at 'waitTimeSeconds'");
  });

  it('refuses a string that does not match its pattern (UUID, WorkgroupNameString, ParameterName)', async () => {
    // A malformed id is a ValidationException, never "Query does not exist".
    const uuid = '^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$';
    for (const send of [
      () => client.send(new DescribeStatementCommand({ Id: 'not-a-statement-id' })),
      () => client.send(new CancelStatementCommand({ Id: 'not-a-statement-id' })),
      () => client.send(new GetStatementResultCommand({ Id: STATEMENT_ID.toUpperCase() })),
    ]) {
      expect(await refused(send())).toMatch(
        new RegExp(
          `at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: ${uuid.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`,
        ),
      );
    }
    expect(
      await refused(
        client.send(
          new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'Analytics_WG', Sql: 'SELECT 1' }),
        ),
      ),
    ).toContain(
      "Value 'Analytics_WG' at 'workgroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(([a-z0-9-]+)|",
    );
    expect(
      await refused(
        client.send(
          new ExecuteStatementCommand({
            ...TARGET,
            Sql: 'SELECT 1',
            Parameters: [{ name: 'bad-name', value: '1' }],
          }),
        ),
      ),
    ).toBe(
      one(
        "'bad-name'",
        'parameters.1.member.name',
        'Member must satisfy regular expression pattern: ^[0-9a-zA-Z_]+$',
      ),
    );
  });

  it('refuses a list outside its size (SqlList 1-40, SqlParametersList min 1)', async () => {
    expect(await refused(client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: [] })))).toBe(
      one("'[]'", 'sqls', 'Member must have length greater than or equal to 1'),
    );
    const many = Array.from({ length: 41 }, (_, i) => `SELECT ${i}`);
    expect(await refused(client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: many })))).toBe(
      one(`'[${many.join(', ')}]'`, 'sqls', 'Member must have length less than or equal to 40'),
    );
    expect(
      await refused(client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', Parameters: [] }))),
    ).toBe(one("'[]'", 'parameters', 'Member must have length greater than or equal to 1'));
    expect(
      await refused(
        client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: ['SELECT 1'], Parameters: [] })),
      ),
    ).toBe(one("'[]'", 'parameters', 'Member must have length greater than or equal to 1'));
  });

  it('refuses a value outside its enum (ResultFormatString, StatusString, ExecutionMode per the API reference)', async () => {
    const xml: string = 'XML';
    expect(
      await refused(
        client.send(
          new ExecuteStatementCommand({
            ...TARGET,
            Sql: 'SELECT 1',
            ResultFormat: xml as ResultFormatString,
          }),
        ),
      ),
    ).toBe(one("'XML'", 'resultFormat', 'Member must satisfy enum value set: [JSON, CSV]'));
    const done: string = 'DONE';
    expect(await refused(client.send(new ListStatementsCommand({ Status: done as StatusString })))).toBe(
      one(
        "'DONE'",
        'status',
        'Member must satisfy enum value set: [SUBMITTED, PICKED, STARTED, FINISHED, ABORTED, FAILED, ALL]',
      ),
    );
    const eventual: string = 'EVENTUAL';
    expect(
      await refused(
        client.send(
          new BatchExecuteStatementCommand({
            ...TARGET,
            Sqls: ['SELECT 1'],
            ExecutionMode: eventual as ExecutionMode,
          }),
        ),
      ),
    ).toBe(
      one("'EVENTUAL'", 'executionMode', 'Member must satisfy enum value set: [TRANSACTION, AUTO_COMMIT]'),
    );
  });

  it('names every violation of a request at once, in model order', async () => {
    expect(
      await refused(
        client.send(
          new ExecuteStatementCommand({
            ...TARGET,
            Sql: 'SELECT 1',
            StatementName: 'n'.repeat(501),
            Parameters: [
              { name: 'a', value: '' },
              { name: 'b', value: '' },
            ],
          }),
        ),
      ),
    ).toBe(
      `3 validation errors detected: Value '${'n'.repeat(501)}' at 'statementName' failed to satisfy constraint: Member must have length less than or equal to 500; ` +
        "Value '' at 'parameters.1.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '' at 'parameters.2.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it("passes every call the project's Data API adapter makes (shared/warehouse/warehouse.ts)", async () => {
    const project = new Warehouse(client, { database: 'dev', workgroupName: 'analytics' });
    const name = 'zeo:run-constraints:fct_orders';
    await project.runTransaction(
      ['CREATE TABLE public.constraints_probe (id int)', 'INSERT INTO public.constraints_probe VALUES (1)'],
      {
        statementName: `${name}:setup`,
        clientToken: '7f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      },
    );
    await project.runStatement('INSERT INTO public.constraints_probe VALUES (:id::int)', {
      statementName: `${name}:insert`,
      parameters: { id: '2' },
    });
    expect(
      await project.query('SELECT count(*) AS n FROM public.constraints_probe', {
        statementName: `${name}:count`,
      }),
    ).toEqual([{ n: 2 }]);
    const id = await project.submitTransaction(['SELECT 1'], { statementName: `${name}:build` });
    expect(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED']).toContain((await project.describe(id)).status);
    await project.cancel(id);
  });
});
