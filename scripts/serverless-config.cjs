// Values serverless.yml derives from the compiled curated project (.build/manifest.json), so that
// schedules, scopes and topics are generated from project.yml instead of being copied by hand.
// Serverless Framework v3 resolves `${file(./scripts/serverless-config.cjs):name}` by calling these.
const { createHash } = require('node:crypto');
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
 * esbuild `define`: `__ZEO_MANIFEST__` becomes the compiled project in every bundle, so the handlers
 * get it injected at package time and no source file imports a generated one. It is one string
 * literal (parsed by shared/runtime/deployed-manifest.ts), not an object literal: the source map then holds one
 * segment for it instead of one per JSON token, and formatting an error stack with
 * --enable-source-maps does not load a map the size of the project (5,000 models, Node 20: 244 → 114 MB RSS).
 */
module.exports.esbuildDefine = () => ({ __ZEO_MANIFEST__: JSON.stringify(JSON.stringify(manifest())) });

// ---------------------------------------------------------------------------------------------------
// Names. The same rules as shared/project/deployment.ts (the CLI's side; test/deploy/names.test.ts
// keeps the two in step): every physical name is built from the resolved service, stage and Region,
// then shortened with a hash only when it would exceed its AWS limit.

/** shared/project/deployment.ts STAGE_PATTERN / STAGE_RULE. */
const STAGE_PATTERN = /^[a-z0-9]{1,16}$/;
const STAGE_RULE =
  '1-16 lower-case letters and digits (no hyphen: the stage is part of the stack name <service>-<stage> and of every resource name)';
/** AWS Region codes (the longest are 14 characters, e.g. ap-southeast-2). */
const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/;

/** shared/project/deployment.ts serviceOf: project.yml `service`, else its `name`. */
function serviceOf(project) {
  if (project.service) return project.service;
  return project.name.length >= 2 ? project.name : `${project.name}-zeo`;
}

/** shared/project/deployment.ts fitName: the name, or its head and 8 hex characters of its SHA-256. */
function fitName(name, max) {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/**
 * The Serverless service (serverless.yml `service:`): the project's deployment prefix. The local
 * stack (local/bus/rules.ts) passes the compiled project it runs as `compiled`; the Framework passes
 * only its context, and the project is read from ZEO_MANIFEST_PATH or .build/manifest.json.
 */
module.exports.service = (_context, compiled) => serviceOf((compiled ?? manifest()).project);

/**
 * The resolved deployment. A stage or Region that cannot be part of every name fails the packaging
 * here, naming the rule, instead of a deployment halfway through.
 */
async function deployment({ resolveConfigurationProperty }) {
  const service = serviceOf(manifest().project);
  const stage = String(await resolveConfigurationProperty(['provider', 'stage']));
  const region = String(await resolveConfigurationProperty(['provider', 'region']));
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(`scripts/serverless-config.cjs: --stage '${stage}' is not a stage name: ${STAGE_RULE}`);
  }
  if (!REGION_PATTERN.test(region)) {
    throw new Error(
      `scripts/serverless-config.cjs: --region '${region}' is not an AWS Region (e.g. eu-west-1)`,
    );
  }
  return {
    service,
    stage,
    region,
    prefix: `${service}-${stage}`,
    // IAM is global: the function roles of each Region's stack live under a path of their own, which
    // the warehouse role trusts (warehouseRole). Neither part can hold a '/', so the path names this
    // deployment only.
    rolePath: `/zeo/${service}/${stage}/${region}/`,
  };
}

/** Lambda function names (64): `<service>-<stage>-<function>`. */
module.exports.functionNames = async (context) => {
  const { prefix } = await deployment(context);
  return Object.fromEntries(Object.keys(STEP_CALLS).map((key) => [key, fitName(`${prefix}-${key}`, 64)]));
};

/**
 * The functions' role names (64, unique in the account across Regions): `<service>-<stage>-<function>-
 * <region>` (serverless-iam-roles-per-function's own scheme, which fails beyond 64 characters).
 */
module.exports.roleNames = async (context) => {
  const { prefix, region } = await deployment(context);
  return Object.fromEntries(
    Object.keys(STEP_CALLS).map((key) => [key, fitName(`${prefix}-${key}-${region}`, 64)]),
  );
};

/** The Framework's default role (no function uses it; the per-function roles are copied from it). */
module.exports.defaultRoleName = async (context) => {
  const { prefix, region } = await deployment(context);
  return fitName(`${prefix}-${region}-lambdaRole`, 64);
};

/** The IAM path of the function roles, which the warehouse role trusts. */
module.exports.rolePath = async (context) => (await deployment(context)).rolePath;

