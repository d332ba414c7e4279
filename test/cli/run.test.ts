import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { consoleLink, findStateMachineArn, followExecution } from '../../cli/aws-executions.js';
import { formatReport, reportOfRun } from '../../cli/run-report.js';
import { failureReport } from '../../shared/refresh/failure-report.js';
import { SHOP, zeo } from '../helpers/cli.js';

describe('CLI: zeo run / status on the embedded stack', () => {
  it('runs curated-refresh locally, reports the outcome as JSON and draws the timeline (SVG and Mermaid)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeo-run-'));
    const svg = join(dir, 'timeline.svg');
    const result = await zeo('run', 'curated-refresh', '--local', ...SHOP, '--json', '--timeline', svg);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      status: string;
      output: { counts: Record<string, number> };
    };
    expect(report.status).toBe('SUCCEEDED');
    expect(report.output.counts).toMatchObject({ selected: 11, built: 11, failed: 0 });
    const text = readFileSync(svg, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    for (const model of ['fct_orders', 'region_kpis', 'dim_customers'])
      expect(text).toContain(`<title>${model}: success`);
    const md = join(dir, 'timeline.md');
    const again = await zeo('run', 'curated-refresh', '--local', ...SHOP, '--timeline', md);
    expect(again.code, again.stderr).toBe(0);
    const mermaid = readFileSync(md, 'utf8');
    expect(mermaid.startsWith('```mermaid\ngantt\n')).toBe(true);
    expect(mermaid).toContain('section fct_orders');
  });

  it.each([
    [['--input', '{not json'], /invalid input: not valid JSON/],
    [['--input', '{"fullRefresh":"yes"}'], /invalid input: fullRefresh: Invalid input: expected boolean/],
    [['--input', '{"group":"weekly"}'], /invalid input: group: unknown group 'weekly'/],
  ])('refuses bad input %j with exit 2 before starting anything', async (args, message) => {
    const result = await zeo('run', 'curated-refresh', '--local', ...SHOP, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('refuses --select for other state machines and unknown state machines', async () => {
    const select = await zeo(
      'run',
      'resync-recovery',
      '--local',
      ...SHOP,
      '--select',
      'x',
      '--input',
      '{"tables":["public.orders"]}',
    );
    expect(select.code).toBe(2);
    expect(select.stderr).toMatch(/--select: only applies to curated-refresh/);
    const unknown = await zeo('run', 'nope', '--local', ...SHOP);
    expect(unknown.code).toBe(2);
  });

  it('status --local reports the integration, table states and per-model freshness as JSON', async () => {
    const result = await zeo('status', '--local', ...SHOP, '--json');
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      integration: { status: string };
      tables: { counts: Record<string, number> };
      models: { model: string; lastSuccess: string | null }[];
      running: unknown[];
    };
    expect(report.integration.status).toBe('active');
    expect(report.tables.counts).toEqual({ Synced: 6 });
    expect(report.models).toHaveLength(11);
    expect(report.models.every((m) => m.lastSuccess === null)).toBe(true);
    expect(report.running).toEqual([]);
  });
});

describe('CLI: following executions on AWS (SDK mocked)', () => {
  it('finds the stage state machine across pages, follows until it stops and links the console', async () => {
    const sfn = mockClient(SFNClient);
    const arn =
      'arn:aws:states:eu-west-1:123456789012:stateMachine:zero-etl-orchestrator-prod-curated-refresh';
    sfn
      .on(ListStateMachinesCommand)
      .resolvesOnce({ stateMachines: [], nextToken: 'p2' })
      .resolvesOnce({
        stateMachines: [
          {
            name: 'zero-etl-orchestrator-prod-curated-refresh',
            stateMachineArn: arn,
            type: 'STANDARD',
            creationDate: new Date(),
          },
        ],
      });
    const client = new SFNClient({ region: 'eu-west-1' });
    // A deployment whose project.yml says service: zero-etl-orchestrator.
    expect(
      await findStateMachineArn(
        client,
        { service: 'zero-etl-orchestrator', stage: 'prod' },
        'curated-refresh',
      ),
    ).toBe(arn);
    const execution =
      'arn:aws:states:eu-west-1:123456789012:execution:zero-etl-orchestrator-prod-curated-refresh:run-1';
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        executionArn: execution,
        status: 'RUNNING',
        startDate: new Date(),
        stateMachineArn: arn,
      })
      .resolvesOnce({
        executionArn: execution,
        status: 'SUCCEEDED',
        startDate: new Date(),
        stateMachineArn: arn,
        output: '{"counts":{"built":3}}',
      });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 5,
          timestamp: new Date(),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'PrepareLevel' },
        },
      ],
    });
    const seen: string[] = [];
    const result = await followExecution(client, execution, (state) => seen.push(state), {
      sleep: async () => undefined,
    });
    expect(seen).toEqual(['PrepareLevel']);
    expect(result).toEqual({ status: 'SUCCEEDED', output: { counts: { built: 3 } } });
    expect(consoleLink(execution)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${execution}`,
    );
    sfn.restore();
  });
  it('a failed recovery on AWS: the report of its failed rebuild is read from the failed task cause in the history', async () => {
    const sfn = mockClient(SFNClient);
    const client = new SFNClient({ region: 'eu-west-1' });
    const execution = 'arn:aws:states:eu-west-1:123456789012:execution:shop-dev-resync-recovery:r1';
    const report = failureReport({
      counts: { selected: 2, built: 0, failed: 1, skipped: 1, deferred: 0, missing: 0 },
      failed: [
        { model: 'fct_orders', reason: 'FAILED: ERROR: division by zero\n[statement 5 of 13] INSERT INTO x' },
      ],
      skipped: [{ model: 'region_kpis', reason: 'upstream fct_orders failed' }],
      deferred: [],
      missing: [],
      runLog: "SELECT * FROM zeo.run_log WHERE run_id = 'r1-rebuild'",
    });
    // A failed startExecution.sync:2 task's cause is the child's DescribeExecution, its Cause inside.
    const childCause = JSON.stringify({
      ExecutionArn: `${execution}-rebuild`,
      Status: 'FAILED',
      Error: 'CuratedRefreshFailedError',
      Cause: JSON.stringify(report),
    });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: execution,
      status: 'FAILED',
      startDate: new Date(),
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:shop-dev-resync-recovery',
      error: 'CuratedRefreshFailedError',
      cause: 'The tables are Synced again but the downstream curated refresh failed; see its execution.',
    });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 9,
          timestamp: new Date(),
          type: 'TaskFailed',
          taskFailedEventDetails: {
            resourceType: 'states',
            resource: 'startExecution.sync:2',
            error: 'States.TaskFailed',
            cause: childCause,
          },
        },
      ],
    });
    const result = await followExecution(client, execution, () => undefined, {
      sleep: async () => undefined,
    });
    expect(result?.failedTaskCauses).toEqual([childCause]);
    const found = reportOfRun([
      result ?? {},
      ...(result?.failedTaskCauses ?? []).map((cause) => ({ cause })),
    ]);
    const text = found ? formatReport(found) : '';
    expect(text).toMatch(/^fct_orders +failed +WarehouseStatementError: FAILED: ERROR: division by zero$/m);
    expect(text).toMatch(/^ +in \[statement 5 of 13\] INSERT INTO x$/m);
    expect(text).toMatch(/^region_kpis +skipped +upstream fct_orders failed$/m);
    sfn.restore();
  });
});
