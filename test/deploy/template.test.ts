import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allStates, loadDefinitions } from '../../local/sfn/definitions.js';
import { packageService } from '../../scripts/deploy-resources.js';
import { serializeManifest } from '../../shared/project/compile.js';
import { loadProject } from '../../shared/project/load.js';
import { SHOP_PROJECT } from '../helpers/project.js';

/**
 * `serverless package` (osls + serverless-step-functions + serverless-esbuild) offline, with no AWS
 * credentials, of the example project in a scratch copy of the service (so it never races another
 * packaging over .serverless/), then checks of the CloudFormation template it produced.
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
const scratch = mkdtempSync(join(tmpdir(), 'zeo-template-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const require = createRequire(import.meta.url);
const config = require('../../scripts/serverless-config.cjs') as {
  WAITED_STATEMENTS: Record<string, number>;
  WAIT_SECONDS: number;
};

beforeAll(async () => {
  const manifestPath = join(scratch, 'manifest.json');
  writeFileSync(manifestPath, serializeManifest(loadProject(SHOP_PROJECT)));
  const packaged = await packageService({ manifestPath, stage: 'test', region: 'eu-west-1' });
  packagingStderr = packaged.stderr;
  resources = packaged.template.Resources as Record<string, Resource>;
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const statementsOf = (role: Resource): Statement[] =>
  ((role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('Deploy template (npm run package, offline)', () => {
  it('has the four public state machines, with stable ids', () => {
    expect(
      ofType('AWS::StepFunctions::StateMachine')
        .map(([id]) => id)
        .sort(),
    ).toEqual([
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
    // Another machine of this stack by Ref, or — curated-refresh continuing as a new execution of
    // itself — its own ARN built from its name (a Ref to itself would be a circular dependency).
    const names = ofType('AWS::StepFunctions::StateMachine').map(([, m]) => m.Properties.StateMachineName);
    const starters = all.filter(({ s }) => actions(s).includes('states:StartExecution'));
    expect(starters.length).toBeGreaterThan(0);
    for (const { id, s } of starters) {
      for (const resource of resourcesOf(s)) {
        const text = JSON.stringify(resource);
        const own = names.some(
          (name) =>
            text ===
            JSON.stringify({
              'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${String(name)}`,
            }),
        );
        expect(own || /^\{"Ref":"[A-Za-z]+StateMachine"\}$/.test(text), `${id}: ${text}`).toBe(true);
      }
    }
    expect(
      starters.some(
        ({ id, s }) =>
          id === 'CuratedRefreshStateMachineRole' &&
          JSON.stringify(s.Resource).includes(':stateMachine:shop-reporting-test-curated-refresh"'),
      ),
    ).toBe(true);
    // ListStatements takes no resource and no owner condition (it lists the statements of the caller's
    // role, RoleLevel): granted to the role the Data API steps assume, on "*", and nowhere else.
    const listers = all.filter(({ s }) => actions(s).includes('redshift-data:ListStatements'));
    expect(listers.map(({ id }) => id)).toEqual(['WarehouseRole']);
    for (const { s } of listers) {
      expect(resourcesOf(s)).toEqual(['*']);
      expect(actions(s)).toEqual(['redshift-data:ListStatements']);
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

describe('Deploy template: names, partition and runtime budgets (issue #19)', () => {
  it("names every resource after the project's service, stage and Region", () => {
    expect(resources.PlanRefreshLambdaFunction?.Properties.FunctionName).toBe(
      'shop-reporting-test-planRefresh',
    );
    expect(resources.CuratedRefreshStateMachine?.Properties.StateMachineName).toBe(
      'shop-reporting-test-curated-refresh',
    );
    const role = resources.PlanRefreshIamRoleLambdaExecution?.Properties;
    expect(role?.RoleName).toBe('shop-reporting-test-planRefresh-eu-west-1');
    expect(role?.Path).toBe('/zeo/shop-reporting/test/eu-west-1/');
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties.Name);
    expect(rules).toContain('shop-reporting-test-refresh-hourly');
    expect(rules).toContain('shop-reporting-test-reconcile-watchdog');
  });

  it('writes every service integration of the state machines with the stack partition', () => {
    for (const [id, machine] of ofType('AWS::StepFunctions::StateMachine')) {
      const text = JSON.stringify(machine.Properties.DefinitionString);
      expect(text, id).not.toContain('arn:aws:states');
      expect(text, id).toContain(`{"Fn::Sub":"arn:\${AWS::Partition}:states:::lambda:invoke"}`);
    }
  });

  it("gives every step a timeout that covers its waited Data API statements (Lambda's 900 s at most)", () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const key = id.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      const waited = config.WAITED_STATEMENTS[key] ?? 0;
      // Each statement: the submit and one DescribeStatement, each held up to WAIT_SECONDS.
      const budget = waited * 2 * config.WAIT_SECONDS;
      expect(fn.Properties.Timeout, id).toBeGreaterThan(budget);
      expect(fn.Properties.Timeout, id).toBeLessThanOrEqual(900);
    }
    // The step with the most: bookkeeping, table states, model states and the plan's records.
    expect(resources.PlanRefreshLambdaFunction?.Properties.Timeout).toBeGreaterThanOrEqual(400);
  });

  it('retries a Lambda timeout wherever the state machine retries a statement still running', () => {
    // Step Functions reports a Lambda timeout as Lambda.Unknown ("Handle Lambda service exceptions":
    // unhandled errors, out-of-memory errors and function timeouts) or Sandbox.Timedout (the error
    // type Lambda gives a timed-out invocation). A step that may be re-run after a statement outlived
    // its wait may be re-run after its own timeout: the same ClientToken, lease and checks apply.
    let checked = 0;
    for (const [machine, definition] of Object.entries(loadDefinitions())) {
      for (const [name, state] of allStates(definition)) {
        const retry = (state.Retry as { ErrorEquals: string[]; MaxAttempts?: number }[] | undefined) ?? [];
        if (!retry.some((r) => r.ErrorEquals.includes('StatementStillRunningError'))) continue;
        checked++;
        const timeout = retry.find(
          (r) => r.ErrorEquals.includes('Lambda.Unknown') && r.ErrorEquals.includes('Sandbox.Timedout'),
        );
        expect(timeout, `${machine} ${name}`).toBeDefined();
        expect(timeout?.MaxAttempts, `${machine} ${name}`).toBeLessThanOrEqual(3);
      }
    }
    // PlanRefresh, DispatchBuilds, StopBuilds and SummarizeRefresh of curated-refresh; the recovery steps.
    expect(checked).toBe(12);
  });

  it('grants no KMS permission without landing.kmsKeyArn', () => {
    const all = ofType('AWS::IAM::Role').flatMap(([, role]) => statementsOf(role));
    expect(all.flatMap(actions).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });
});
