import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalOrchestrator, startLocalOrchestrator } from '../../../local/app.js';
import type { StatementHold } from '../../../local/data-api/faults.js';
import { loadDefinitions } from '../../../local/sfn/definitions.js';
import { localFunctions } from '../../../local/sfn/functions.js';
import { type ExecutionRecord, type LocalFunction, LocalStepFunctions } from '../../../local/sfn/runner.js';
import type { ExecutionControl, ExecutionRequest } from '../../../local/warehouse/local-redshift.js';
import { compileProject } from '../../../shared/project/compile.js';
import { readProjectSources } from '../../../shared/project/load.js';
import type { ManifestModel } from '../../../shared/project/manifest.js';
import { oracleSql } from '../../helpers/oracle.js';
import { REPO_ROOT } from './results.js';

/** Helpers for driving the embedded local stack in the reliability suite. */

export type Row = Record<string, unknown>;

/**
 * The shop project cut down to six models (a table with grants, a dimension per group, order lines, an
 * incremental model, a materialized view and the fact table that reads them): every refresh, recovery
 * and full rebuild of the suite is about half as long, and every kind of build is still there.
 */
export const SMALL_MODELS = [
  'dim_customers',
  'dim_products',
  'stg_order_lines',
  'stg_payments',
  'fct_orders',
  'mv_payment_methods',
];

/** Scratch folders of this test process, removed when it exits. */
const scratch: string[] = [];
process.once('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

let smallDir: string | undefined;
export function smallProjectDir(): string {
  if (smallDir) return smallDir;
  const source = join(REPO_ROOT, 'examples/shop/curated');
  const dir = scratchDir('zeo-small-project-');
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'project.yml'), readFileSync(join(source, 'project.yml'), 'utf8'));
  for (const model of SMALL_MODELS) {
    for (const ext of ['sql', 'yml']) {
      writeFileSync(
        join(dir, 'models', `${model}.${ext}`),
        readFileSync(join(source, 'models', `${model}.${ext}`), 'utf8'),
      );
    }
  }
  smallDir = dir;
  return dir;
}

/**
 * Points the Lambda handlers at a variant of the app's project (project.yml edited), as if that had
 * been packaged; returns the function that points them back.
 */
/**
 * Compiles a variant of the project in `projectDir` (its project.yml edited) and deploys it to `app`:
 * its handlers run with it from now on. Returns a function that puts the previous project back.
 */
export function useProjectVariant(
  app: Pick<LocalOrchestrator, 'deploy'>,
  projectDir: string,
  edit: (projectYml: string) => string,
): () => void {
  const sources = readProjectSources(projectDir);
  return app.deploy(compileProject({ ...sources, projectYml: edit(sources.projectYml ?? '') }));
}

export async function startApp(
  initialRun = 'reliability-initial',
  projectDir = smallProjectDir(),
): Promise<LocalOrchestrator> {
  const app = await startLocalOrchestrator({ projectDir });
  const initial = app.start('curated-refresh', { fullRefresh: true }, initialRun);
  await initial.done;
  if (initial.status !== 'SUCCEEDED') {
    await app.close();
    throw new Error(`initial refresh failed: ${initial.error} ${initial.cause}`);
  }
  return app;
}

export const rows = (app: LocalOrchestrator, sql: string): Promise<Row[]> =>
  app.stack.warehouse.query(sql) as Promise<Row[]>;

export interface Checksum {
  n: number;
  sum: string | null;
}

const CHECKSUM = (inner: string) =>
  `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM (${inner}) AS t`;

export function modelOf(app: LocalOrchestrator, name: string): ManifestModel {
  const model = app.manifest.models.find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  return model;
}

