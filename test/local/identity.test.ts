import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFunctions } from '../../local/sfn/functions.js';
import { applyLocalStackEnvironment, type LocalStack, startLocalStack } from '../../local/stack.js';
import { resetClients } from '../../shared/aws/identity.js';
import { WAREHOUSE_SESSION_NAME } from '../../shared/aws/warehouse-role.js';
import { compileProject } from '../../shared/project/compile.js';
import { readProjectSources } from '../../shared/project/load.js';
import { rejection, waitForStatement } from './support.js';

/**
 * Identity on the local stack, as on AWS:
 * - statement ownership — "users with the same IAM role or IAM permissions as the runner of an
 *   ExecuteStatement or BatchExecuteStatement API operation can act on the same statement … To act on the
 *   same SQL statement from another user, the user must be able to assume the IAM role of the user who
 *   ran the SQL statement" (management guide, "Considerations when calling the Amazon Redshift Data
 *   API"), narrowed by the project's policy condition `redshift-data:statement-owner-iam-userid =
 *   ${aws:userid}` (management guide, "Identity-based policies"; Service Authorization Reference);
 * - the database user of temporary IAM credentials is `IAMR:<role>` (management guide, "Using IAM
 *   authentication to generate database user credentials"), and SVV_INTEGRATION /
 *   SVV_INTEGRATION_TABLE_STATE are "visible only to superusers" (SQL reference pages of both views);
 * - CREATE DATABASE … FROM INTEGRATION needs "a superuser or … both CREATEDB and CREATEUSER" (SQL
 *   reference "CREATE DATABASE"), and CREATEUSER "creates a superuser" (SQL reference "CREATE USER").
 */

const PLAN_EVENT = {
  input: { select: 'dim_customers' },
  executionName: 'identity-test',
  startTime: '2026-04-01T08:00:00.000Z',
};

const manifest = compileProject(readProjectSources('examples/shop/curated'));
const TARGET = { Database: 'dev', WorkgroupName: 'analytics' };

let stack: LocalStack;
let restoreEnvironment: () => void = () => undefined;
const clients: RedshiftDataClient[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.bootstrap({ integrationArn: manifest.project.landing.integrationArn });
  // The handlers below reach the stack the way the local runner wires them: through the environment.
  restoreEnvironment = applyLocalStackEnvironment(stack);
  resetClients();
}, 120_000);

afterAll(async () => {
  restoreEnvironment();
  resetClients();
  for (const c of clients) c.destroy();
  await stack?.close();
});

/** A Data API client signing with plain access key `key` (an IAM user). */
function asKey(key: string): RedshiftDataClient {
  const client = new RedshiftDataClient({
    endpoint: stack.dataApiEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: key, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

/** A Data API client that assumes `roleArn` (session `session`) through the local STS, as the steps do. */
function asRoleSession(roleArn: string, session: string, masterKey = 'local'): RedshiftDataClient {
  const client = new RedshiftDataClient({
    endpoint: stack.dataApiEndpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: session, DurationSeconds: 900 },
      masterCredentials: { accessKeyId: masterKey, secretAccessKey: 'x' },
      clientConfig: { endpoint: stack.stsEndpoint, region: 'us-east-1' },
    }),
  });
  clients.push(client);
  return client;
}

async function submit(client: RedshiftDataClient, sql: string): Promise<string> {
  const { Id } = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: sql }));
  if (!Id) throw new Error('no statement id');
  return Id;
}

