import { describe, expect, it } from 'vitest';
import { formatIssue, ProjectValidationError, type ValidationIssue } from '../../../../shared/errors.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { parseYamlFile } from '../../../../shared/project/yaml-file.js';
import { shopSources, withFiles } from '../../../helpers/project.js';

function compileIssues(changes: Record<string, string>): ValidationIssue[] {
  try {
    compileProject(withFiles(shopSources(), changes));
  } catch (error) {
    if (error instanceof ProjectValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the project to be invalid');
}

describe('YAML files: syntax errors name their line', () => {
  it.each([
    ['text after a quoted scalar', 'columns:\n  - { name: amount, type: "numeric(14,2)"iBi }\n', 2],
    ['a duplicate key', 'group: hourly\ndist: even\ngroup: daily\n', 3],
    ['a tab as indentation', 'columns:\n\t- { name: id, type: bigint }\n', 2],
    ['an unterminated quote', 'group: hourly\ndescription: "never closed\n', 2],
    ['misaligned mapping items', 'incremental:\n  updated_at: id\n lookback: 1 hour\n', 3],
  ])('%s', (_, text, line) => {
    const { yaml, issues } = parseYamlFile('models/x.yml', text);
    expect(yaml).toBeUndefined();
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({
      file: 'models/x.yml',
      line,
      message: expect.stringMatching(/^YAML syntax error: /),
    });
    // One line per issue: the message stays short even though the error is located.
    for (const issue of issues) expect(issue.message).not.toContain('\n');
  });

  it('every line lies inside the file, on a line with content', () => {
    for (const text of ['a: [', '{\n\n', 'a: 1\nb: "x\n', 'x: 1\n  y: 2', 'a: [1,\n\n\n', '"\r\n']) {
      const lines = text.replace(/[\r\n]+$/, '').split(/\r\n|\r|\n/).length;
      const { issues } = parseYamlFile('f.yml', text);
      expect(issues.length, JSON.stringify(text)).toBeGreaterThan(0);
      for (const issue of issues) {
        expect(issue.line, `${JSON.stringify(text)}: ${issue.message}`).toBeGreaterThanOrEqual(1);
        expect(issue.line, `${JSON.stringify(text)}: ${issue.message}`).toBeLessThanOrEqual(lines);
      }
    }
  });

  it('the compiled project reports project.yml and models/*.yml syntax errors as file:line', () => {
    const issues = compileIssues({
      'models/dim_products.yml': 'columns:\n  - { name: product_id, type: "bigint"x }\n',
    });
    expect(issues.map(formatIssue)).toContainEqual(
      expect.stringMatching(/^models\/dim_products\.yml:2: YAML syntax error: /),
    );
    const projectIssues = compileIssues({ 'project.yml': 'name: shop\nlanding: [\n  database: x\n' });
    expect(projectIssues.map(formatIssue)).toContainEqual(
      expect.stringMatching(/^project\.yml:\d+: YAML syntax error: /),
    );
    expect(projectIssues.every((i) => i.line !== undefined)).toBe(true);
  });
});
