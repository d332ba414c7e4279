import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * `serverless package` (osls + serverless-step-functions + serverless-esbuild) offline, with no AWS
 * credentials, then checks of the CloudFormation template it produced.
 */

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

let resources: Record<string, Resource>;
const CONFIGURED = 'arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11';
/** warehouse.workgroupId of examples/shop/curated/project.yml. */
const EXAMPLE_WORKGROUP_ID = '7c9e6f4a-2b1d-4e3f-8a5c-6d7e8f9a0b1c';
let packagingStderr: string;

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: process.env.HOME ?? '/tmp',
    SLS_TELEMETRY_DISABLED: '1',
  };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'])
    delete env[key];
  ({ stderr: packagingStderr } = await promisify(execFile)(
    'npx',
    ['--no-install', 'sls', 'package', '--stage', 'test'],
    { env, timeout: 240_000 },
  ));
  resources = (
    JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8')) as {
      Resources: Record<string, Resource>;
    }
  ).Resources;
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const statementsOf = (role: Resource): Statement[] =>
  ((role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('Deploy template (npm run package, offline)', () => {
  it('has the four public state machines and the internal build machine, with stable ids', () => {
    expect(
      ofType('AWS::StepFunctions::StateMachine')
        .map(([id]) => id)
        .sort(),
    ).toEqual([
      'CuratedBuildStateMachine',
      'CuratedRefreshStateMachine',
      'IntegrationRecoveryStateMachine',
      'ReconcileStateMachine',
      'ResyncRecoveryStateMachine',
    ]);
  });

  it('routes integration events and the watchdog to reconcile, and one schedule per group to curated-refresh', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const pattern = rules.find((r) => r.EventPattern)?.EventPattern;
    expect(pattern).toEqual({
      source: ['aws.redshift'],
      'detail-type': [
        'Redshift Integration Monitoring',
        'Redshift Integration Configuration',
        'Redshift Integration Operation',
      ],
    });
    const schedules = rules
      .filter((r) => r.ScheduleExpression)
      .map((r) => {
        const target = (r.Targets as { Input?: string; Arn: unknown }[])[0];
        return {
          expression: r.ScheduleExpression,
          input: JSON.parse(target?.Input ?? '{}'),
          arn: JSON.stringify(target?.Arn),
        };
      });
    expect(schedules).toContainEqual({
      expression: 'rate(5 minutes)',
      input: { trigger: 'watchdog' },
      arn: expect.stringContaining('ReconcileStateMachine'),
    });
    expect(schedules).toContainEqual({
      expression: 'cron(5 * * * ? *)',
      input: { group: 'hourly', trigger: 'schedule' },
      arn: expect.stringContaining('CuratedRefreshStateMachine'),
    });
    expect(schedules).toContainEqual({
      expression: 'cron(0 3 * * ? *)',
      input: { group: 'nightly', trigger: 'schedule' },
      arn: expect.stringContaining('CuratedRefreshStateMachine'),
    });
  });

  it('runs every function on a supported Node.js runtime with its own role', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
      expect(JSON.stringify(fn.Properties.Role), id).not.toContain('"IamRoleLambdaExecution"');
    }
  });

  it('grants no wildcard action anywhere', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      for (const statement of statementsOf(role)) {
        for (const action of actions(statement)) expect(action, id).not.toContain('*');
      }
    }
  });

  it("lets only the delete step delete, and only this project's integration", () => {
    const deleters = ofType('AWS::IAM::Role').filter(([, role]) =>
      statementsOf(role).some((s) => actions(s).includes('rds:DeleteIntegration')),
    );
    expect(deleters.map(([id]) => id)).toEqual(['DeleteIntegrationIamRoleLambdaExecution']);
    const statements = statementsOf(deleters[0]?.[1] as Resource).filter((s) =>
      actions(s).includes('rds:DeleteIntegration'),
    );
    expect(statements.map(resourcesOf)).toContainEqual([CONFIGURED]);
    const tagged = statements.find((s) => JSON.stringify(s.Resource).includes('integration:*'));
    expect(tagged?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/zeo:origin': CONFIGURED } });
    const creators = ofType('AWS::IAM::Role').filter(([, role]) =>
      statementsOf(role).some((s) => actions(s).includes('rds:CreateIntegration')),
    );
    expect(creators.map(([id]) => id)).toEqual(['CreateIntegrationIamRoleLambdaExecution']);
    const create = statementsOf(creators[0]?.[1] as Resource).find((s) =>
      actions(s).includes('rds:CreateIntegration'),
    );
    expect(create && resourcesOf(create)).toContain('arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora');
  });

  it('scopes Data API, EventBridge and Step Functions permissions to the project', () => {
    const all = ofType('AWS::IAM::Role').flatMap(([id, role]) => statementsOf(role).map((s) => ({ id, s })));
    for (const { id, s } of all.filter(({ s }) =>
      actions(s).some((a) => a.startsWith('redshift-data:Describe')),
    )) {
      expect(s.Condition, id).toEqual({
        StringEquals: {
          'redshift-data:statement-owner-iam-userid': { 'Fn::Join': ['', ['$', '{aws:userid}']] },
        },
      });
    }
    for (const { id, s } of all.filter(({ s }) => actions(s).includes('events:PutEvents'))) {
      expect(JSON.stringify(s.Resource), id).toContain('event-bus/default');
    }
    for (const { id, s } of all.filter(({ s }) => actions(s).includes('states:StartExecution'))) {
      expect(JSON.stringify(s.Resource), id).toMatch(/"Ref":"[A-Za-z]+StateMachine"/);
    }
    // The example sets warehouse.workgroupId: statements and credentials on that workgroup only.
    const workgroup = {
      'Fn::Sub': `arn:\${AWS::Partition}:redshift-serverless:\${AWS::Region}:\${AWS::AccountId}:workgroup/${EXAMPLE_WORKGROUP_ID}`,
    };
    const onWorkgroup = all.filter(({ s }) =>
      actions(s).some((a) =>
        [
          'redshift-data:ExecuteStatement',
          'redshift-data:BatchExecuteStatement',
          'redshift-serverless:GetCredentials',
        ].includes(a),
      ),
    );
    expect(onWorkgroup.length).toBeGreaterThan(0);
    for (const { id, s } of onWorkgroup) expect(resourcesOf(s), id).toEqual([workgroup]);
    // ... so the packaging has no unscoped-workgroup warning to print.
    expect(packagingStderr).not.toContain('warehouse.workgroupId');
    // The example configures no SNS topic, so nobody may publish.
    expect(all.some(({ s }) => actions(s).includes('sns:Publish'))).toBe(false);
  });
});