/** Row count and checksum of a curated relation; undefined when the relation does not exist. */
export async function checksum(app: LocalOrchestrator, name: string): Promise<Checksum | undefined> {
  const model = modelOf(app, name);
  const exists = await rows(app, `SELECT to_regclass('"${model.schema}"."${model.name}"') IS NOT NULL AS ok`);
  if (exists[0]?.ok !== true) return undefined;
  const columns = model.columns.map((c) => `"${c.name}"`).join(', ');
  const [row] = await rows(app, CHECKSUM(`SELECT ${columns} FROM "${model.schema}"."${model.name}"`));
  return {
    n: Number(row?.n ?? 0),
    sum: row?.sum === null || row?.sum === undefined ? null : String(row.sum),
  };
}

/** What the model's SQL gives on the Aurora source right now (independent oracle), as a checksum. */
export async function oracleChecksum(app: LocalOrchestrator, name: string): Promise<Checksum> {
  const [row] = await app.stack.source.query<Row>(CHECKSUM(oracleSql(app.manifest, modelOf(app, name))));
  return {
    n: Number(row?.n ?? 0),
    sum: row?.sum === null || row?.sum === undefined ? null : String(row.sum),
  };
}

/**
 * What a build of the model gives from what it reads right now (its compiled SQL over the landing zone
 * and the current upstream tables, cast to the declared columns): a table equal to this holds one
 * consistent, complete build.
 */
export async function selfChecksum(app: LocalOrchestrator, name: string): Promise<Checksum> {
  const m = modelOf(app, name);
  const casts = m.columns.map((c) => `CAST("zeo_model"."${c.name}" AS ${c.type}) AS "${c.name}"`).join(', ');
  const [row] = await rows(app, CHECKSUM(`SELECT ${casts} FROM (${m.sql}) AS "zeo_model"`));
  return {
    n: Number(row?.n ?? 0),
    sum: row?.sum === null || row?.sum === undefined ? null : String(row.sum),
  };
}

