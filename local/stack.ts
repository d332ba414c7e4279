import { WAREHOUSE_ROLE_ENV } from '../shared/aws/warehouse-role.js';
import { type Clock, isManualClock, ManualClock } from './clock.js';
import { LocalDataApi, type LocalDataApiOptions } from './data-api/server.js';
import { EventHub } from './events.js';
import type { LocalEndpoint } from './http.js';
import { LocalIdentities } from './iam/identities.js';
import { LocalRds } from './rds/server.js';
import { LocalSts } from './sts/server.js';
import type { IntegrationSettings } from './warehouse/integration-commands.js';
import { LocalRedshift } from './warehouse/local-redshift.js';
import { type Integration, IntegrationRegistry, type IntegrationTimings } from './zero-etl/integrations.js';
import { type SimulatorTimings, ZeroEtlSimulator } from './zero-etl/simulator.js';
import { AuroraSource, type AuroraSourceOptions } from './zero-etl/source.js';

/**
 * The embedded local stack: a Redshift Data API endpoint and an RDS endpoint on 127.0.0.1, a
 * PGlite warehouse, a PGlite "Aurora" source and the zero-ETL simulator between them, all on one
 * (by default manual) clock and one local event bus. Point the real SDK clients at it with
 * `stack.environment()` / `applyLocalStackEnvironment(stack)`.
 */

export interface LocalStackOptions {
  region?: string;
  account?: string;
  /** Defaults to a ManualClock starting now: simulated time moves only with `simulator.tick(ms)`. */
  clock?: Clock;
  warehouse?: {
    /** The database Data API calls connect to (default `dev`). */
    database?: string;
    /** The Serverless workgroup the Data API accepts (default `analytics`, as in the example project). */
    workgroupName?: string;
    /** A provisioned cluster identifier the Data API accepts too (default `redshift-cluster-1`). */
    clusterIdentifier?: string;
    /** The namespace id in the target ARN integrations must use. */
    namespaceId?: string;
    /** Roles curated grants refer to (default: the example's `reporting_reader`). */
    roles?: readonly string[];
    /**
     * Database superusers (default: the warehouse role's user, as after the setup SQL of docs/deploy.md,
     * and `IAM:local`, the operator key of the CLI and tests). Leave the warehouse user out to play a
     * deployment whose setup SQL was never run.
     */
    superusers?: readonly string[];
  };
  source?: Omit<AuroraSourceOptions, 'region' | 'account'>;
  integrationTimings?: Partial<IntegrationTimings>;
  simulatorTimings?: Partial<SimulatorTimings>;
  dataApi?: Omit<LocalDataApiOptions, 'warehouse' | 'clock' | 'events' | 'region' | 'account'>;
  /** Replicate source changes on every `advance()`. */
  autoReplicate?: boolean;
  /** A real-time driver: every `intervalMs` the simulator advances (by `simulatedMs` on a manual clock). */
  autoAdvance?: { intervalMs: number; simulatedMs?: number };
}

export interface BootstrapOptions {
  integrationName?: string;
  /** Force the integration id (e.g. the UUID of the ARN in a project.yml). */
  integrationId?: string;
  /** Or give the whole ARN; its trailing UUID becomes the id. */
  integrationArn?: string;
  /** The landing database to create FROM INTEGRATION (default `aurora_zeroetl`). */
  landingDatabase?: string;
  settings?: IntegrationSettings;
  dataFilter?: string;
}

export interface BootstrappedIntegration {
  integration: Integration;
  landingDatabase: string;
}

export interface LocalStack {
  region: string;
  account: string;
  clock: Clock;
  /** `http://127.0.0.1:<port>` of the Redshift Data API. */
  dataApiEndpoint: string;
  /** `http://127.0.0.1:<port>` of the RDS API. */
  rdsEndpoint: string;
  /** `http://127.0.0.1:<port>` of STS (AssumeRole of the warehouse role). */
  stsEndpoint: string;
  /** The role every Data API step assumes (serverless.yml's WarehouseRole). */
  warehouseRoleArn: string;
  /** The database user the warehouse role becomes (`IAMR:<role name>`). */
  warehouseDatabaseUser: string;
  /** Who each access key stands for (local STS sessions, and plain keys). */
  identities: LocalIdentities;
  sts: LocalSts;
  /** The Redshift Serverless namespace ARN integrations must target to reach the warehouse. */
  targetArn: string;
  workgroupName: string;
  warehouse: LocalRedshift;
  source: AuroraSource;
  integrations: IntegrationRegistry;
  simulator: ZeroEtlSimulator;
  dataApi: LocalDataApi;
  rds: LocalRds;
  /** The local event bus (`events.log`, `events.onEvent(listener)`). */
  events: EventHub;
  /** Environment for SDK clients: endpoints, region and dummy credentials. */
  environment(): Record<string, string>;
  /**
   * Creates an integration from the source to the warehouse, waits until it is active, creates the
   * landing database FROM INTEGRATION and lets the initial load finish.
   */
  bootstrap(options?: BootstrapOptions): Promise<BootstrappedIntegration>;
  close(): Promise<void>;
}

