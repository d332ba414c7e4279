import * as z from 'zod';
import { identifierProblem, MAX_MODEL_NAME_LENGTH } from '../sql/identifiers.js';
import { MAX_GROUPS, MAX_SERVICE_LENGTH, SERVICE_PATTERN, STAGE_PATTERN, STAGE_RULE } from './deployment.js';
import { parseDuration } from './duration.js';
import { scheduleExpressionProblem } from './schedule.js';

/**
 * Schemas of the files a user writes: `project.yml` and `models/<name>.yml`. They are strict (unknown
 * keys are errors, because a misspelt `not_nul: true` silently ignored is a broken contract) and the
 * types the rest of the code uses are inferred from them.
 */

const identifier = (max?: number) =>
  z.string().superRefine((value, ctx) => {
    const problem = identifierProblem(value, max);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const Identifier = identifier();
export const ModelName = identifier(MAX_MODEL_NAME_LENGTH);

/** Group names become parts of EventBridge rule names and CloudFormation logical ids. */
export const GroupName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'group names are lower-case letters, digits and _ (at most 40)');

/** A deployment stage (`zeo package|deploy|run|status|doctor --stage`): part of every physical name. */
export const StageName = z.string().regex(STAGE_PATTERN, `stage names are ${STAGE_RULE}`);

export const ScheduleExpression = z.string().superRefine((value, ctx) => {
  const problem = scheduleExpressionProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const Duration = z.string().refine((v) => parseDuration(v) !== undefined, {
  message: "must be a duration such as '3 days', '2 hours' or '30 minutes'",
});

const Arn = (service: string, resource: RegExp, example: string) =>
  z
    .string()
    .regex(
      new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource.source}$`),
      `must be an ARN like ${example}`,
    );

export const IntegrationArn = Arn(
  'rds',
  /integration:[A-Za-z0-9-]+/,
  'arn:aws:rds:us-east-1:123456789012:integration:<uuid>',
);
export const SecretArn = Arn(
  'secretsmanager',
  /secret:[A-Za-z0-9/_+=.@-]+/,
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:name',
);
export const SnsTopicArn = Arn('sns', /[A-Za-z0-9_-]{1,256}/, 'arn:aws:sns:us-east-1:123456789012:topic');

export const Materialization = z.enum(['table', 'incremental', 'materialized_view']);
export type Materialization = z.infer<typeof Materialization>;

export const WarehouseConfig = z
  .strictObject({
    workgroupName: z
      .string()
      .regex(/^[a-z0-9-]{3,64}$/, 'must be a Redshift Serverless workgroup name')
      .optional(),
    /**
     * The workgroup's id (the UUID its ARN ends in: `…:workgroup/<id>`). The Data API is called with
     * the name; the id only scopes the IAM permissions to this workgroup instead of `workgroup/*`.
     */
    workgroupId: z
      .string()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        "workgroupId must be the workgroup's id, a lower-case UUID (the end of its ARN, …:workgroup/<uuid>)",
      )
      .optional(),
    clusterIdentifier: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a Redshift cluster identifier')
      .optional(),
    dbUser: z.string().min(1).max(127).optional(),
    database: Identifier,
    secretArn: SecretArn.optional(),
  })
  .superRefine((w, ctx) => {
    if ((w.workgroupName === undefined) === (w.clusterIdentifier === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of workgroupName and clusterIdentifier' });
    }
    if (w.dbUser !== undefined && w.clusterIdentifier === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dbUser'],
        message: 'dbUser only applies to a clusterIdentifier',
      });
    }
    if (w.workgroupId !== undefined && w.workgroupName === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['workgroupId'],
        message: 'workgroupId only applies to a workgroupName',
      });
    }
  });
export type WarehouseConfig = z.infer<typeof WarehouseConfig>;