/** Work tables of the table swap (or merge) that survived: `__zeo_new`, `__zeo_old`, `__zeo_delta`. */
export async function leftovers(app: LocalOrchestrator): Promise<string[]> {
  const found = await rows(
    app,
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname LIKE '%\\_\\_zeo\\_%' AND c.relkind IN ('r', 'm', 'v', 'p') ORDER BY 1`,
  );
  return found.map((r) => String(r.name));
}

export interface LoggedOutcome {
  model: string;
  status: string;
  error: string | null;
}

export async function runLog(
  app: LocalOrchestrator,
  runId: string,
  model?: string,
): Promise<LoggedOutcome[]> {
  const filter = model === undefined ? '' : ` AND model = '${model}'`;
  const found = await rows(
    app,
    `SELECT model, status, error FROM zeo.run_log WHERE run_id = '${runId}'${filter} ORDER BY started_at, status`,
  );
  return found.map((r) => ({
    model: String(r.model),
    status: String(r.status),
    error: r.error === null || r.error === undefined ? null : String(r.error),
  }));
}

let nextSourceKey = 50_000;

/**
 * Changes the Aurora source so that every curated model's output changes (a new customer with an
 * order, order lines, a payment and a shipment), and replicates it to the landing zone. A build after
 * this produces rows different from the table's current ones, so "the table holds exactly its previous
 * rows" after a failed build is a real check, not a tautology.
 */
export async function changeSource(app: LocalOrchestrator): Promise<number> {
  const k = nextSourceKey++;
  const day = k - 50_000;
  await app.stack.source.exec(`
    INSERT INTO public.customers VALUES (${k}, 'c${k}@example.com', 'Customer ${k}', 'north', 'retail',
      TIMESTAMP '2026-05-01 00:00:00' + INTERVAL '${day} hours', TIMESTAMP '2026-05-01 00:00:00' + INTERVAL '${day} hours');
    INSERT INTO public.orders VALUES (${k}, ${k}, 'placed', TIMESTAMP '2026-05-01 08:00:00' + INTERVAL '${day} days',
      TIMESTAMP '2026-05-01 08:00:00' + INTERVAL '${day} days');
    INSERT INTO public.order_items VALUES (${k}, 1, 3, 2, 12.50), (${k}, 2, 7, 1, 99.99);
    INSERT INTO public.payments VALUES (${k}, ${k}, 'card', 124.99, 'captured',
      TIMESTAMP '2026-05-01 08:05:00' + INTERVAL '${day} days', TIMESTAMP '2026-05-01 08:05:00' + INTERVAL '${day} days');
    INSERT INTO public.shipments VALUES (${k}, ${k}, 'dhl', TIMESTAMP '2026-05-02 08:00:00' + INTERVAL '${day} days', NULL);`);
  // Replication (continuous on the local stack) applies it with the next step of simulated time. The
  // simulator's step, not `app.advance`: that one also fires the EventBridge schedules due in that
  // second (the hourly refresh at HH:05, the nightly one at 03:00, the watchdog every 5 minutes), and
  // a scheduled refresh would run alongside whatever the caller runs next — and might build its model
  // first. Simulated time starts at the wall clock, so whether a schedule fell due here depended on
  // when the test ran.
  await app.stack.simulator.tick(1000);
  await app.stack.simulator.settle();
  const missing = await missingSourceChange(app, k);
  if (missing.length > 0)
    throw new Error(`changeSource: source change ${k} did not reach the landing zone: ${missing.join(', ')}`);
  return k;
}

/** Landing tables that lack a row of source change `k` (empty when it has been replicated). */
async function missingSourceChange(app: LocalOrchestrator, k: number): Promise<string[]> {
  const landing = app.manifest.project.landing.database;
  const keys: [string, string][] = [
    ['customers', 'customer_id'],
    ['orders', 'order_id'],
    ['order_items', 'order_id'],
    ['payments', 'payment_id'],
    ['shipments', 'shipment_id'],
  ];
  // One query for the five tables: a row per table that lacks the change.
  const found = await rows(
    app,
    keys
      .map(
        ([table, key]) =>
          `SELECT 'public.${table}' AS "missing" WHERE NOT EXISTS (SELECT 1 FROM "${landing}"."public"."${table}" WHERE "${key}" = ${k})`,
      )
      .join(' UNION ALL '),
  );
  return found.map((r) => String(r.missing));
}

/** Runs a state machine execution to its end on the orchestrator and returns it. */
export async function run(
  app: LocalOrchestrator,
  machine: string,
  input: unknown,
  name: string,
): Promise<ExecutionRecord> {
  const record = app.start(machine, input, name);
  await record.done;
  await app.settle();
  return record;
}

/** Error names an execution may legitimately end with: the `Error` of every Fail state in the ASL files. */
export function definedFailures(): Set<string> {
  const names = new Set<string>();
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const state of Object.values(states)) {
      if (state.Type === 'Fail' && typeof state.Error === 'string') names.add(state.Error);
      for (const key of ['ItemProcessor', 'Iterator'] as const) {
        const nested = state[key] as { States?: Record<string, Record<string, unknown>> } | undefined;
        if (nested?.States) visit(nested.States);
      }
    }
  };
  const dir = join(REPO_ROOT, 'statemachines');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.asl.json'))) {
    const definition = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      States: Record<string, Record<string, unknown>>;
    };
    visit(definition.States);
  }
  return names;
}

/** SUCCEEDED, or FAILED with an error one of the ASL Fail states defines: anything else is unhandled. */
export function isDefinedOutcome(record: ExecutionRecord, defined = definedFailures()): boolean {
  return record.status === 'SUCCEEDED' || (record.status === 'FAILED' && defined.has(record.error ?? ''));
}

export class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * A second local Step Functions runner over the same stack, with some Lambda functions replaced
 * (crashes, service errors) and optionally extra work on every Wait state. The real handlers stay
 * behind every function that is not replaced.
 */
export function customRunner(
  app: LocalOrchestrator,
  overrides: Record<string, (payload: unknown, real: LocalFunction) => Promise<unknown>>,
  onWait?: (seconds: number) => Promise<void>,
): LocalStepFunctions {
  const real = localFunctions(undefined, app.wiring);
  const functions: Record<string, LocalFunction> = { ...real };
  for (const [key, override] of Object.entries(overrides)) {
    const original = real[key];
    if (!original) throw new Error(`no local function ${key}`);
    functions[key] = (payload) => override(payload, original);
  }
  return new LocalStepFunctions({
    definitions: loadDefinitions(join(REPO_ROOT, 'statemachines')),
    functions,
    region: app.stack.region,
    account: app.stack.account,
    onWait: async (seconds) => {
      await app.stack.simulator.tick(seconds * 1000);
      await onWait?.(seconds);
    },
  });
}

/** Waits for every execution of a runner (children included). */
export async function settleRunner(sfn: LocalStepFunctions): Promise<void> {
  for (let seen = -1; seen !== sfn.executions.length; ) {
    seen = sfn.executions.length;
    await Promise.all(sfn.executions.map((e) => e.done));
  }
}

/** Names of the states an execution entered, in order (nested Map states included). */
export function statesEntered(record: ExecutionRecord): string[] {
  return record.events.flatMap((e) => (e.type === 'StateEntered' && e.state ? [e.state.name] : []));
}

/** Lambda task attempts of a state: its entries plus its retries. */
export function attemptsOf(record: ExecutionRecord, state: string): number {
  return record.events.filter(
    (e) => (e.type === 'StateEntered' || e.type === 'StateRetried') && e.state?.name === state,
  ).length;
}

// ---- Faults inside a running batch -------------------------------------------------------------

export interface StatementFault {
  /** Which Data API request to hit (by its statements). */
  matches(sqls: readonly string[]): boolean;
  /** 0-based position of the statement that fails (or during which the operator aborts). */
  position: number;
  kind: 'fail' | 'abort';
}

export const INJECTED_MARKER = 'zeo-reliability injected failure';

export interface Armed {
  fault: StatementFault;
  /** A request matching the fault reached the warehouse and the fault was applied to it. */
  fired: boolean;
  /** The Data API id of the matching batch, taken from the Data API's own record of it. */
  statementId?: string;
  /** `abort`: the cancellation was requested as statement `position` started, on that very batch. */
  abortDelivered?: boolean;
  /** Why the fault could not be applied as armed (for the test's failure message). */
  problem?: string;
  /** Sees every batch the Data API is about to run (a hold that never holds). */
  observer: StatementHold;
}

const armed = new WeakMap<LocalOrchestrator, { current?: Armed }>();

/**
 * Arms a fault at one statement position of the next matching request the warehouse runs. `fail`
 * replaces that statement by one that raises (the statements before it have run; the error text
 * carries a marker); `abort` lets the statement run and has the operator cancel the statement
 * (CancelStatement) meanwhile, which takes effect at the next statement boundary.
 *
 * The statement to cancel is named by the Data API itself: right before it runs a batch, the Data API
 * shows its record (id and SQL) to every hold, and an observer that never holds keeps the id of the
 * first matching one. Every build batch starts with the same `CREATE SCHEMA IF NOT EXISTS`, so a
 * lookup of the request's SQL in the statement log could name another batch.
 */
export function armStatementFault(app: LocalOrchestrator, fault: StatementFault): Armed {
  let slot = armed.get(app);
  if (!slot) {
    const hooks: { current?: Armed } = {};
    slot = hooks;
    armed.set(app, hooks);
    const warehouse = app.stack.warehouse;
    const original = warehouse.execute.bind(warehouse);
    warehouse.execute = (request: ExecutionRequest, control: ExecutionControl = {}) => {
      const current = hooks.current;
      const sqls = request.statements.map((s) => s.sql);
      if (!current || current.fired || !current.fault.matches(sqls)) return original(request, control);
      current.fired = true;
      const k = current.fault.position;
      if (current.fault.kind === 'fail') {
        const statements = request.statements.map((s, i) =>
          i === k ? { sql: `SELECT CAST('${INJECTED_MARKER} at statement ${k + 1}' AS INTEGER)` } : s,
        );
        return original({ ...request, statements }, control);
      }
      const id = current.statementId;
      if (id === undefined) current.problem = 'the Data API showed no matching batch before it ran';
      return original(request, {
        ...control,
        onStatementStart: (index, at) => {
          control.onStatementStart?.(index, at);
          if (index !== k || id === undefined) return;
          const accepted = app.stack.dataApi.abort(id);
          // The running request reports the cancellation only if it was this batch that was cancelled.
          current.abortDelivered = accepted && control.isAborted?.() === true;
          if (!current.abortDelivered) {
            current.problem = `CancelStatement of ${id} at statement ${k + 1}: accepted=${accepted}, running batch aborted=${control.isAborted?.() === true}`;
          }
        },
      });
    };
  }
  slot.current?.observer.release();
  const entry: Armed = {
    fault,
    fired: false,
    observer: app.stack.dataApi.hold((statement) => {
      if (fault.matches(statement.sqls)) {
        if (entry.statementId === undefined) entry.statementId = statement.id;
        else if (entry.statementId !== statement.id)
          entry.problem ??= `a second matching batch ${statement.id} after ${entry.statementId}`;
      }
      return false;
    }),
  };
  slot.current = entry;
  return entry;
}

/** What an armed fault did, in a line: for the message of a test whose fault did not fire. */
export function describeArmed(a: Armed): string {
  return [
    a.fired ? 'a matching batch reached the warehouse' : 'no matching batch reached the warehouse',
    `statement ${a.statementId ?? 'unknown'}`,
    ...(a.fault.kind === 'abort' ? [`abort delivered=${a.abortDelivered === true}`] : []),
    ...(a.problem ? [a.problem] : []),
  ].join(', ');
}

export function disarm(app: LocalOrchestrator): void {
  const slot = armed.get(app);
  slot?.current?.observer.release();
  if (slot) delete slot.current;
}

/** A short label for a build statement: what it does and to what. */
export function statementLabel(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  const strip = (s: string) => s.replaceAll('"', '');
  const patterns: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^CREATE SCHEMA IF NOT EXISTS (\S+)/i, (m) => `create schema ${strip(m[1] ?? '')}`],
    [/^DROP TABLE IF EXISTS (\S+)/i, (m) => `drop leftover ${strip(m[1] ?? '')}`],
    [/^DROP MATERIALIZED VIEW IF EXISTS (\S+)/i, (m) => `drop view ${strip(m[1] ?? '')}`],
    [/^CREATE TEMP TABLE (\S+)/i, (m) => `create ${strip(m[1] ?? '')}`],
    [/^CREATE TABLE IF NOT EXISTS (\S+) \(LIKE/i, (m) => `placeholder ${strip(m[1] ?? '')}`],
    [/^CREATE TABLE (\S+)/i, (m) => `create ${strip(m[1] ?? '')}`],
    [/^CREATE MATERIALIZED VIEW (\S+)/i, (m) => `create view ${strip(m[1] ?? '')}`],
    [/^REFRESH MATERIALIZED VIEW (\S+)/i, (m) => `refresh view ${strip(m[1] ?? '')}`],
    [/^INSERT INTO (\S+)/i, (m) => `insert into ${strip(m[1] ?? '')}`],
    [/^CALL (\S+?)\(/i, (m) => `uniqueness check ${strip(m[1] ?? '')}`],
    [/^GRANT .* ON (\S+) TO/i, (m) => `grant on ${strip(m[1] ?? '')}`],
    [/^ALTER TABLE (\S+) RENAME TO (\S+)/i, (m) => `rename ${strip(m[1] ?? '')} → ${strip(m[2] ?? '')}`],
    [/^DROP TABLE (\S+)/i, (m) => `drop ${strip(m[1] ?? '')}`],
    [/^MERGE INTO (\S+)/i, (m) => `merge into ${strip(m[1] ?? '')}`],
    [/^DELETE FROM (\S+)/i, (m) => `delete from ${strip(m[1] ?? '')}`],
    [/^LOCK (\S+)/i, (m) => `lock ${strip(m[1] ?? '')}`],
  ];
  for (const [pattern, label] of patterns) {
    const m = pattern.exec(text);
    if (m) return label(m);
  }
  return text.slice(0, 40);
}