/**
 * `resources.extensions`: the path of each function's role (`<Function>IamRoleLambdaExecution`, the
 * logical id serverless-iam-roles-per-function gives it). Set here rather than as provider.iam.role.path,
 * which serverless-step-functions would also give its EventBridge rule roles.
 */
module.exports.roleExtensions = async (context) => {
  const { rolePath } = await deployment(context);
  return Object.fromEntries(
    Object.keys(STEP_CALLS).map((key) => [
      `${key.charAt(0).toUpperCase()}${key.slice(1)}IamRoleLambdaExecution`,
      { Properties: { Path: rolePath } },
    ]),
  );
};

/**
 * The watchdog schedule's rule name (64). Without a context (local/bus/rules.ts reads the schedules of
 * serverless.yml) the Framework's variables stay in the name for the local stack to fill in.
 */
module.exports.watchdogName = (context) => {
  if (!context?.resolveConfigurationProperty) return '${self:service}-${sls:stage}-reconcile-watchdog';
  return deployment(context).then(({ prefix }) => fitName(`${prefix}-reconcile-watchdog`, 64));
};

/**
 * One EventBridge schedule per refresh group → curated-refresh { group, trigger: schedule }, named
 * `<service>-<stage>-refresh-<group>` (64, shortened with a hash after the stage is known, so two long
 * group names with a common start still get two names). Called without a context (the local stack's
 * local/bus/rules.ts, which passes the compiled project it runs as `compiled`), the name keeps the
 * Framework's variables for it to fill in.
 */
module.exports.groupSchedules = (context, compiled) => {
  const { project } = compiled ?? manifest();
  const schedules = (name) =>
    Object.entries(project.groups).map(([group, config]) => ({
      schedule: {
        name: name(group),
        description: config.description ?? `curated refresh of group ${group}`,
        rate: [config.schedule],
        enabled: config.enabled !== false,
        input: { group, trigger: 'schedule' },
      },
    }));
  if (!context?.resolveConfigurationProperty) {
    return schedules((group) => `\${self:service}-\${sls:stage}-refresh-${group}`);
  }
  return deployment(context).then(({ prefix }) =>
    schedules((group) => fitName(`${prefix}-refresh-${group}`, 64)),
  );
};

/**
 * Each function's timeout (seconds): its worst case of waited Data API statements (WAITED_STATEMENTS,
 * each up to two requests held WAIT_SECONDS by the Data API: the submit and one DescribeStatement)
 * plus a margin for the requests that do not wait; 60 s for the steps without Data API statements.
 */
module.exports.timeouts = () =>
  Object.fromEntries(
    Object.keys(STEP_CALLS).map((key) => [
      key,
      Math.min(900, Math.max(60, (WAITED_STATEMENTS[key] ?? 0) * 2 * WAIT_SECONDS + 30)),
    ]),
  );

/** serverless.yml state machine key → its ASL file in statemachines/. */
const MACHINE_FILES = {
  curatedRefresh: 'curated-refresh.asl.json',
  resyncRecovery: 'resync-recovery.asl.json',
  integrationRecovery: 'integration-recovery.asl.json',
  reconcile: 'reconcile.asl.json',
};
module.exports.MACHINE_FILES = MACHINE_FILES;

/**
 * The state machine definitions as deployed: the ASL files (which the local stack runs as they are),
 * with every Task's `arn:aws:states:::…` resource written with the stack's partition
 * (`{ "Fn::Sub": "arn:${AWS::Partition}:states:::…" }`), so the template deploys in aws-cn and
 * aws-us-gov too.
 */
