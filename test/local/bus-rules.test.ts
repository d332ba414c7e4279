import { describe, expect, it } from 'vitest';
import { loadRules } from '../../local/bus/rules.js';

/**
 * The local EventBridge rules are read from serverless.yml itself, so the local stack triggers exactly
 * what a deployment would: the integration-event rule and the watchdog of reconcile, and one schedule
 * per refresh group of the compiled project (scripts/serverless-config.cjs groupSchedules), named after
 * the project's service like the deployed rules (`<service>-<stage>-…`, docs/deploy.md "Names, stages
 * and limits"), with `local` as the stage.
 */
describe('local EventBridge rules (serverless.yml)', () => {
  it("are the deployment's rules, named after the project's service", () => {
    const rules = loadRules();
    expect(rules.map((r) => [r.kind, r.name, r.expression ?? null])).toEqual([
      ['schedule', 'shop-reporting-local-refresh-hourly', 'cron(5 * * * ? *)'],
      ['schedule', 'shop-reporting-local-refresh-nightly', 'cron(0 3 * * ? *)'],
      ['event', 'reconcile-event-0', null],
      ['schedule', 'shop-reporting-local-reconcile-watchdog', 'rate(5 minutes)'],
    ]);
    expect(rules.find((r) => r.name.endsWith('watchdog'))?.input).toEqual({ trigger: 'watchdog' });
  });
});
