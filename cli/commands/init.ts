import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_PROJECT_DIR } from '../../shared/project/load.js';
import { style } from '../output.js';

/** Same rule as `name` in project.yml (it becomes part of AWS resource names). */
const PROJECT_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const EXAMPLE_MODEL = 'daily_orders';

/** The project's name when it is a valid deployment prefix, else one derived from it. */
function serviceFor(name: string): string {
  return /^[a-z][a-z0-9-]{1,39}$/.test(name) ? name : `zeo-${name}`.slice(0, 40);
}

function projectYml(name: string): string {
  return `# The curated project: what the orchestrator keeps fresh, and where.
# Reference of every field and every validation rule: docs/curated-project.md
# Check it with: zeo validate -p <this folder>

# Lower-case letters, digits and - (at most 40). Part of names in the deployed stack.
name: ${name}
# The deployment prefix (default: name): the stack is <service>-<stage>; two projects with different
# services deploy side by side. A lower-case letter, then 1-39 lower-case letters, digits or -.
service: ${serviceFor(name)}

# Where the curated layer lives: the Redshift database the Data API connects to.
warehouse:
  workgroupName: analytics # Redshift Serverless workgroup; for a provisioned cluster use
  # clusterIdentifier: my-cluster # instead (exactly one of the two), optionally with
  # dbUser: zeo # a database user for temporary credentials (clusters only)
  # workgroupId: 00000000-0000-0000-0000-000000000000 # the workgroup's id (its ARN's end): IAM only on it
  database: dev # the database that holds the curated schemas (and the zeo bookkeeping schema)
  # secretArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:zeo-redshift # Data API credentials
  # from Secrets Manager; without it the Lambda roles authenticate with IAM.

# The zero-ETL landing zone: the read-only Redshift database replicated from Aurora PostgreSQL.
landing:
  database: aurora_zeroetl # the database created with CREATE DATABASE ... FROM INTEGRATION
  integrationArn: arn:aws:rds:us-east-1:123456789012:integration:00000000-0000-0000-0000-000000000000
  sourceDatabase: app # the Aurora PostgreSQL database the integration replicates
  # sourceArn: arn:aws:rds:us-east-1:123456789012:cluster:my-aurora # the Aurora cluster, and
  # targetArn: arn:aws:redshift-serverless:us-east-1:123456789012:namespace/<uuid> # the Redshift
  # namespace: they narrow the IAM permissions of integration recovery (otherwise any cluster/namespace
  # of the account and Region).
  # kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/<uuid> # the integration's customer-managed key, if any:
  # scopes the KMS permissions a recreate needs to that key
  settings: # re-applied to the landing database when integration recovery re-creates it
    queryAllStates: false # true = tables can be queried in any state, not only Synced
    refreshInterval: 60 # seconds between replication cycles (0-432000)
    acceptInvChars: true # replace invalid VARCHAR characters instead of failing the table
    truncateColumns: false # truncate over-long VARCHAR values instead of failing the table
  tables: # the replicated tables models may read with source('schema', 'table'), by schema
    public: [orders]

# Defaults for every model's .yml.
defaults:
  schema: reporting # where curated tables are created (never 'zeo': that schema is the orchestrator's)
  materialized: table # table | incremental | materialized_view

# Refresh groups: one EventBridge schedule each starts a curated refresh of the group's models
# (and of the models without a group that are built from them).
groups:
  daily:
    schedule: "cron(0 6 * * ? *)" # EventBridge rate(...) or cron(...) (6 fields, UTC)
    description: Daily reporting tables
    enabled: true # false keeps the schedule but disables it
    # lag_tolerance: 2 hours # a model whose inputs changed is not rebuilt until its last build is this old

# How a refresh builds.
refresh:
  maxConcurrency: 10 # builds in flight at once across the whole DAG (1-40)
  # leaseTimeoutMinutes: 360 # a build lease older than this is taken over (its holder crashed)

# Recovery from resyncs and failed integrations.
recovery:
  recreateIntegration: false # true = a failed integration is deleted and recreated automatically;
  # false = notify only
  maxRecreatesPer24h: 1 # circuit breaker: recreations allowed in any 24 hours (0-24)
  resyncTimeoutMinutes: 240 # how long resync recovery waits for tables to be Synced again
  initialLoadTimeoutMinutes: 240 # how long integration recovery waits for the initial load
  # onUnknownFailure: notify # a failure whose class is unknown: notify (default) or recreate

# Notifications: events always go to the default EventBridge bus (source zero-etl-orchestrator);
# warnings and errors also go to this SNS topic when set.
notifications:
  # snsTopicArn: arn:aws:sns:us-east-1:123456789012:zeo-alerts
  {}
`;
}

const EXAMPLE_SQL = `-- ${EXAMPLE_MODEL}: orders and revenue per day, read straight from the zero-ETL landing zone.
-- One SELECT without a semicolon. source(schema, table) in double braces renders the landing
-- table's quoted three-part name; ref(model) reads another curated model and orders the builds.
select cast(created_at as date) as order_date,
       count(*) as orders,
       sum(amount) as revenue
from {{ source('public', 'orders') }}
group by cast(created_at as date)
`;