module.exports.definitions = () => {
  const withPartition = (node) => {
    if (Array.isArray(node)) return node.map(withPartition);
    if (!node || typeof node !== 'object') return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] =
        key === 'Resource' && typeof value === 'string' && value.startsWith('arn:aws:states:::')
          ? { 'Fn::Sub': `arn:\${AWS::Partition}:states:::${value.slice('arn:aws:states:::'.length)}` }
          : withPartition(value);
    }
    return out;
  };
  return Object.fromEntries(
    Object.entries(MACHINE_FILES).map(([key, file]) => [
      key,
      withPartition(JSON.parse(readFileSync(join(__dirname, '..', 'statemachines', file), 'utf8'))),
    ]),
  );
};

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
  dispatchBuilds: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
    'redshift-data:CancelStatement',
    'redshift-data:ListStatements',
  ],
  // ListStatements and CancelStatement for the run's builds; the lease query; fence, committed?, record.
  stopBuilds: [
    'redshift-data:ExecuteStatement',
    'redshift-data:BatchExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
    'redshift-data:CancelStatement',
    'redshift-data:ListStatements',
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

/**
 * The Data API statements a step waits for (Warehouse.run / execute / query: submitted with
 * WaitTimeSeconds, then at most one DescribeStatement with WaitTimeSeconds), at most, per invocation.
 * They set the step's timeout (`timeouts`): when Redshift queues statements each can take the whole
 * wait. test/reliability/runtime-budget.reliability.ts counts them over the local scenario and fails
 * when a step waits more often than declared here, or longer than WAIT_SECONDS a request.
 */
// AWS-ASSUMPTION: step-timeout-budget
const WAITED_STATEMENTS = {
  // bookkeeping version check and migrations, table states, model states, the plan's records
  planRefresh: 10,
  // leases, lease status, targets, outcomes (2), and for each of at most MAX_FAILURES_PER_TICK (4)
  // failures: fence, committed?, drop / refreshed / failed record
  dispatchBuilds: 18,
  // the leases held, and for each of at most MAX_STOPS_PER_INVOCATION (4): fence, committed?, record
  stopBuilds: 13,
  summarizeRefresh: 3,
  checkTableStates: 2,
  requestTableRefresh: 2,
  // exists?, DROP DATABASE, CREATE DATABASE … FROM INTEGRATION, one ALTER per setting
  recreateLandingDatabase: 8,
  assessState: 6,
  recordReconcile: 3,
};
/** SYNC_WAIT_SECONDS of shared/warehouse/warehouse.ts: how long the Data API may hold one request. */
const WAIT_SECONDS = 20;
module.exports.WAITED_STATEMENTS = WAITED_STATEMENTS;
module.exports.WAIT_SECONDS = WAIT_SECONDS;

/** The logical id of the one role all warehouse work runs as (`warehouseRole`). */
const WAREHOUSE_ROLE_ID = 'WarehouseRole';

/** Data API actions that take the workgroup or cluster as their resource. */
const DATA_API_RUN = ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'];
/** Data API actions that take no resource ARN; a condition limits them to statements the role ran. */
const DATA_API_OWNED = [
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:CancelStatement',
];
/**
 * ListStatements takes no resource and no statement-owner condition; with RoleLevel it lists only the
 * statements of the calling role (API reference, ListStatements RoleLevel).
 */
const DATA_API_LIST = ['redshift-data:ListStatements'];

/**
 * The workgroup the Data API runs statements in and gets credentials for. Its ARN holds the
 * workgroup's id, not its name: with `warehouse.workgroupId` the statements name this workgroup only;
 * without it they cover every workgroup of the account and Region (see unscopedWorkgroupWarning).
 */
// AWS-ASSUMPTION: workgroup-id-fixed-at-creation
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
    ...DATA_API_LIST,
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
  const statements = [];
  // The Data API is called as the warehouse role (one statement owner, one database user: see
  // warehouseRole below); the step's own role may only assume it.
  if (pick([...DATA_API_RUN, ...DATA_API_OWNED, ...DATA_API_LIST]).length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: ['sts:AssumeRole'],
      Resource: [{ 'Fn::GetAtt': [WAREHOUSE_ROLE_ID, 'Arn'] }],
    });
  }

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
    // A customer-managed key: "it must allow the current user to perform the DescribeKey and
    // CreateGrant actions" (AuroraUserGuide "Creating zero-ETL integrations", encrypting with a
    // customer managed key); the grant only through RDS, with the operations its example key policy
    // allows. The key policy must allow it too (docs/deploy.md).
    const key = project.landing.kmsKeyArn;
    if (key) {
      statements.push(
        { Effect: 'Allow', Action: ['kms:DescribeKey'], Resource: [key] },
        {
          Effect: 'Allow',
          Action: ['kms:CreateGrant'],
          Resource: [key],
          Condition: {
            // AWS-ASSUMPTION: kms-via-service-rds
            StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'rds.${AWS::Region}.${AWS::URLSuffix}' } },
            'ForAllValues:StringEquals': {
              'kms:GrantOperations': ['Decrypt', 'GenerateDataKey', 'CreateGrant'],
            },
          },
        },
      );
    }
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

/** The Data API statements of the warehouse role: the union of what the steps call, nothing else. */
function warehouseStatements(project) {
  const calls = [...new Set(Object.values(STEP_CALLS).flat())];
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
      // Only statements this role's `zeo-warehouse` session ran (shared/aws/clients.ts): every step
      // uses that one session name, so every step may poll what another submitted.
      // Fn::Join keeps the IAM policy variable away from the Framework's own ${...} resolution.
      Condition: {
        StringEquals: {
          'redshift-data:statement-owner-iam-userid': { 'Fn::Join': ['', ['$', '{aws:userid}']] },
        },
      },
    });
  }
  const list = pick(DATA_API_LIST);
  if (list.length > 0) statements.push({ Effect: 'Allow', Action: list, Resource: '*' });
  if (run.length + owned.length > 0) statements.push(warehouseCredentialsStatement(w));
  return statements;
}