describe('statement ownership (management guide "Considerations when calling the Amazon Redshift Data API")', () => {
  it('lets any key run SELECT 1 and act on its own statement', async () => {
    const client = asKey('AKIAANYBODY');
    const id = await submit(client, 'SELECT 1');
    expect((await waitForStatement(client, id)).Status).toBe('FINISHED');
    const result = await client.send(new GetStatementResultCommand({ Id: id }));
    expect(result.Records).toEqual([[{ longValue: 1 }]]);
  });

  it("refuses DescribeStatement, GetStatementResult and CancelStatement of another key's statement with AccessDeniedException", async () => {
    const owner = asKey('AKIAOWNER');
    const other = asKey('AKIAOTHER');
    const hold = stack.dataApi.hold((s) => s.sqls[0] === 'SELECT 2');
    const id = await submit(owner, 'SELECT 2');
    for (const command of [
      new DescribeStatementCommand({ Id: id }),
      new GetStatementResultCommand({ Id: id }),
      new CancelStatementCommand({ Id: id }),
    ]) {
      const error = await rejection(other.send(command as DescribeStatementCommand));
      expect(error.name).toBe('AccessDeniedException');
      expect(error.message).toContain('arn:aws:iam::123456789012:user/AKIAOTHER is not authorized');
    }
    hold.release();
    // Refused means untouched: the statement was not cancelled by the other key's attempt.
    expect((await waitForStatement(owner, id)).Status).toBe('FINISHED');
  });

  it('treats two sessions of one role under one session name as one owner, and another session name as another', async () => {
    const roleArn = stack.warehouseRoleArn;
    const submitter = asRoleSession(roleArn, WAREHOUSE_SESSION_NAME, 'AKIASUBMITTER');
    const poller = asRoleSession(roleArn, WAREHOUSE_SESSION_NAME, 'AKIAPOLLER');
    const stranger = asRoleSession(roleArn, 'someone-else', 'AKIAPOLLER');
    const id = await submit(submitter, 'SELECT 3');
    expect((await waitForStatement(poller, id)).Status).toBe('FINISHED');
    const error = await rejection(stranger.send(new DescribeStatementCommand({ Id: id })));
    expect(error.name).toBe('AccessDeniedException');
    // ListStatements is role-level by default (RoleLevel true): the other session of the role lists it.
    const listed = await stranger.send(new ListStatementsCommand({ MaxResults: 100 }));
    expect(listed.Statements?.map((s) => s.Id)).toContain(id);
    const own = await stranger.send(new ListStatementsCommand({ MaxResults: 100, RoleLevel: false }));
    expect(own.Statements?.map((s) => s.Id)).not.toContain(id);
    const outsider = await asKey('AKIAOUTSIDER').send(new ListStatementsCommand({ MaxResults: 100 }));
    expect(outsider.Statements?.map((s) => s.Id)).not.toContain(id);
  });

  it('refuses to assume a role other than the warehouse role (STS AccessDenied)', async () => {
    const client = asRoleSession('arn:aws:iam::123456789012:role/not-ours', WAREHOUSE_SESSION_NAME);
    const error = await rejection(submit(client, 'SELECT 1'));
    expect(error.name).toBe('AccessDenied');
  });

  it('runs every step under its own Lambda identity, and every step sends its statements as the warehouse role session', async () => {
    const functions = localFunctions(stack.identities);
    const before = stack.dataApi.log.length;
    const stsBefore = stack.sts.log.length;
    // Two different steps (each its own Lambda identity) both reach the warehouse.
    for (const key of ['checkTableStates', 'planRefresh']) {
      const fn = functions[key];
      if (!fn) throw new Error(`no function ${key}`);
      await fn(
        key === 'planRefresh'
          ? PLAN_EVENT
          : { input: { tables: ['public.customers'] }, executionName: 'identity' },
      );
    }
    const statements = stack.dataApi.log.slice(before);
    expect(statements.length).toBeGreaterThan(0);
    const owners = new Set(statements.map((s) => stack.dataApi.ownerOf(s.statementId)?.userId));
    expect([...owners]).toEqual([
      `${stack.identities.roleIdOf(stack.warehouseRoleArn)}:${WAREHOUSE_SESSION_NAME}`,
    ]);
    const assumed = stack.sts.log.slice(stsBefore);
    expect(new Set(assumed.map((a) => a.sessionName))).toEqual(new Set([WAREHOUSE_SESSION_NAME]));
    // Each step's own execution identity assumed the role (two callers), never the operator key.
    expect(new Set(assumed.map((a) => a.caller)).size).toBe(2);
    expect(assumed.map((a) => a.caller)).not.toContain('local');
  });

  it("refuses a step's statement to another step's own execution identity (the wiring before the warehouse role)", async () => {
    const functions = localFunctions(stack.identities);
    const before = stack.dataApi.log.length;
    const planRefresh = functions.planRefresh;
    if (!planRefresh) throw new Error('no planRefresh');
    await planRefresh(PLAN_EVENT);
    const submitted = stack.dataApi.log[before];
    if (!submitted) throw new Error('planRefresh sent no statement');
    // CheckBuild's identity on AWS without the shared role: a session of its own execution role.
    const own = stack.identities.assumeRole(
      `arn:aws:iam::${stack.account}:role/zeo-local-checkBuild`,
      'checkBuild',
      900,
      new Date(),
    );
    const checkBuild = new RedshiftDataClient({
      endpoint: stack.dataApiEndpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: {
        accessKeyId: own.AccessKeyId,
        secretAccessKey: own.SecretAccessKey,
        sessionToken: own.SessionToken,
      },
    });
    clients.push(checkBuild);
    const error = await rejection(
      checkBuild.send(new DescribeStatementCommand({ Id: submitted.statementId })),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('assumed-role/zeo-local-checkBuild/checkBuild');
  });
});

describe('database identity and superuser-only views (SQL reference "SVV_INTEGRATION_TABLE_STATE")', () => {
  it('shows integration-table states to the warehouse role user (a superuser after the setup SQL) and no rows to a regular user', async () => {
    const warehouse = asRoleSession(stack.warehouseRoleArn, WAREHOUSE_SESSION_NAME);
    const regular = asKey('AKIAREGULAR');
    const count = async (client: RedshiftDataClient, view: string) => {
      const id = await submit(client, `SELECT count(*) FROM ${view}`);
      const described = await waitForStatement(client, id);
      expect(described.Status, described.Error).toBe('FINISHED');
      const result = await client.send(new GetStatementResultCommand({ Id: id }));
      return result.Records?.[0]?.[0]?.longValue;
    };
    for (const view of [
      'svv_integration',
      'svv_integration_table_state',
      'sys_integration_table_state_change',
    ]) {
      expect(await count(warehouse, view), view).toBeGreaterThan(0);
      expect(await count(regular, view), view).toBe(0);
    }
  });

  it('names the database user IAMR:<role> for the warehouse role and says in pg_user whether it is a superuser', async () => {
    const row = async (client: RedshiftDataClient) => {
      const id = await submit(client, 'SELECT usename, usesuper FROM pg_user WHERE usename = current_user');
      const described = await waitForStatement(client, id);
      expect(described.Status, described.Error).toBe('FINISHED');
      return (await client.send(new GetStatementResultCommand({ Id: id }))).Records;
    };
    expect(await row(asRoleSession(stack.warehouseRoleArn, WAREHOUSE_SESSION_NAME))).toEqual([
      [{ stringValue: 'IAMR:zeo-local-warehouse' }, { booleanValue: true }],
    ]);
    expect(await row(asKey('AKIAREGULAR3'))).toEqual([
      [{ stringValue: 'IAM:AKIAREGULAR3' }, { booleanValue: false }],
    ]);
  });

  it('refuses CREATE DATABASE … FROM INTEGRATION to a regular user', async () => {
    const regular = asKey('AKIAREGULAR2');
    const [integration] = stack.integrations.describe();
    const id = await submit(
      regular,
      `CREATE DATABASE "other_landing" FROM INTEGRATION '${integration?.id ?? ''}' DATABASE "shop"`,
    );
    const described = await waitForStatement(regular, id);
    expect(described.Status).toBe('FAILED');
    expect(described.Error).toMatch(/permission denied/);
  });
});
