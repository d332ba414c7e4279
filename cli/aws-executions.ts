import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../shared/errors.js';
import { type Deployment, serviceOf, stageProblem, stateMachineName } from '../shared/project/deployment.js';
import type { Manifest } from '../shared/project/manifest.js';

/** Starting and following executions on AWS Step Functions for `zeo run`. */

/**
 * The deployment `--stage` names for a project: its service (project.yml `service`, default `name`)
 * and the stage, refused with exit code 2 when it cannot be a stage name.
 */
export function deploymentOf(manifest: Pick<Manifest, 'project'>, stage: string): Deployment {
  const problem = stageProblem(stage);
  if (problem) throw new InvalidInputError([{ file: 'input', field: '--stage', message: problem }]);
  return { service: serviceOf(manifest.project), stage };
}

/** The stack a deployment is (`<service>-<stage>`), as the CloudFormation console lists it. */
export const stackName = (deployment: Deployment): string => `${deployment.service}-${deployment.stage}`;

/** Every state machine of the account and Region, page by page (ListStateMachines). */
export async function* listStateMachines(
  sfn: Pick<SFNClient, 'send'>,
): AsyncGenerator<{ name: string; arn: string }> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ ...(nextToken ? { nextToken } : {}) }));
    for (const m of page.stateMachines ?? []) yield { name: m.name ?? '', arn: m.stateMachineArn ?? '' };
    nextToken = page.nextToken;
  } while (nextToken);
}

export async function findStateMachineArn(
  sfn: Pick<SFNClient, 'send'>,
  deployment: Deployment,
  machine: string,
): Promise<string> {
  const name = stateMachineName(deployment, machine);
  for await (const m of listStateMachines(sfn)) if (m.name === name && m.arn) return m.arn;
  throw new Error(
    `state machine ${name} not found in this account and region (is stack ${stackName(deployment)} deployed here?)`,
  );
}

export function consoleLink(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export async function startExecution(
  sfn: Pick<SFNClient, 'send'>,
  stateMachineArn: string,
  name: string,
  input: unknown,
) {
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  if (!out.executionArn) throw new Error('StartExecution returned no execution ARN');
  return out.executionArn;
}

export interface FollowResult {
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Of a failed execution: the causes of its failed tasks, newest first (a failed rebuild's is the child's). */
  failedTaskCauses?: string[];
}

/** The causes of the last failed tasks of an execution (one page of its history, newest first). */
async function failedTaskCausesOf(sfn: Pick<SFNClient, 'send'>, executionArn: string): Promise<string[]> {
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 }),
  );
  return (history.events ?? []).flatMap((e) => {
    const cause = e.taskFailedEventDetails?.cause;
    return cause ? [cause] : [];
  });
}

/** Polls an execution until it stops, reporting the state it is in; `shouldStop` ends following early. */
export async function followExecution(
  sfn: Pick<SFNClient, 'send'>,
  executionArn: string,
  /** `lastTick`: the output of the latest DispatchBuilds tick of a curated refresh, if any. */
  onProgress: (state: string, elapsedSeconds: number, lastTick?: unknown) => void,
  options: { intervalMs?: number; shouldStop?: () => boolean; sleep?: (ms: number) => Promise<void> } = {},
): Promise<FollowResult | undefined> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (;;) {
    if (options.shouldStop?.()) return undefined;
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const elapsed = d.startDate ? (Date.now() - d.startDate.getTime()) / 1000 : 0;
    if (d.status && d.status !== 'RUNNING') {
      const failedTaskCauses = d.status === 'SUCCEEDED' ? [] : await failedTaskCausesOf(sfn, executionArn);
      return {
        status: d.status,
        ...(d.output ? { output: JSON.parse(d.output) as unknown } : {}),
        ...(d.error ? { error: d.error } : {}),
        ...(d.cause ? { cause: d.cause } : {}),
        ...(failedTaskCauses.length > 0 ? { failedTaskCauses } : {}),
      };
    }
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }),
    );
    const entered = history.events?.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails
      ?.name;
    const tick = history.events?.find((e) => e.stateExitedEventDetails?.name === 'DispatchBuilds')
      ?.stateExitedEventDetails?.output;
    let lastTick: unknown;
    try {
      lastTick = tick === undefined ? undefined : (JSON.parse(tick) as unknown);
    } catch {
      lastTick = undefined;
    }
    onProgress(entered ?? 'starting', elapsed, lastTick);
    await sleep(options.intervalMs ?? 5000);
  }
}
