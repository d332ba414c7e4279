// Values serverless.yml derives from the compiled curated project (.build/manifest.json), so that
// schedules, scopes and topics are generated from project.yml instead of being copied by hand.
// Serverless Framework v3 resolves `${file(./scripts/serverless-config.cjs):name}` by calling these.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

function manifest() {
  // ZEO_MANIFEST_PATH: the local stack reads the schedules of another compiled project the same way.
  const path = process.env.ZEO_MANIFEST_PATH || join(__dirname, '..', '.build', 'manifest.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read ${path}: run 'npm run build:manifest' (or 'npm run package') first (${error.message})`,
    );
  }
}

/**
 * esbuild `define`: `__ZEO_MANIFEST__` becomes the compiled project (JSON) in every bundle, so the
 * handlers get it injected at package time and no source file imports a generated one.
 */
module.exports.esbuildDefine = () => ({ __ZEO_MANIFEST__: JSON.stringify(manifest()) });

/** One EventBridge schedule per refresh group → curated-refresh { group, trigger: schedule }. */
module.exports.groupSchedules = () =>
  Object.entries(manifest().project.groups).map(([group, config]) => ({
    schedule: {
      name: `\${self:service}-\${sls:stage}-refresh-${group}`.slice(0, 64),
      description: config.description ?? `curated refresh of group ${group}`,
      rate: [config.schedule],
      enabled: config.enabled !== false,
      input: { group, trigger: 'schedule' },
    },
  }));

module.exports.project = () => {
  const { project } = manifest();
  const integrationArn = project.landing.integrationArn;
  const [, partition, , region, account] = integrationArn.split(':');
  return {
    name: project.name,
    integrationArn,
    integrationArnPattern: `arn:${partition}:rds:${region}:${account}:integration:*`,
    workgroupName: project.warehouse.workgroupName ?? '',
    workgroupId: project.warehouse.workgroupId ?? '',
    clusterIdentifier: project.warehouse.clusterIdentifier ?? '',
    snsTopicArn: project.notifications.snsTopicArn ?? '',
    secretArn: project.warehouse.secretArn ?? '',
  };
};

/**
 * The AWS calls each step's code makes (its handler and everything it reaches), by serverless.yml
 * function key, as IAM actions. Each function's role is built from exactly this list
 * (`functionStatements`), so a change to the calls a step makes needs a change here:
 * test/reliability/iam.reliability.ts derives the same sets from the AWS SDK commands the code sends
 * (a TypeScript call graph) and fails when a role holds more or less.
 */
const STEP_CALLS = {
  planRefresh: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
  ],
  prepareLevel: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
  ],
  submitBuild: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
  ],
  checkBuild: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
    'redshift-data:CancelStatement',
  ],
  recordBuildFailure: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
  ],
  summarizeRefresh: [
    'redshift-data:ExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
    'events:PutEvents',
    'sns:Publish',
  ],
  checkTableStates: [
    'redshift-data:ExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
  ],
  requestTableRefresh: ['redshift-data:ExecuteStatement', 'redshift-data:DescribeStatement'],
  checkRecoveryGuardrails: ['rds:DescribeIntegrations'],
  deleteIntegration: ['rds:DeleteIntegration'],
  describeIntegration: ['rds:DescribeIntegrations'],
  createIntegration: ['rds:DescribeIntegrations', 'rds:CreateIntegration'],
  // GetStatementResult: whether the old landing database exists (SVV_REDSHIFT_DATABASES; no IF EXISTS).
  recreateLandingDatabase: [
    'redshift-data:ExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
  ],
  assessState: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
    'rds:DescribeIntegrations',
  ],
  recordReconcile: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
  ],
  notify: ['events:PutEvents', 'sns:Publish'],
};

/** Data API actions that take the workgroup or cluster as their resource. */
const DATA_API_RUN = ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'];
/** Data API actions that take no resource ARN; a condition limits them to statements the role ran. */
const DATA_API_OWNED = [
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:CancelStatement',
];

/**
 * The workgroup the Data API runs statements in and gets credentials for. Its ARN holds the
 * workgroup's id, not its name: with `warehouse.workgroupId` the statements name this workgroup only;
 * without it they cover every workgroup of the account and Region (see unscopedWorkgroupWarning).
 */
function workgroupResource(w) {
  return {
    'Fn::Sub': `arn:\${AWS::Partition}:redshift-serverless:\${AWS::Region}:\${AWS::AccountId}:workgroup/${w.workgroupId ?? '*'}`,
  };
}

/** One line on stderr, once per packaging, when the workgroup permissions cannot be scoped. */
let warnedUnscopedWorkgroup = false;
function unscopedWorkgroupWarning(w) {
  if (!w.workgroupName || w.workgroupId || warnedUnscopedWorkgroup) return;
  warnedUnscopedWorkgroup = true;
  process.stderr.write(
    `warning: the Data API permissions cover every Redshift Serverless workgroup of the account and Region (workgroup/*): set warehouse.workgroupId in project.yml to the id of workgroup '${w.workgroupName}' (aws redshift-serverless get-workgroup --workgroup-name ${w.workgroupName} --query workgroup.workgroupId) to scope them to it\n`,
  );
}