/**
 * The warehouse role: the one identity every Data API step assumes (session `zeo-warehouse`). On AWS
 * only the identity that ran a statement may describe, cancel or read it, and with IAM credentials each
 * role is its own database user (`IAMR:<role name>`): one role makes the builds one dispatcher
 * tick submits the next tick's to list and describe, and gives every curated table, schema and procedure one owner. It holds the Data
 * API permissions only — RDS, EventBridge and SNS stay on the steps' own roles. The function roles are
 * trusted by their IAM path (`rolePath`: /zeo/<service>/<stage>/<region>/, which only this
 * deployment's function roles have), not by reference, which would make the two depend on each other,
 * and not by a name prefix, which another project's names can share (`shop-dev-*` matches the roles of
 * service `shop-dev`) and which a name shortened to fit 64 characters no longer keeps.
 */
module.exports.warehouseRole = async (context) => {
  const { project } = manifest();
  const { service, stage, rolePath } = await deployment(context);
  unscopedWorkgroupWarning(project.warehouse);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `${service} ${stage}: the identity all warehouse work runs as (database user IAMR:<this role>)`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
            Action: 'sts:AssumeRole',
            Condition: {
              ArnLike: {
                // AWS-ASSUMPTION: principal-arn-includes-path
                // UNCONFIRMED: aws:PrincipalArn of a role's session is the role's ARN with its path (the IAM
                // docs show role/<name> only; SCPs commonly match role/aws-reserved/… this way).
                'aws:PrincipalArn': {
                  'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role${rolePath}*`,
                },
              },
            },
          },
        ],
      },
      Policies: [
        {
          PolicyName: `${stage}-${service}-warehouse`,
          PolicyDocument: { Version: '2012-10-17', Statement: warehouseStatements(project) },
        },
      ],
    },
  };
};

/** CloudFormation resources beside the functions and machines: the machines' roles and the warehouse role. */
module.exports.resources = async (context) => ({
  ...(await module.exports.stateMachineRoles(context)),
  [WAREHOUSE_ROLE_ID]: await module.exports.warehouseRole(context),
});

/**
 * Each function's role statements, by function key (`${file(...):functionStatements.<key>}`): its
 * step's calls, and the X-Ray upload that active tracing needs (these two actions have no resource-level
 * permission, hence Resource "*"). serverless-iam-roles-per-function adds the log statements itself,
 * but not X-Ray, and Lambda refuses a traced function whose role cannot upload traces.
 */
module.exports.functionStatements = async ({ resolveConfigurationProperty }) => {
  const { project } = manifest();
  const traced = Boolean(await resolveConfigurationProperty(['provider', 'tracing', 'lambda']));
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

/**
 * The service integration a deployed Task names (`lambda:invoke`, `states:startExecution.sync:2`): its
 * resource as `definitions` writes it, `{ "Fn::Sub": "arn:${AWS::Partition}:states:::<integration>" }`;
 * undefined for anything else (a hard-coded partition included).
 */
function integrationOf(resource) {
  const text = resource?.['Fn::Sub'];
  const prefix = 'arn:${AWS::Partition}:states:::';
  return typeof text === 'string' && text.startsWith(prefix) ? text.slice(prefix.length) : undefined;
}

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
      const resource = integrationOf(state.Resource);
      if (resource === undefined) {
        fail(
          `the Task resource ${JSON.stringify(state.Resource)} is not arn:\${AWS::Partition}:states:::… (see definitions)`,
        );
      }
      const fn = resource === 'lambda:invoke' ? state.Parameters?.FunctionName : undefined;
      const child = /^states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/.exec(resource);
      if (fn?.['Fn::GetAtt']?.[1] === 'Arn') {
        const id = fn['Fn::GetAtt'][0];
        if (!functions.includes(id)) functions.push(id);
      } else if (child) {
        // A continuation starts the machine itself (StateMachineArn.$: $$.StateMachine.Id).
        const id =
          state.Parameters?.['StateMachineArn.$'] === '$$.StateMachine.Id'
            ? machine.id
            : state.Parameters?.StateMachineArn?.Ref;
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
        // The machine's own ARN is built from its name: a Ref to itself would be a circular dependency.
        Resource: started.map((id) =>
          id === machine.id
            ? sub(
                `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${nameOf[id]}`,
              )
            : { Ref: id },
        ),
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