const EXAMPLE_YML = `# ${EXAMPLE_MODEL}: the physical design and the contract of the curated table.
description: Orders and revenue per day.
# schema: reporting # default: defaults.schema in project.yml
materialized: table # table | incremental | materialized_view (default: defaults.materialized)
group: daily # refreshed by the daily schedule; a model without a group follows its upstream models
dist: all # auto | even | all | key(<column>): a small table is copied to every node
sort: [order_date] # compound sort key; or { interleaved: [...] }, or auto
unique_key: [order_date] # checked in every build: duplicates roll the whole build back
# incremental: { updated_at: order_date, lookback: 3 days } # materialized: incremental only: MERGE the recent rows
# grants: { select: [role:reporting_reader] } # re-applied on every rebuild
# auto_refresh: false # materialized_view only: AUTO REFRESH YES|NO (views take no dist/sort auto, no interleaved)
# lag_tolerance: 30 minutes # overrides the group's lag_tolerance
columns: # the contract: declared types and NOT NULL, matched to the SELECT's columns by name
  - { name: order_date, type: date, not_null: true }
  - { name: orders, type: bigint, not_null: true }
  - { name: revenue, type: "numeric(18,2)" }
# A column takes tests too: tests: [ { accepted_values: { values: [...] } } ] or
# [ { relationships: { to: "ref('<model>')", field: <column> } } ]
tests: # run on the new rows before the table is published; severity: error (default) rolls the build back, warn records and publishes
  - { row_count: { min: 1 } }
  - { expression_is_true: "orders > 0" }
  # - { row_count_change: { max_drop_percent: 20 } } # against the table being replaced
  # - { unique: [order_date] }
`;

/** A valid project name from the folder (`acme/curated` → `acme`), or a neutral one. */
export function defaultProjectName(dir: string): string {
  const sanitize = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^[^a-z]+/, '')
      .slice(0, 40)
      .replace(/-+$/, '');
  const folder = resolve(dir);
  for (const candidate of [basename(folder), basename(dirname(folder))]) {
    const name = sanitize(candidate);
    if (PROJECT_NAME.test(name) && name !== 'curated') return name;
  }
  return 'curated-project';
}

function refuse(message: string, hint: string): void {
  process.stderr.write(`${style.red('error:')} ${message}\n${style.dim(`hint: ${hint}`)}\n`);
  process.exitCode = 1;
}

/** zeo init: a project that validates as it is, to be edited from there. Never overwrites a file. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('scaffold a curated project (commented project.yml, one example model) that validates')
    .argument('[dir]', 'folder to create the project in', DEFAULT_PROJECT_DIR)
    .option('-n, --name <name>', 'project name (default: from the folder name)')
    .addHelpText('after', '\nExamples:\n  $ zeo init\n  $ zeo init analytics/curated --name acme-reporting')
    .action((dir: string, opts: { name?: string }, command: Command) => {
      if (opts.name !== undefined && !PROJECT_NAME.test(opts.name)) {
        command.error(
          `error: --name '${opts.name}' is not a project name (lower-case letters, digits and -, starting with a letter, at most 40)`,
          { exitCode: 2, code: 'zeo.invalidName' },
        );
      }
      if (existsSync(dir) && !statSync(dir).isDirectory()) {
        return refuse(`${dir} exists and is not a folder`, "pass a folder to 'zeo init'");
      }
      const files: [string, string][] = [
        [join(dir, 'project.yml'), projectYml(opts.name ?? defaultProjectName(dir))],
        [join(dir, 'models', `${EXAMPLE_MODEL}.sql`), EXAMPLE_SQL],
        [join(dir, 'models', `${EXAMPLE_MODEL}.yml`), EXAMPLE_YML],
      ];
      const existing = files.map(([path]) => path).filter((path) => existsSync(path));
      const first = existing[0];
      if (first !== undefined) {
        // project.yml comes first: when it exists, that is the one thing worth saying.
        return refuse(
          `${first} already exists: zeo init never overwrites a project`,
          `run 'zeo validate -p ${dir}' to check the existing project, or 'zeo init <another folder>'`,
        );
      }
      for (const [path, text] of files) {
        mkdirSync(dirname(path), { recursive: true });
        // 'wx' fails instead of overwriting, should a file appear since the check above.
        writeFileSync(path, text, { flag: 'wx' });
      }
      const shown = relative(process.cwd(), resolve(dir)) || '.';
      console.log(`${style.green('✓')} created a curated project in ${shown}/`);
      for (const [path] of files) console.log(`  ${relative(process.cwd(), resolve(path))}`);
      console.log(
        [
          'next:',
          `  1. edit ${join(shown, 'project.yml')}: warehouse, landing (integrationArn, database, tables), groups`,
          `  2. zeo validate -p ${shown}`,
          `  3. zeo plan -p ${shown}   and   zeo graph -p ${shown}`,
          '  docs/curated-project.md describes every field and rule',
        ].join('\n'),
      );
    });
}