/** The Data API's credentials: exactly what the configured authentication needs. */
function warehouseCredentialsStatement(w) {
  if (w.secretArn)
    return { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [w.secretArn] };
  if (w.workgroupName) {
    return {
      Effect: 'Allow',
      Action: ['redshift-serverless:GetCredentials'],
      Resource: [workgroupResource(w)],
    };
  }
  const cluster = (kind, name) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:${kind}:${name}`,
  });
  return {
    Effect: 'Allow',
    Action: w.dbUser ? ['redshift:GetClusterCredentials'] : ['redshift:GetClusterCredentialsWithIAM'],
    Resource: [
      cluster('cluster', w.clusterIdentifier),
      ...(w.dbUser ? [cluster('dbuser', `${w.clusterIdentifier}/${w.dbUser}`)] : []),
      cluster('dbname', `${w.clusterIdentifier}/${w.database}`),
    ],
  };
}

/** The statements of one step's role: each call on this project's resources only. */
function statementsFor(key, calls, project) {
  const known = new Set([
    ...DATA_API_RUN,
    ...DATA_API_OWNED,
    'events:PutEvents',
    'sns:Publish',
    'rds:DescribeIntegrations',
    'rds:DeleteIntegration',
    'rds:CreateIntegration',
  ]);
  const unknown = calls.filter((c) => !known.has(c));
  if (unknown.length > 0) {
    throw new Error(`scripts/serverless-config.cjs: no IAM statement for ${unknown.join(', ')} (${key})`);
  }
  const pick = (actions) => actions.filter((a) => calls.includes(a));
  const w = project.warehouse;
  const statements = [];
  const run = pick(DATA_API_RUN);
  if (run.length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: run,
      Resource: [
        w.workgroupName
          ? workgroupResource(w)
          : {
              'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:cluster:${w.clusterIdentifier}`,
            },
      ],
    });
  }
  const owned = pick(DATA_API_OWNED);
  if (owned.length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: owned,
      Resource: '*',
      // Fn::Join keeps the IAM policy variable away from the Framework's own ${...} resolution.
      Condition: {
        StringEquals: {
          'redshift-data:statement-owner-iam-userid': { 'Fn::Join': ['', ['$', '{aws:userid}']] },
        },
      },
    });
  }
  if (run.length + owned.length > 0) statements.push(warehouseCredentialsStatement(w));

  const arn = project.landing.integrationArn;
  const [, partition, , region, account] = arn.split(':');
  const pattern = `arn:${partition}:rds:${region}:${account}:integration:*`;
  if (calls.includes('rds:DescribeIntegrations')) {
    statements.push({ Effect: 'Allow', Action: ['rds:DescribeIntegrations'], Resource: [pattern] });
  }
  if (calls.includes('rds:DeleteIntegration')) {
    statements.push(
      { Effect: 'Allow', Action: ['rds:DeleteIntegration'], Resource: [arn] },
      // Its replacements carry the zeo:origin tag; nothing else can be deleted.
      {
        Effect: 'Allow',
        Action: ['rds:DeleteIntegration'],
        Resource: [pattern],
        Condition: { StringEquals: { 'aws:ResourceTag/zeo:origin': arn } },
      },
    );
  }
  if (calls.includes('rds:CreateIntegration')) {
    const source = project.landing.sourceArn ?? `arn:${partition}:rds:${region}:${account}:cluster:*`;
    const target =
      project.landing.targetArn ?? `arn:${partition}:redshift-serverless:${region}:${account}:namespace/*`;
    statements.push(
      // Creating with Tags needs AddTagsToResource too; only with the zeo:origin tag of this integration.
      {
        Effect: 'Allow',
        Action: ['rds:CreateIntegration', 'rds:AddTagsToResource'],
        Resource: [pattern, source],
        Condition: { StringEquals: { 'aws:RequestTag/zeo:origin': arn } },
      },
      // The target side of a new integration.
      { Effect: 'Allow', Action: ['redshift:CreateInboundIntegration'], Resource: [target] },
    );
  }
  if (calls.includes('events:PutEvents')) {
    statements.push({
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
      ],
    });
  }
  // Publishing only happens when a topic is configured; without one, no SNS permission at all.
  const topic = project.notifications.snsTopicArn;
  if (calls.includes('sns:Publish') && topic) {
    statements.push({ Effect: 'Allow', Action: ['sns:Publish'], Resource: [topic] });
  }
  return statements;
}

/**
 * Each function's role statements, by function key (`${file(...):functionStatements.<key>}`): its
 * step's calls, and the X-Ray upload that active tracing needs (these two actions have no resource-level
 * permission, hence Resource "*"). serverless-iam-roles-per-function adds the log statements itself,
 * but not X-Ray, and Lambda refuses a traced function whose role cannot upload traces.
 */