export const LandingSettings = z.strictObject({
  queryAllStates: z.boolean().optional(),
  refreshInterval: z.number().int().min(0).max(432_000).optional(),
  acceptInvChars: z.boolean().optional(),
  truncateColumns: z.boolean().optional(),
});
export type LandingSettings = z.infer<typeof LandingSettings>;

export const LandingConfig = z.strictObject({
  database: Identifier,
  integrationArn: IntegrationArn,
  sourceDatabase: Identifier,
  /** The Aurora cluster and Redshift namespace of the integration: scope the recovery's IAM to them. */
  sourceArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[a-z][a-z0-9-]*$/, 'must be an Aurora cluster ARN')
    .optional(),
  targetArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:redshift(-serverless)?:[a-z0-9-]+:\d{12}:namespace[:/][A-Za-z0-9-]+$/,
      'must be a Redshift namespace ARN',
    )
    .optional(),
  /**
   * The customer-managed KMS key the integration is encrypted with, if any: recreating it needs
   * kms:DescribeKey and kms:CreateGrant on that key (AuroraUserGuide "Creating zero-ETL integrations").
   */
  kmsKeyArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
      'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)',
    )
    .optional(),
  settings: LandingSettings.default({}),
  /** The replicated tables models may read, by schema: `{ public: [orders, customers] }`. */
  tables: z.record(Identifier, z.array(Identifier).min(1)),
});
export type LandingConfig = z.infer<typeof LandingConfig>;

export const GroupConfig = z.strictObject({
  schedule: ScheduleExpression,
  description: z.string().max(512).optional(),
  enabled: z.boolean().default(true),
  /** Models of the group whose sources changed are left alone until their last build is this old. */
  lag_tolerance: Duration.optional(),
});
export type GroupConfig = z.infer<typeof GroupConfig>;

export const ProjectFile = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and - (at most 40)'),
  /**
   * The deployment prefix (default: `name`): the stack is `<service>-<stage>` and every physical name
   * starts with it, so two projects deploy side by side in one account, Region and stage.
   */
  service: z
    .string()
    .regex(
      SERVICE_PATTERN,
      `a lower-case letter, then 1-${MAX_SERVICE_LENGTH - 1} lower-case letters, digits or - (the stack is <service>-<stage>)`,
    )
    .optional(),
  warehouse: WarehouseConfig,
  landing: LandingConfig,
  defaults: z
    .strictObject({
      schema: Identifier.default('reporting'),
      materialized: Materialization.default('table'),
    })
    .default({ schema: 'reporting', materialized: 'table' }),
  groups: z
    .record(GroupName, GroupConfig)
    .refine((groups) => Object.keys(groups).length <= MAX_GROUPS, {
      message: `at most ${MAX_GROUPS} groups (each is an EventBridge rule on the account's default bus and a resource of the stack)`,
    })
    .default({}),
  refresh: z
    .strictObject({
      /** Models built at once inside one DAG level (inline Map MaxConcurrency, ≤ 40 by AWS). */
      maxConcurrency: z.number().int().min(1).max(40).default(10),
      /** A build lease older than this is taken over (its holder crashed): longer than any build. */
      leaseTimeoutMinutes: z.number().int().min(1).max(1440).default(360),
    })
    .default({ maxConcurrency: 10, leaseTimeoutMinutes: 360 }),
  recovery: z
    .strictObject({
      recreateIntegration: z.boolean().default(false),
      maxRecreatesPer24h: z.number().int().min(0).max(24).default(1),
      resyncTimeoutMinutes: z.number().int().min(1).max(10_080).default(240),
      initialLoadTimeoutMinutes: z.number().int().min(1).max(10_080).default(240),
      /**
       * A failure whose class neither the integration's errors nor the event tell (the event detail
       * is undocumented): `notify` (blocked, announced) or `recreate` (as a recreate-class failure).
       */
      onUnknownFailure: z
        .enum(['notify', 'recreate'], { message: 'onUnknownFailure must be notify or recreate' })
        .default('notify'),
    })
    .default({
      recreateIntegration: false,
      maxRecreatesPer24h: 1,
      resyncTimeoutMinutes: 240,
      initialLoadTimeoutMinutes: 240,
      onUnknownFailure: 'notify',
    }),
  notifications: z.strictObject({ snsTopicArn: SnsTopicArn.optional() }).default({}),
});
export type ProjectFile = z.infer<typeof ProjectFile>;

