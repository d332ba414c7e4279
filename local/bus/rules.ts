import { createRequire } from 'node:module';
import type { Manifest } from '../../shared/project/manifest.js';
import { packagePath } from '../../shared/runtime/package-root.js';
import type { LocalEvent } from '../events.js';
import { readServerlessFile } from '../service.js';

/**
 * The EventBridge rules and schedules of serverless.yml, read from the file itself so the local stack
 * triggers exactly what a deployment would: event patterns matched against local events, schedules
 * fired on a (compressed) clock.
 */

export interface LocalRule {
  /** State machine logical id. */
  machine: string;
  kind: 'event' | 'schedule';
  name: string;
  pattern?: Record<string, unknown>;
  expression?: string;
  input?: unknown;
  enabled: boolean;
}

interface ServerlessEvents {
  eventBridge?: { event: Record<string, unknown> };
  schedule?: { name?: string; rate: string[]; input?: unknown; enabled?: boolean };
}

const require = createRequire(import.meta.url);

/**
 * Resolves the two variable forms serverless.yml uses for triggers: params and the config script,
 * whose functions are given the compiled project the local stack runs (as they read the packaged one).
 */
function resolveVariables(value: unknown, params: Record<string, string>, manifest: Manifest): unknown {
  if (typeof value === 'string') {
    const file = /^\$\{file\(\.\/scripts\/serverless-config\.cjs\):(\w+)\}$/.exec(value);
    if (file?.[1]) {
      const config = require('../../scripts/serverless-config.cjs') as Record<
        string,
        (context: undefined, compiled: Manifest) => unknown
      >;
      const fn = config[file[1]];
      if (!fn) throw new Error(`scripts/serverless-config.cjs has no ${file[1]}`);
      return resolveVariables(fn(undefined, manifest), params, manifest);
    }
    return value
      .replace(/\$\{param:(\w+)\}/g, (whole, name: string) => params[name] ?? whole)
      .replace(/\$\{self:service\}/g, params['self:service'] ?? 'service')
      .replace(/\$\{sls:stage\}/g, params['sls:stage'] ?? 'local');
  }
  if (Array.isArray(value)) return value.map((v) => resolveVariables(v, params, manifest));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveVariables(v, params, manifest)]),
    );
  }
  return value;
}

/** The rules and schedules a deployment of `manifest` would have. */
export function loadRules(manifest: Manifest, path = packagePath('serverless.yml')): LocalRule[] {
  const file = readServerlessFile(path);
  // `service:` is the project's deployment prefix, from the config script like the schedules.
  const service = resolveVariables(file.service, {}, manifest);
  const params = {
    ...(file.params?.default ?? {}),
    'self:service': typeof service === 'string' ? service : 'service',
    'sls:stage': 'local',
  };
  const rules: LocalRule[] = [];
  for (const [key, machine] of Object.entries(file.stepFunctions.stateMachines)) {
    const events =
      (resolveVariables(machine.events ?? [], params, manifest) as ServerlessEvents[] | undefined) ?? [];
    events.forEach((event, i) => {
      if (event.eventBridge) {
        rules.push({
          machine: machine.id,
          kind: 'event',
          name: `${key}-event-${i}`,
          pattern: event.eventBridge.event,
          enabled: true,
        });
      }
      if (event.schedule) {
        rules.push({
          machine: machine.id,
          kind: 'schedule',
          name: event.schedule.name ?? `${key}-schedule-${i}`,
          expression: event.schedule.rate[0] ?? '',
          input: event.schedule.input ?? {},
          enabled: event.schedule.enabled !== false,
        });
      }
    });
  }
  return rules;
}

/** EventBridge content matching for the pattern forms the project uses: value lists and nested objects. */
export function matchesPattern(pattern: Record<string, unknown>, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = record[key];
    if (Array.isArray(expected)) {
      const actuals = Array.isArray(actual) ? actual : [actual];
      return actuals.some((a) => expected.includes(a));
    }
    if (expected && typeof expected === 'object')
      return matchesPattern(expected as Record<string, unknown>, actual);
    return false;
  });
}

export function rulesMatching(rules: readonly LocalRule[], event: LocalEvent): LocalRule[] {
  return rules.filter(
    (r) => r.kind === 'event' && r.enabled && r.pattern && matchesPattern(r.pattern, event),
  );
}
