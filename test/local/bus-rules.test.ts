import { describe, expect, it } from 'vitest';
import { loadRules } from '../../local/bus/rules.js';
import { compileProject } from '../../shared/project/compile.js';
import { loadProject } from '../../shared/project/load.js';
import { EXAMPLE_PROJECT } from '../../shared/runtime/package-root.js';
import { shopSources, withFiles } from '../helpers/project.js';

/**
 * The local EventBridge rules are read from serverless.yml itself, so the local stack triggers exactly
 * what a deployment would: the integration-event rule and the watchdog of reconcile, and one schedule
 * per refresh group of the compiled project (scripts/serverless-config.cjs groupSchedules), named after
 * the project's service like the deployed rules (`<service>-<stage>-…`, docs/deploy.md "Names, stages
 * and limits"), with `local` as the stage.
 */
describe('local EventBridge rules (serverless.yml)', () => {
  it("are the deployment's rules, named after the project's service", () => {
    const rules = loadRules(loadProject(EXAMPLE_PROJECT));
    expect(rules.map((r) => [r.kind, r.name, r.expression ?? null])).toEqual([
      ['schedule', 'shop-reporting-local-refresh-hourly', 'cron(5 * * * ? *)'],
      ['schedule', 'shop-reporting-local-refresh-nightly', 'cron(0 3 * * ? *)'],
      ['event', 'reconcile-event-0', null],
      ['schedule', 'shop-reporting-local-reconcile-watchdog', 'rate(5 minutes)'],
    ]);
    expect(rules.find((r) => r.name.endsWith('watchdog'))?.input).toEqual({ trigger: 'watchdog' });
  });

  it('follow the project the stack runs, not a packaged or environment manifest', () => {
    const sources = shopSources();
    const other = compileProject(
      withFiles(sources, {
        'project.yml': (sources.projectYml ?? '')
          .replace('name: shop-reporting', 'name: other-reporting')
          .replace('cron(0 3 * * ? *)', 'cron(30 2 * * ? *)'),
      }),
    );
    expect(loadRules(other).flatMap((r) => (r.kind === 'schedule' ? [[r.name, r.expression]] : []))).toEqual([
      ['other-reporting-local-refresh-hourly', 'cron(5 * * * ? *)'],
      ['other-reporting-local-refresh-nightly', 'cron(30 2 * * ? *)'],
      ['other-reporting-local-reconcile-watchdog', 'rate(5 minutes)'],
    ]);
  });
});
