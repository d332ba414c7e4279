import { isManaged, resolveManagedIntegration } from '../integration/managed.js';
import { type IntegrationsPort, integrationIdOf } from '../integration/rds.js';
import type { Manifest } from '../project/manifest.js';
import { BOOKKEEPING_SCHEMA } from '../sql/bookkeeping.js';
import { literal } from '../sql/identifiers.js';
import {
  type BookkeepingStatus,
  bookkeepingStatus,
  describeBookkeepingStatus,
} from '../warehouse/bookkeeping.js';
import type { Row, WarehousePort } from '../warehouse/warehouse.js';

/**
 * `zeo doctor`: what a real deployment needs, checked the way the steps will meet it — through the
 * Data API as the warehouse identity, RDS and Step Functions — one line per check, each failure with
 * its fix. Pure: the caller wires AWS (or the local stack) in.
 */

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface DoctorDeps {
  manifest: Manifest;
  /** The Data API as the warehouse identity (the role every step assumes). */
  warehouse: Pick<WarehousePort, 'query'>;
  integrations: IntegrationsPort;
  /** The deployed state machines' names, or undefined when there is no deployment to look at. */
  stateMachines?: { expected: readonly string[]; list: () => Promise<readonly string[]> };
}

const SETUP_SQL = 'docs/deploy.md "One-time setup SQL"';
const name = 'zeo:doctor';

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function count(rows: Row[]): number {
  const value = rows[0]?.n;
  return typeof value === 'number' ? value : Number(value ?? 0);
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const { manifest, warehouse, integrations } = deps;
  const checks: DoctorCheck[] = [];
  const landing = manifest.project.landing;

  // 1. The integration: exists, is ours, is active.
  let integrationId: string | undefined;
  try {
    const found = await resolveManagedIntegration(integrations, landing.integrationArn);
    if (!found) {
      checks.push({
        name: 'integration',
        ok: false,
        detail: `no integration ${landing.integrationArn}, and none tagged zeo:origin with it`,
        fix: 'set landing.integrationArn in project.yml to the ARN of your zero-ETL integration (aws rds describe-integrations)',
      });
    } else {
      integrationId = integrationIdOf(found.arn);
      const ours = isManaged(found, landing.integrationArn);
      const active = found.status === 'active';
      checks.push({
        name: 'integration',
        ok: ours && active,
        detail: `${found.arn} is ${found.status}${found.arn === landing.integrationArn ? '' : ' (a replacement tagged zeo:origin)'}`,
        ...(active
          ? {}
          : {
              fix:
                found.status === 'failed'
                  ? 'run integration-recovery (zeo run integration-recovery), or see docs/operations.md'
                  : 'wait until it is active (creating, modifying and syncing pass on their own)',
            }),
      });
    }
  } catch (error) {
    checks.push({
      name: 'integration',
      ok: false,
      detail: `DescribeIntegrations failed: ${message(error)}`,
      fix: 'allow rds:DescribeIntegrations on the integration to the identity running this command',
    });
  }

  // 2. The Data API accepts a statement, and the same identity can describe and read it.
  try {
    const rows = await warehouse.query('SELECT 1 AS one', { statementName: `${name}:ping` });
    const ok = rows.length === 1;
    checks.push({
      name: 'data-api',
      ok,
      detail: ok
        ? 'a statement ran and its submitter could describe it and read its result'
        : 'SELECT 1 returned no row',
    });
  } catch (error) {
    checks.push({
      name: 'data-api',
      ok: false,
      detail: message(error),
      fix: 'check warehouse.workgroupName/clusterIdentifier and database in project.yml, and that the warehouse role may run and describe statements (docs/deploy.md "One warehouse identity")',
    });
    for (const skipped of ['superuser', 'integration-tables', 'schemas', 'bookkeeping'])
      checks.push({ name: skipped, ok: false, detail: 'not checked: the Data API check failed' });
    return [...checks, ...(await stateMachineCheck(deps))];
  }

  // AWS-ASSUMPTION: superuser-for-integration-views
  // 3. The warehouse user is a superuser (integration views, CREATE/DROP DATABASE FROM INTEGRATION).
  let user = 'the warehouse user';
  try {
    const rows = await warehouse.query('SELECT usename, usesuper FROM pg_user WHERE usename = current_user', {
      statementName: `${name}:superuser`,
    });
    user = String(rows[0]?.usename ?? user);
    const superuser = rows[0]?.usesuper === true || rows[0]?.usesuper === 't';
    checks.push({
      name: 'superuser',
      ok: superuser,
      detail: `${user} is ${superuser ? '' : 'not '}a superuser`,
      ...(superuser
        ? {}
        : {
            fix: `as an administrator: ALTER USER ${JSON.stringify(user)} CREATEUSER; — it must see the integration views and create and drop the landing database (${SETUP_SQL})`,
          }),
    });
  } catch (error) {
    checks.push({ name: 'superuser', ok: false, detail: message(error), fix: SETUP_SQL });
  }

  // 4. It sees the integration's table states (rows present): superuser-only views.
  try {
    const rows = await warehouse.query(
      `SELECT count(*) AS n FROM svv_integration_table_state${integrationId ? ` WHERE integration_id = ${literal(integrationId)}` : ''}`,
      { statementName: `${name}:table-states` },
    );
    const n = count(rows);
    checks.push({
      name: 'integration-tables',
      ok: n > 0,
      detail: `${n} row(s) in SVV_INTEGRATION_TABLE_STATE for the integration`,
      ...(n > 0
        ? {}
        : {
            fix: `${user} sees no integration table states: make it a superuser (${SETUP_SQL}); if it is one, the integration has not replicated yet or the landing database ${landing.database} is missing`,
          }),
    });
  } catch (error) {
    checks.push({ name: 'integration-tables', ok: false, detail: message(error), fix: SETUP_SQL });
  }

  // 5. It owns the curated schemas and the bookkeeping schema (those that exist yet).
  const schemas = [...new Set([BOOKKEEPING_SCHEMA, ...manifest.models.map((m) => m.schema)])].sort();
  try {
    const rows = await warehouse.query(
      `SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN (${schemas.map(literal).join(', ')})`,
      { statementName: `${name}:schemas` },
    );
    const owners = new Map(rows.map((r) => [String(r.nspname), String(r.owner)]));
    const foreign = [...owners].filter(([, owner]) => owner !== user);
    const missing = schemas.filter((s) => !owners.has(s));
    checks.push({
      name: 'schemas',
      ok: foreign.length === 0,
      detail:
        foreign.length > 0
          ? `owned by another user: ${foreign.map(([s, o]) => `${s} (${o})`).join(', ')}`
          : `${user} owns ${owners.size > 0 ? [...owners.keys()].sort().join(', ') : 'none yet'}${missing.length > 0 ? `; created on first use: ${missing.join(', ')}` : ''}`,
      ...(foreign.length > 0
        ? {
            fix: foreign
              .map(([s]) => `ALTER SCHEMA ${JSON.stringify(s)} OWNER TO ${JSON.stringify(user)};`)
              .join(' '),
          }
        : {}),
    });
  } catch (error) {
    checks.push({ name: 'schemas', ok: false, detail: message(error) });
  }

  // 6. The bookkeeping schema is at the current version.
  try {
    const status: BookkeepingStatus = await bookkeepingStatus(warehouse, { statementName: name });
    checks.push({
      name: 'bookkeeping',
      ok: status.upToDate || status.installed === null,
      detail:
        status.installed === null
          ? `not set up yet: the first step sets up version ${status.current}`
          : describeBookkeepingStatus(status),
      ...(status.upToDate || status.installed === null
        ? {}
        : { fix: 'the next step migrates it; run reconcile once ({}), then check again' }),
    });
  } catch (error) {
    checks.push({ name: 'bookkeeping', ok: false, detail: message(error) });
  }

  return [...checks, ...(await stateMachineCheck(deps))];
}

async function stateMachineCheck(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const machines = deps.stateMachines;
  if (!machines) return [];
  try {
    const found = new Set(await machines.list());
    const missing = machines.expected.filter((m) => !found.has(m));
    return [
      {
        name: 'state-machines',
        ok: missing.length === 0,
        detail:
          missing.length === 0
            ? `all ${machines.expected.length} deployed`
            : `missing: ${missing.join(', ')}`,
        ...(missing.length === 0 ? {} : { fix: 'zeo deploy --stage <stage> (docs/deploy.md)' }),
      },
    ];
  } catch (error) {
    return [
      {
        name: 'state-machines',
        ok: false,
        detail: `ListStateMachines failed: ${message(error)}`,
        fix: 'allow states:ListStateMachines to the identity running this command',
      },
    ];
  }
}