module.exports.functionStatements = async ({ resolveConfigurationProperty }) => {
  const { project } = manifest();
  const traced = Boolean(await resolveConfigurationProperty(['provider', 'tracing', 'lambda']));
  unscopedWorkgroupWarning(project.warehouse);
  const xray = {
    Effect: 'Allow',
    Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    Resource: '*',
  };
  return Object.fromEntries(
    Object.entries(STEP_CALLS).map(([key, calls]) => [
      key,
      [...statementsFor(key, calls, project), ...(traced ? [xray] : [])],
    ]),
  );
};

/** Every Task state of an ASL definition, nested Map and Parallel states included. */
function* taskStates(definition) {
  for (const state of Object.values(definition.States ?? {})) {
    if (state.Type === 'Task') yield state;
    for (const nested of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (nested) yield* taskStates(nested);
    }
  }
}

/**
 * One IAM role per state machine (`<id>Role`, the logical id serverless-step-functions would give
 * it), with the permissions of the service integrations its Task states use
 * (https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html):
 * lambda:InvokeFunction on the functions it names (and their versions and aliases);
 * states:StartExecution on the machines it starts; for a `.sync` start also
 * states:DescribeExecution / StopExecution on the executions of those machines only, and the managed
 * EventBridge rule Step Functions uses to learn that they ended; X-Ray when tracing is enabled.
 * The plugin's own roles grant DescribeExecution / StopExecution on "*" when the child is a `Ref`.
 * Each machine must name its role (`role: { Fn::GetAtt: [<id>Role, Arn] }`); anything not derived
 * here fails the packaging instead of deploying without a permission.
 */
module.exports.stateMachineRoles = async ({ resolveConfigurationProperty }) => {
  const service = await resolveConfigurationProperty(['service']);
  const stage = await resolveConfigurationProperty(['provider', 'stage']);
  const machines = Object.entries(await resolveConfigurationProperty(['stepFunctions', 'stateMachines']));
  const nameOf = Object.fromEntries(machines.map(([, m]) => [m.id, m.name]));
  const sub = (text) => ({ 'Fn::Sub': text });
  const roles = {};
  for (const [key, machine] of machines) {
    const fail = (why) => {
      throw new Error(`scripts/serverless-config.cjs: state machine ${key}: ${why}`);
    };
    if (!machine.id || !machine.name) fail('needs an id and a name');
    const roleId = `${machine.id}Role`;
    if (JSON.stringify(machine.role) !== JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] })) {
      fail(`needs role: { Fn::GetAtt: [${roleId}, Arn] }`);
    }
    for (const option of ['loggingConfig', 'encryptionConfig', 'iamRoleStatements']) {
      if (machine[option]) fail(`${option} has no permissions derived here`);
    }
    const functions = [];
    const started = [];
    const synced = [];
    for (const state of taskStates(machine.definition)) {
      const resource = state.Resource;
      const fn = resource === 'arn:aws:states:::lambda:invoke' ? state.Parameters?.FunctionName : undefined;
      const child = /^arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/.exec(
        typeof resource === 'string' ? resource : '',
      );
      if (fn?.['Fn::GetAtt']?.[1] === 'Arn') {
        const id = fn['Fn::GetAtt'][0];
        if (!functions.includes(id)) functions.push(id);
      } else if (child) {
        const id = state.Parameters?.StateMachineArn?.Ref;
        if (!id || !nameOf[id]) fail(`a startExecution task must name a machine of this service by Ref`);
        if (!started.includes(id)) started.push(id);
        if (child[1]?.startsWith('.sync') && !synced.includes(id)) synced.push(id);
      } else {
        fail(`no permissions derived for the Task resource ${JSON.stringify(resource)}`);
      }
    }
    const statements = [];
    if (functions.length > 0) {
      statements.push({
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: functions.flatMap((id) => {
          const functionArn = { 'Fn::GetAtt': [id, 'Arn'] };
          return [functionArn, { 'Fn::Sub': ['${functionArn}:*', { functionArn }] }];
        }),
      });
    }
    if (started.length > 0) {
      statements.push({
        Effect: 'Allow',
        Action: ['states:StartExecution'],
        Resource: started.map((id) => ({ Ref: id })),
      });
    }
    if (synced.length > 0) {
      statements.push(
        {
          Effect: 'Allow',
          Action: ['states:DescribeExecution', 'states:StopExecution'],
          Resource: synced.map((id) =>
            sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${nameOf[id]}:*`),
          ),
        },
        {
          Effect: 'Allow',
          Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          Resource: [
            sub(
              'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
            ),
          ],
        },
      );
    }
    if (machine.tracingConfig?.enabled) {
      // X-Ray has no resource-level permissions for these.
      statements.push({
        Effect: 'Allow',
        Action: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        Resource: '*',
      });
    }
    roles[roleId] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: sub('states.${AWS::Region}.amazonaws.com') },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        Policies: [
          {
            PolicyName: `${stage}-${service}-statemachine`,
            PolicyDocument: { Version: '2012-10-17', Statement: statements },
          },
        ],
      },
    };
  }
  return roles;
};