/** The local stand-in of the stack's WarehouseRole. */
export const LOCAL_WAREHOUSE_ROLE = 'zeo-local-warehouse';
/** The access key of the CLI, of tests and of anything else not running as a step. */
export const OPERATOR_ACCESS_KEY = 'local';

const DEFAULT_NAMESPACE_ID = '0c3d9a2f-6e11-4d7e-9a51-5b2c7c4e1f0a';

const settingsSql = (settings: IntegrationSettings): string => {
  const options: [string, boolean | number | undefined][] = [
    ['QUERY_ALL_STATES', settings.queryAllStates],
    ['REFRESH_INTERVAL', settings.refreshInterval],
    ['ACCEPTINVCHARS', settings.acceptInvChars],
    ['TRUNCATECOLUMNS', settings.truncateColumns],
    ['HISTORY_MODE', settings.historyMode],
    ['AUTO_REMEDIATION', settings.autoRemediation],
  ];
  return options
    .filter((o): o is [string, boolean | number] => o[1] !== undefined)
    .map(([name, value]) =>
      typeof value === 'number' ? `${name} ${value}` : `${name} = ${value ? 'TRUE' : 'FALSE'}`,
    )
    .join(' ');
};

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const clock = options.clock ?? new ManualClock();
  const workgroupName = options.warehouse?.workgroupName ?? 'analytics';
  const targetArn = `arn:aws:redshift-serverless:${region}:${account}:namespace/${options.warehouse?.namespaceId ?? DEFAULT_NAMESPACE_ID}`;
  const events = new EventHub({ account, region });
  const warehouseRoleArn = `arn:aws:iam::${account}:role/${LOCAL_WAREHOUSE_ROLE}`;
  const warehouseDatabaseUser = `IAMR:${LOCAL_WAREHOUSE_ROLE}`;
  const identities = new LocalIdentities(account);
  const sts = new LocalSts(identities, [warehouseRoleArn]);
  // The two PGlite instances start in parallel: startup dominates the stack's start time.
  const [warehouse, source] = await Promise.all([
    LocalRedshift.create({
      database: options.warehouse?.database ?? 'dev',
      clock,
      roles: options.warehouse?.roles ?? ['reporting_reader'],
      superusers: options.warehouse?.superusers ?? [warehouseDatabaseUser, `IAM:${OPERATOR_ACCESS_KEY}`],
    }),
    AuroraSource.create({ ...options.source, region, account }),
  ]);
  const integrations = new IntegrationRegistry({
    clock,
    region,
    account,
    timings: options.integrationTimings ?? {},
  });
  const simulator = new ZeroEtlSimulator({
    warehouse,
    source,
    integrations,
    events,
    clock,
    targetArn,
    timings: options.simulatorTimings ?? {},
    autoReplicate: options.autoReplicate ?? false,
  });
  const dataApi = new LocalDataApi({
    workgroupNames: [workgroupName],
    clusterIdentifiers: [options.warehouse?.clusterIdentifier ?? 'redshift-cluster-1'],
    ...options.dataApi,
    warehouse,
    clock,
    events,
    region,
    account,
    identities,
  });
  const rds = new LocalRds({ integrations, clock, beforeRequest: () => simulator.advance() });
  const endpoints: LocalEndpoint[] = [];
  const [dataApiEndpoint, rdsEndpoint, stsEndpoint] = await Promise.all([
    dataApi.start(),
    rds.start(),
    sts.start(),
  ]);
  endpoints.push(dataApiEndpoint, rdsEndpoint, stsEndpoint);

  let timer: NodeJS.Timeout | undefined;
  if (options.autoAdvance) {
    const { intervalMs, simulatedMs = 0 } = options.autoAdvance;
    let running = false;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      simulator
        .tick(isManualClock(clock) ? simulatedMs : 0)
        .catch((error: unknown) => console.error('local stack: background advance failed', error))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
  }

  const stack: LocalStack = {
    region,
    account,
    clock,
    dataApiEndpoint: dataApiEndpoint.endpoint,
    rdsEndpoint: rdsEndpoint.endpoint,
    stsEndpoint: stsEndpoint.endpoint,
    warehouseRoleArn,
    warehouseDatabaseUser,
    identities,
    sts,
    targetArn,
    workgroupName,
    warehouse,
    source,
    integrations,
    simulator,
    dataApi,
    rds,
    events,
    environment: () => localStackEnvironment(stack),
    bootstrap: (bootstrapOptions) => bootstrap(stack, bootstrapOptions),
    close: async () => {
      if (timer) clearInterval(timer);
      dataApi.clearFaults();
      await Promise.all(endpoints.map((e) => e.close()));
      await dataApi.settle();
      await simulator.settle();
      await Promise.all([warehouse.close(), source.close()]);
    },
  };
  return stack;
}

