import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type CfnTemplate,
  packageExampleTemplate,
  renderPermissions,
  renderResources,
  SECTIONS,
} from '../../scripts/deploy-resources.js';
import { readSection } from '../../scripts/doc-sections.js';

/**
 * docs/deploy.md's "what gets created" tables must be the deployed truth: the example project is
 * packaged here (offline, in a scratch copy of the service) and the tables rendered from that
 * template must be the ones in the doc. Regenerate with `npm run docs:deploy`.
 */

const DOC = readFileSync('docs/deploy.md', 'utf8');
let template: CfnTemplate;

beforeAll(async () => {
  template = await packageExampleTemplate();
}, 300_000);

const ids = (type: string) =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);

describe('docs/deploy.md', () => {
  it('lists the resources of the packaged template (npm run docs:deploy when this fails)', () => {
    expect(readSection(DOC, SECTIONS.resources)).toBe(renderResources(template));
  });

  it('lists every IAM statement of every role of the packaged template (npm run docs:deploy when this fails)', () => {
    expect(readSection(DOC, SECTIONS.permissions)).toBe(renderPermissions(template));
  });

  it('names every state machine, function, rule and role, and counts the rest', () => {
    const resources = readSection(DOC, SECTIONS.resources) ?? '';
    const permissions = readSection(DOC, SECTIONS.permissions) ?? '';
    for (const type of ['AWS::StepFunctions::StateMachine', 'AWS::Lambda::Function', 'AWS::Events::Rule']) {
      for (const id of ids(type)) expect(resources, id).toContain(`| ${id} | ${type} |`);
    }
    for (const id of ids('AWS::IAM::Role')) expect(permissions, id).toContain(`| \`${id}\` |`);
    expect(resources).toContain(`| ${ids('AWS::Logs::LogGroup').length} × …LogGroup |`);
    expect(resources).toContain(`| ${ids('AWS::Lambda::Version').length} × …LambdaVersion… |`);
    expect(resources).toContain(`| ${ids('AWS::IAM::Role').length} × …Role |`);
    const counted = ['AWS::Logs::LogGroup', 'AWS::Lambda::Version', 'AWS::IAM::Role'];
    const rows = Object.values(template.Resources).filter((r) => !counted.includes(r.Type)).length;
    expect(resources.split('\n').filter((l) => /^\| \w+ \| AWS::/.test(l))).toHaveLength(rows);
  });

  it('documents the parameters serverless.yml takes and the numbers it implies', () => {
    const serverless = parse(readFileSync('serverless.yml', 'utf8')) as {
      params: { default: Record<string, unknown> };
      functions: Record<string, unknown>;
    };
    for (const [param, value] of Object.entries(serverless.params.default)) {
      expect(DOC).toContain(`| \`${param}\` | \`${String(value)}\` |`);
    }
    // Why one warehouse role: one role per function would make as many database users.
    expect(DOC).toContain(`${Object.keys(serverless.functions).length} different owners`);
    for (const command of ['npx serverless deploy --stage prod', 'npx serverless remove --stage prod']) {
      expect(DOC).toContain(command);
    }
  });
});
