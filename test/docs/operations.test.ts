import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assessState } from '../../functions/assess-state/core.js';
import {
  CuratedRefreshInput,
  IntegrationRecoveryInput,
  ResyncRecoveryInput,
} from '../../shared/contracts/state-machine-inputs.js';
import { indexManifest, selectForRequest } from '../../shared/graph/plan.js';
import type { IntegrationsPort } from '../../shared/integration/rds.js';
import { DETAIL_TYPES } from '../../shared/notify/notifier.js';
import { loadProject } from '../../shared/project/load.js';
import { fakeWarehouse } from '../helpers/fake-ports.js';

/**
 * Every console input shown in docs/operations.md must be accepted by the state machine it is shown
 * for — checked with the very schemas the first steps use, against the example project. A ```json
 * block belongs to the "## <state machine>" section it sits in, or to the state machine named by a
 * `<!-- input: <name> -->` comment right before it; a ```json block that belongs to none fails.
 */

const DOC = readFileSync('docs/operations.md', 'utf8');
const MACHINES = ['curated-refresh', 'resync-recovery', 'integration-recovery', 'reconcile'] as const;
type Machine = (typeof MACHINES)[number];
const isMachine = (text: string): text is Machine => (MACHINES as readonly string[]).includes(text);

interface Example {
  machine: Machine | undefined;
  line: number;
  text: string;
}

function consoleExamples(doc: string): Example[] {
  const examples: Example[] = [];
  const lines = doc.split('\n');
  let section: Machine | undefined;
  let marked: Machine | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heading = /^## (.+)$/.exec(line);
    if (heading?.[1] !== undefined) {
      const name = heading[1].replaceAll('`', '').trim();
      section = isMachine(name) ? name : undefined;
      continue;
    }
    const marker = /^<!-- input: ([a-z-]+) -->$/.exec(line.trim());
    if (marker?.[1] !== undefined) {
      if (!isMachine(marker[1])) throw new Error(`line ${i + 1}: unknown state machine in ${line}`);
      marked = marker[1];
      continue;
    }
    const fence = /^(\s*)```(\S*)\s*$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') marked = undefined;
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ''); j++) body.push(lines[j] ?? '');
    if (fence[2] === 'json')
      examples.push({ machine: marked ?? section, line: i + 1, text: body.join('\n') });
    marked = undefined;
    i = j;
  }
  return examples;
}

const shop = indexManifest(loadProject('examples/shop/curated'));
const landingTables = new Set(
  Object.entries(shop.manifest.project.landing.tables).flatMap(([s, ts]) => ts.map((t) => `${s}.${t}`)),
);

/** The reconcile step itself, over a warehouse and an RDS API that answer "nothing there". */
async function assess(event: unknown) {
  const warehouse = fakeWarehouse({ query: () => [] }).port;
  const integrations = {
    describe: async () => undefined,
    list: async () => [],
  } as unknown as IntegrationsPort;
  return assessState(
    { event, executionName: 'docs-example' },
    { index: shop, warehouse, integrations, now: () => new Date('2026-11-23T12:00:00Z') },
  );
}

async function problemsOf(machine: Machine, input: unknown): Promise<string[]> {
  const issues = (result: {
    success: boolean;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  }) => result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  switch (machine) {
    case 'curated-refresh': {
      const parsed = CuratedRefreshInput.safeParse(input);
      if (!parsed.success) return issues(parsed);
      // The selector and group must also mean something in the project the docs are about.
      try {
        selectForRequest(shop, {
          ...(parsed.data.select ? { select: parsed.data.select } : {}),
          ...(parsed.data.group ? { group: parsed.data.group } : {}),
        });
        return [];
      } catch (error) {
        return [String(error)];
      }
    }
    case 'resync-recovery': {
      const parsed = ResyncRecoveryInput.safeParse(input);
      if (!parsed.success) return issues(parsed);
      return parsed.data.tables
        .filter((t) => !landingTables.has(t))
        .map((t) => `${t} is not a landing table`);
    }
    case 'integration-recovery':
      return issues(IntegrationRecoveryInput.safeParse(input));
    case 'reconcile': {
      const assessment = await assess(input);
      return assessment.route === 'ignore' ? [assessment.note] : [];
    }
  }
}

describe('docs/operations.md', () => {
  const examples = consoleExamples(DOC);

  it('attributes every ```json block to a state machine', () => {
    expect(examples.filter((e) => e.machine === undefined).map((e) => `line ${e.line}`)).toEqual([]);
  });

  it('has console input examples for each public state machine', () => {
    for (const machine of MACHINES) {
      expect(examples.filter((e) => e.machine === machine).length, machine).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(examples.map((e) => [`${e.machine} (line ${e.line})`, e] as const))(
    'console input %s parses and passes the input schema',
    async (_, example) => {
      const input: unknown = JSON.parse(example.text);
      expect(await problemsOf(example.machine ?? 'reconcile', input)).toEqual([]);
    },
  );

  it('reconcile examples are read as what they claim to be (watchdog, event, manual look)', async () => {
    const triggers = await Promise.all(
      examples
        .filter((e) => e.machine === 'reconcile')
        .map(async (e) => (await assess(JSON.parse(e.text))).trigger),
    );
    expect(new Set(triggers)).toEqual(new Set(['watchdog', 'event', 'manual']));
  });

  it('the checks are real: inputs a state machine would refuse are refused here too', async () => {
    expect(await problemsOf('curated-refresh', { selct: 'fct_orders' })).not.toEqual([]);
    expect(await problemsOf('curated-refresh', { select: 'nope+' })).not.toEqual([]);
    expect(await problemsOf('resync-recovery', { tables: ['public.nope'] })).not.toEqual([]);
    expect(await problemsOf('integration-recovery', { integrationArn: 'arn:aws:rds:x' })).not.toEqual([]);
    expect(await problemsOf('reconcile', { source: 'aws.redshift' })).not.toEqual([]);
  });

  it('documents every state machine and every event the orchestrator emits', () => {
    const machines = readdirSync('statemachines').map((f) => f.replace('.asl.json', ''));
    for (const machine of machines) expect(DOC, machine).toMatch(new RegExp(`^## ${machine}\\b`, 'm'));
    for (const detailType of DETAIL_TYPES) expect(DOC, detailType).toContain(`| \`${detailType}\` |`);
    const emitted = readdirSync('statemachines').flatMap((f) => [
      ...readFileSync(`statemachines/${f}`, 'utf8').matchAll(/"detailType": "([^"]+)"/g),
    ]);
    for (const [, detailType] of emitted) expect(DETAIL_TYPES).toContain(detailType);
  });
});