async function untilActive(stack: LocalStack, integration: Integration): Promise<void> {
  const { clock, simulator, integrations } = stack;
  const deadline = Date.now() + integrations.timings.createMs + 10_000;
  while (integration.status === 'creating') {
    if (isManualClock(clock)) await simulator.tick(integrations.timings.createMs);
    else {
      if (Date.now() > deadline) throw new Error(`integration ${integration.name} did not become active`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await simulator.advance();
    }
  }
  if (integration.status !== 'active')
    throw new Error(`integration ${integration.name} is ${integration.status}`);
}

async function bootstrap(
  stack: LocalStack,
  options: BootstrapOptions = {},
): Promise<BootstrappedIntegration> {
  const id =
    options.integrationId ?? options.integrationArn?.slice(options.integrationArn.lastIndexOf(':') + 1);
  const integration = stack.integrations.create(
    {
      SourceArn: stack.source.clusterArn,
      TargetArn: stack.targetArn,
      IntegrationName: options.integrationName ?? 'shop-zero-etl',
      ...(options.dataFilter === undefined ? {} : { DataFilter: options.dataFilter }),
    },
    id === undefined ? {} : { id },
  );
  await untilActive(stack, integration);
  const landingDatabase = options.landingDatabase ?? 'aurora_zeroetl';
  const settings = settingsSql(options.settings ?? {});
  const outcome = await stack.warehouse.execute({
    database: stack.warehouse.database,
    mode: 'TRANSACTION',
    statements: [
      {
        sql: `CREATE DATABASE "${landingDatabase}" FROM INTEGRATION '${integration.id}' DATABASE "${stack.source.database}"${settings ? ` SET ${settings}` : ''}`,
      },
    ],
  });
  const failure = outcome.statements[0]?.error;
  if (failure) throw new Error(`bootstrap: ${failure}`);
  await stack.simulator.settle();
  if (isManualClock(stack.clock)) await stack.simulator.tick(stack.simulator.timings.initialLoadMs);
  else await stack.simulator.advance();
  return { integration, landingDatabase };
}

/** Environment variables that route the SDK v3 clients to the local endpoints with dummy credentials. */
export function localStackEnvironment(stack: EnvironmentStack): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_REDSHIFT_DATA: stack.dataApiEndpoint,
    AWS_ENDPOINT_URL_RDS: stack.rdsEndpoint,
    ...(stack.stsEndpoint === undefined ? {} : { AWS_ENDPOINT_URL_STS: stack.stsEndpoint }),
    ...(stack.warehouseRoleArn === undefined ? {} : { [WAREHOUSE_ROLE_ENV]: stack.warehouseRoleArn }),
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: OPERATOR_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: OPERATOR_ACCESS_KEY,
  };
}

type EnvironmentStack = Pick<LocalStack, 'dataApiEndpoint' | 'rdsEndpoint' | 'region'> &
  Partial<Pick<LocalStack, 'stsEndpoint' | 'warehouseRoleArn'>>;

/**
 * Sets `localStackEnvironment(stack)` in `process.env` (SDK clients read it when constructed) and
 * returns a function that restores the previous values.
 */
export function applyLocalStackEnvironment(stack: EnvironmentStack): () => void {
  const values = localStackEnvironment(stack);
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
