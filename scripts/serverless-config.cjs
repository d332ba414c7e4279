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
    clusterIdentifier: project.warehouse.clusterIdentifier ?? '',
    snsTopicArn: project.notifications.snsTopicArn ?? '',
    secretArn: project.warehouse.secretArn ?? '',
  };
};

/** Data API credentials: exactly what the configured authentication needs. */
module.exports.warehouseAccessStatements = () => {
  const { project } = manifest();
  const w = project.warehouse;
  const statements = [
    {
      Effect: 'Allow',
      Action: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      Resource: [
        w.workgroupName
          ? {
              'Fn::Sub':
                'arn:${AWS::Partition}:redshift-serverless:${AWS::Region}:${AWS::AccountId}:workgroup/*',
            }
          : {
              'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:cluster:${w.clusterIdentifier}`,
            },
      ],
    },
    {
      // These three take no resource ARN; the condition limits them to statements this role ran.
      Effect: 'Allow',
      Action: [
        'redshift-data:DescribeStatement',
        'redshift-data:GetStatementResult',
        'redshift-data:CancelStatement',
      ],
      Resource: '*',
      // Fn::Join keeps the IAM policy variable away from the Framework's own ${...} resolution.
      Condition: {
        StringEquals: {
          'redshift-data:statement-owner-iam-userid': { 'Fn::Join': ['', ['$', '{aws:userid}']] },
        },
      },
    },
  ];
  if (w.secretArn) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [w.secretArn] });
  } else if (w.workgroupName) {
    statements.push({
      Effect: 'Allow',
      Action: ['redshift-serverless:GetCredentials'],
      Resource: [
        {
          'Fn::Sub': 'arn:${AWS::Partition}:redshift-serverless:${AWS::Region}:${AWS::AccountId}:workgroup/*',
        },
      ],
    });
  } else {
    statements.push({
      Effect: 'Allow',
      Action: w.dbUser ? ['redshift:GetClusterCredentials'] : ['redshift:GetClusterCredentialsWithIAM'],
      Resource: [
        {
          'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:cluster:${w.clusterIdentifier}`,
        },
        ...(w.dbUser
          ? [
              {
                'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:dbuser:${w.clusterIdentifier}/${w.dbUser}`,
              },
              {
                'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:dbname:${w.clusterIdentifier}/${w.database}`,
              },
            ]
          : [
              {
                'Fn::Sub': `arn:\${AWS::Partition}:redshift:\${AWS::Region}:\${AWS::AccountId}:dbname:${w.clusterIdentifier}/${w.database}`,
              },
            ]),
      ],
    });
  }
  return statements;
};

/** EventBridge on the default bus always; SNS only on the configured topic, when there is one. */
module.exports.notifyStatements = () => {
  const topic = manifest().project.notifications.snsTopicArn;
  return [
    {
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
      ],
    },
    ...(topic ? [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: [topic] }] : []),
  ];
};

/** Deleting and creating integrations, only for this project's integration, source and target. */
module.exports.integrationStatements = (kind) => {
  const { project } = manifest();
  const arn = project.landing.integrationArn;
  const [, partition, , region, account] = arn.split(':');
  const pattern = `arn:${partition}:rds:${region}:${account}:integration:*`;
  const origin = { StringEquals: { 'aws:ResourceTag/zeo:origin': arn } };
  const describe = { Effect: 'Allow', Action: ['rds:DescribeIntegrations'], Resource: [pattern] };
  if (kind === 'describe') return [describe];
  if (kind === 'delete') {
    return [
      { Effect: 'Allow', Action: ['rds:DeleteIntegration'], Resource: [arn] },
      // Its replacements carry the zeo:origin tag; nothing else can be deleted.
      { Effect: 'Allow', Action: ['rds:DeleteIntegration'], Resource: [pattern], Condition: origin },
    ];
  }
  const source = project.landing.sourceArn ?? `arn:${partition}:rds:${region}:${account}:cluster:*`;
  const target =
    project.landing.targetArn ?? `arn:${partition}:redshift-serverless:${region}:${account}:namespace/*`;
  return [
    describe,
    {
      Effect: 'Allow',
      Action: ['rds:CreateIntegration', 'rds:AddTagsToResource'],
      Resource: [pattern, source],
      Condition: { StringEquals: { 'aws:RequestTag/zeo:origin': arn } },
    },
    { Effect: 'Allow', Action: ['redshift:CreateInboundIntegration'], Resource: [target] },
  ];
};
module.exports.integrationDescribeStatements = () => module.exports.integrationStatements('describe');
module.exports.integrationDeleteStatements = () => module.exports.integrationStatements('delete');
module.exports.integrationCreateStatements = () => module.exports.integrationStatements('create');
module.exports.warehouseAndNotifyStatements = () => [
  ...module.exports.warehouseAccessStatements(),
  ...module.exports.notifyStatements(),
];
module.exports.warehouseAndDescribeStatements = () => [
  ...module.exports.warehouseAccessStatements(),
  ...module.exports.integrationStatements('describe'),
];
