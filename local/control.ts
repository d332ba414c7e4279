import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { indexManifest } from '../shared/graph/plan.js';
import { integrationsFor } from '../shared/runtime/wiring/integrations.js';
import { warehouseFor } from '../shared/runtime/wiring/warehouse.js';
import { collectStatus, type StatusReport } from '../shared/status/report.js';
import type { LocalOrchestrator } from './app.js';
import { type LocalEndpoint, serveLocal } from './http.js';

/**
 * The control endpoint of a long-running `zeo local start`: other `zeo` processes find it through
 * `.zeo/local.json` and use it to inject faults, start executions, read status and stop the stack.
 */

/** Where a running stack leaves its endpoints (ZEO_LOCAL_STATE overrides, e.g. for tests). */
const controlFile = () => process.env.ZEO_LOCAL_STATE || '.zeo/local.json';

export interface ControlInfo {
  control: string;
  dataApi: string;
  rds: string;
  pid: number;
  /** The curated project folder the stack runs (absolute), so `zeo run --local -p X` can refuse another. */
  project: string;
  /** The `--source` file the stack loaded (absolute), or null for the shop example. */
  source: string | null;
}

export type Injection =
  | { kind: 'resync'; table: string }
  | { kind: 'fail'; code: string }
  | { kind: 'ddl'; sql: string };

export async function startControlServer(app: LocalOrchestrator, onStop: () => void): Promise<LocalEndpoint> {
  const json = (status: number, value: unknown) => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify(value),
  });
  return serveLocal(async ({ method, url, body }) => {
    const request = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (method === 'POST' && url === '/inject') {
      const injection = request as unknown as Injection;
      if (injection.kind === 'resync') {
        const [schema = '', table = ''] = injection.table.split('.');
        await app.stack.simulator.resyncTable(schema, table);
      } else if (injection.kind === 'fail') {
        await app.stack.simulator.failIntegration(injection.code);
      } else if (injection.kind === 'ddl') {
        return json(200, { resyncing: await app.stack.simulator.applySourceDdl(injection.sql) });
      } else {
        return json(400, { message: 'kind must be resync, fail or ddl' });
      }
      return json(200, { injected: injection.kind });
    }
    if (method === 'POST' && url === '/run') {
      const record = app.start(
        String(request.stateMachine),
        request.input ?? {},
        typeof request.name === 'string' ? request.name : undefined,
      );
      await record.done;
      return json(200, {
        name: record.name,
        status: record.status,
        output: record.output ?? null,
        error: record.error ?? null,
        cause: record.cause ?? null,
        // What `zeo run` reads the failure report from: this run and the executions it started.
        executions: app.sfn
          .runTree(record)
          .map((e) => ({ output: e.output ?? null, cause: e.cause ?? null })),
      });
    }
    if (method === 'POST' && url === '/advance') {
      const fired = await app.advance(Number(request.minutes ?? 5) * 60_000);
      await app.settle();
      return json(200, { fired: fired.map((f) => f.name) });
    }
    if (method === 'POST' && url === '/query') {
      // Through the Data API like any client: the same strictness, three-part names included.
      const index = indexManifest(app.manifest);
      try {
        const rows = await warehouseFor(index).query(String(request.sql ?? ''), {
          statementName: 'zeo:local-query',
        });
        return json(200, { rows });
      } catch (error) {
        return json(400, { message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (method === 'GET' && url === '/status') {
      const report = await localStatus(app);
      return json(200, report);
    }
    if (method === 'GET' && url === '/doctor') {
      const { localDoctor } = await import('./doctor.js');
      return json(200, await localDoctor(app));
    }
    if (method === 'POST' && url === '/stop') {
      setImmediate(onStop);
      return json(200, { stopping: true });
    }
    return json(404, { message: `no ${method} ${url}` });
  });
}

/** The status report of a local orchestrator (the same read model `zeo status` uses on AWS). */
export function localStatus(app: LocalOrchestrator): Promise<StatusReport> {
  const index = indexManifest(app.manifest);
  return collectStatus({
    index,
    warehouse: warehouseFor(index),
    integrations: integrationsFor(),
    running: async () =>
      app.sfn.executions
        .filter((e) => e.status === 'RUNNING')
        .map((e) => ({ stateMachine: e.machine, name: e.name, started: e.startedAt.toISOString() })),
    now: () => app.stack.clock.now(),
  });
}

export function writeControlInfo(info: ControlInfo): void {
  mkdirSync(dirname(controlFile()), { recursive: true });
  writeFileSync(controlFile(), JSON.stringify(info, null, 2));
}

export function removeControlInfo(): void {
  rmSync(controlFile(), { force: true });
}

/** The running local stack's control endpoint, or undefined when none is running. */
export async function findRunningStack(): Promise<ControlInfo | undefined> {
  if (!existsSync(controlFile())) return undefined;
  const info = JSON.parse(readFileSync(controlFile(), 'utf8')) as ControlInfo;
  try {
    const response = await fetch(`${info.control}/status`, { signal: AbortSignal.timeout(20_000) });
    return response.ok ? info : undefined;
  } catch {
    return undefined;
  }
}

export async function callControl<T>(
  info: ControlInfo,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${info.control}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const value = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(`local stack: ${value.message ?? response.status}`);
  return value;
}