/**
 * Column types are written into DDL unquoted, so they are whitelisted: Redshift's scalar types with
 * their length/precision arguments, nothing else.
 */
const COLUMN_TYPE_PATTERN = new RegExp(
  `^(${[
    'smallint',
    'int2',
    'integer',
    'int',
    'int4',
    'bigint',
    'int8',
    'real',
    'float4',
    'float8',
    'float',
    'double precision',
    'boolean',
    'bool',
    'date',
    'time',
    'timetz',
    'time with(out)? time zone',
    'timestamp',
    'timestamptz',
    'timestamp with(out)? time zone',
    'super',
    'text',
    '(decimal|numeric)(\\(\\s*\\d{1,2}\\s*(,\\s*\\d{1,2}\\s*)?\\))?',
    '(char|character|nchar|bpchar)(\\(\\s*\\d{1,4}\\s*\\))?',
    '(varchar|character varying|nvarchar)(\\(\\s*(\\d{1,5}|max)\\s*\\))?',
    'varbyte(\\(\\s*\\d{1,7}\\s*\\))?',
  ].join('|')})$`,
  'i',
);

export const ColumnType = z
  .string()
  .superRefine((t, ctx) => {
    if (COLUMN_TYPE_PATTERN.test(t.trim())) return;
    // `{ type: numeric(12,2) }` is split at the comma by YAML's flow-mapping rules.
    const split = /^\s*(numeric|decimal)\s*\(\s*\d+\s*$/i.test(t);
    ctx.addIssue({
      code: 'custom',
      message: split
        ? `'${t}' looks cut at a comma: inside { } quote the type, e.g. type: 'numeric(12,2)'`
        : `'${t}' is not a supported Redshift column type (e.g. bigint, varchar(64), numeric(12,2), timestamp)`,
    });
  })
  .transform((t) => t.trim().toLowerCase().replace(/\s+/g, ' '));

/**
 * Tests (dbt's names and shapes), run on the new relation inside the build transaction, before the
 * swap (shared/sql/audits.ts). Every test takes `severity` (error: fail and roll back; warn: record and
 * publish) and, on incremental models, `scope` (table: the merged result; window: the merged-in rows).
 */
const TestOptions = {
  severity: z.enum(['error', 'warn']).default('error'),
  scope: z.enum(['table', 'window']).default('table'),
};
const TestValue = z.union([z.string().max(256), z.number(), z.boolean()], {
  error: 'accepted values are strings, numbers or booleans',
});
/** `ref('model')` or `source('schema', 'table')`, as in the model SQL. */
export const RELATION_REFERENCE =
  /^\s*(?:ref\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\)|source\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*,\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\))\s*$/;

const oneTest = (kinds: readonly string[]) => (test: Record<string, unknown>) =>
  Object.keys(test).filter((k) => test[k] !== undefined).length === 1 &&
  kinds.some((k) => test[k] !== undefined);

const COLUMN_TESTS = ['accepted_values', 'relationships'] as const;
export const ColumnTest = z
  .strictObject({
    accepted_values: z
      .strictObject({ values: z.array(TestValue).min(1).max(1000), ...TestOptions })
      .optional(),
    relationships: z
      .strictObject({
        to: z.string().regex(RELATION_REFERENCE, {
          message: "must be \"ref('<model>')\" or \"source('<schema>', '<table>')\"",
        }),
        field: Identifier,
        ...TestOptions,
      })
      .optional(),
  })
  .refine(oneTest(COLUMN_TESTS), { message: `a column test is exactly one of: ${COLUMN_TESTS.join(', ')}` });
