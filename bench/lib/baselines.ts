import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import '../../local/polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../local/sfn/definitions.js';
import { historyWeight, stateIndex } from '../../local/sfn/history.js';
import type { EventLog } from '../../local/sfn/runner.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { LATENCY_MS } from './assumptions.js';
import type { RefreshBench } from './simulate-refresh.js';

/**
 * The usual approach, implemented honestly on the same DAG, the same modeled SQL durations, the same
 * modeled Data API and the same virtual clock as our runs:
 *
 * - `sequential`: the public samples' state machine (bench/baseline/sequential-poll.asl.json): one
 *   ExecuteStatement per model through the AWS SDK integration, a fixed 10 s Wait, DescribeStatement,
 *   Choice; models one at a time in dependency order. Run in aws-local-stepfunctions like ours.
 * - `threads`: dbt-like — a model starts as soon as all its upstream models are built, at most
 *   `threads` at once, each polled every 10 s (dbt itself blocks on its connection instead).
 */

export interface BaselineRun {
  makespanMs: number;
  transitions: number;
  historyEvents: number;
  dataApiCalls: number;
  polls: number;
}

const SEQUENTIAL_ASL = fileURLToPath(new URL('../baseline/sequential-poll.asl.json', import.meta.url));

/** Models in dependency order (the manifest's levels, flattened). */
export const topologicalOrder = (manifest: Manifest): string[] => manifest.levels.flat();

export async function sequentialBaseline(bench: RefreshBench): Promise<BaselineRun> {
  const definition = JSON.parse(readFileSync(SEQUENTIAL_ASL, 'utf8')) as AslDefinition;
  const states = stateIndex(definition);
  const client = new RedshiftDataClient({ region: 'us-east-1' });
  const { vt, dataApi } = bench;
  dataApi.resetCounts();
  let transitions = 0;
  let historyEvents = 0;
  const { virtualMs } = await bench.simulate(async () => {
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: false, checkPaths: true },
      awsConfig: {
        region: 'us-east-1',
        credentials: { accessKeys: { accessKeyId: 'x', secretAccessKey: 'x' } },
      },
    });
    const execution = machine.run({ models: topologicalOrder(bench.manifest) } as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ExecuteStatement: async (params: unknown) => {
            await vt.sleep(LATENCY_MS.sdkIntegrationTask);
            return client.send(new ExecuteStatementCommand(params as ExecuteStatementCommand['input']));
          },
          DescribeStatement: async (params: unknown) => {
            await vt.sleep(LATENCY_MS.sdkIntegrationTask);
            const out: DescribeStatementCommandOutput = await client.send(
              new DescribeStatementCommand(params as DescribeStatementCommand['input']),
            );
            return out;
          },
        },
      } as never,
    });
    const counting = (async () => {
      for await (const logged of execution.eventLogs) {
        const event = logged as unknown as EventLog;
        if (event.type === 'StateEntered') transitions++;
        historyEvents += historyWeight(event, states);
      }
    })();
    await execution.result;
    await counting;
  });
  return {
    makespanMs: virtualMs,
    transitions,
    historyEvents,
    dataApiCalls: dataApi.total(),
    polls: dataApi.counts.describeStatement,
  };
}

export async function threadsBaseline(
  bench: RefreshBench,
  threads = 4,
  pollSeconds = 10,
): Promise<BaselineRun> {
  const { vt, dataApi, manifest } = bench;
  dataApi.resetCounts();
  const client = new RedshiftDataClient({ region: 'us-east-1' });
  const pending = new Map(manifest.models.map((m) => [m.name, m.refs.length]));
  const downstream = new Map<string, string[]>(manifest.models.map((m) => [m.name, []]));
  for (const m of manifest.models) for (const r of m.refs) downstream.get(r)?.push(m.name);
  const build = async (model: string) => {
    const { Id } = await client.send(
      new ExecuteStatementCommand({
        WorkgroupName: 'analytics',
        Database: 'dev',
        Sql: `CALL reporting.build_${model}()`,
        StatementName: `baseline:${model}`,
      }),
    );
    for (;;) {
      await vt.sleep(pollSeconds * 1000);
      const d = await client.send(new DescribeStatementCommand({ Id }));
      if (d.Status === 'FINISHED') return;
      if (d.Status === 'FAILED' || d.Status === 'ABORTED') throw new Error(`${model} ${d.Status}`);
    }
  };
  const { virtualMs } = await bench.simulate(
    () =>
      new Promise<void>((resolve, reject) => {
        // dbt's queue: models whose upstreams are done, in dependency order.
        const ready = topologicalOrder(manifest).filter((m) => pending.get(m) === 0);
        let running = 0;
        let built = 0;
        const launch = () => {
          while (running < threads && ready.length > 0) {
            const model = ready.shift();
            if (model === undefined) break;
            running++;
            build(model).then(() => {
              running--;
              built++;
              for (const down of downstream.get(model) ?? []) {
                const left = (pending.get(down) ?? 1) - 1;
                pending.set(down, left);
                if (left === 0) ready.push(down);
              }
              if (built === manifest.models.length) resolve();
              else launch();
            }, reject);
          }
        };
        launch();
      }),
  );
  return {
    makespanMs: virtualMs,
    transitions: 0,
    historyEvents: 0,
    dataApiCalls: dataApi.total(),
    polls: dataApi.counts.describeStatement,
  };
}