export type ColumnTest = z.infer<typeof ColumnTest>;

const MODEL_TESTS = ['expression_is_true', 'row_count', 'row_count_change', 'unique'] as const;
export const ModelTest = z
  .strictObject({
    expression_is_true: z
      .union([z.string(), z.strictObject({ expression: z.string(), ...TestOptions })], {
        error: 'expression_is_true is an expression, or { expression: <expression>, severity: … }',
      })
      .optional(),
    row_count: z
      .strictObject({
        min: z.number().int().min(0).optional(),
        max: z.number().int().min(0).optional(),
        ...TestOptions,
      })
      .refine((r) => r.min !== undefined || r.max !== undefined, {
        message: 'row_count needs min, max or both',
      })
      .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
        message: 'row_count min is above max',
      })
      .optional(),
    row_count_change: z
      .strictObject({ max_drop_percent: z.number().min(0).max(100), ...TestOptions })
      .optional(),
    unique: z
      .union(
        [z.array(Identifier).min(1), z.strictObject({ columns: z.array(Identifier).min(1), ...TestOptions })],
        {
          error: 'unique is a list of columns, or { columns: [...], severity: … }',
        },
      )
      .optional(),
  })
  .refine(oneTest(MODEL_TESTS), { message: `a model test is exactly one of: ${MODEL_TESTS.join(', ')}` });
export type ModelTest = z.infer<typeof ModelTest>;

export const ColumnSpec = z.strictObject({
  name: Identifier,
  type: ColumnType,
  not_null: z.boolean().default(false),
  description: z.string().max(1024).optional(),
  tests: z.array(ColumnTest).optional(),
});

/** `auto | even | all | key(<column>)`. */
export const DistSpec = z.string().regex(/^(auto|even|all|key\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\))$/i, {
  message: 'must be auto, even, all or key(<column>)',
});

const ColumnList = z.array(Identifier).min(1);
export const SortSpec = z.union(
  [
    z.literal('auto'),
    ColumnList,
    z.strictObject({ compound: ColumnList }),
    z.strictObject({ interleaved: ColumnList }),
  ],
  { error: 'must be auto, a list of columns, { compound: [...] } or { interleaved: [...] }' },
);

export const IncrementalSpec = z.strictObject({
  strategy: z.literal('merge').default('merge'),
  updated_at: Identifier,
  lookback: Duration.default('0 minutes'),
});

export const Grantee = z
  .string()
  .regex(
    /^((role|group):)?[A-Za-z_][A-Za-z0-9_]*$/,
    'grantees are <user>, role:<role> or group:<group> (letters, digits, _)',
  );

export const ModelFile = z.strictObject({
  description: z.string().max(4096).optional(),
  schema: Identifier.optional(),
  materialized: Materialization.optional(),
  group: GroupName.optional(),
  /** Absent = Redshift's default: DISTSTYLE AUTO for a table; for a materialized view the clause is left out. */
  dist: DistSpec.optional(),
  sort: SortSpec.optional(),
  unique_key: z
    .union([Identifier, z.array(Identifier).min(1)], {
      error: 'must be a column name or a list of column names',
    })
    .optional(),
  incremental: IncrementalSpec.optional(),
  grants: z.strictObject({ select: z.array(Grantee).min(1) }).optional(),
  /** Sources changed but the last build is younger than this: skip (overrides the group's). */
  lag_tolerance: Duration.optional(),
  /**
   * materialized_view only: `AUTO REFRESH YES|NO` (default false). Redshift refreshes MVs over zero-ETL
   * tables automatically since patch 186 (facts §10); part of the definition, so a change re-creates it.
   */
  auto_refresh: z.boolean().optional(),
  columns: z.array(ColumnSpec).min(1, 'declare at least one column'),
  tests: z.array(ModelTest).optional(),
});
export type ModelFile = z.infer<typeof ModelFile>;
