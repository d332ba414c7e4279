import { describe, expect, it } from 'vitest';
import { ProjectValidationError, type ValidationIssue } from '../../../../shared/errors.js';
import { classifyFailure } from '../../../../shared/integration/classify.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { shopSources, withFiles } from '../../../helpers/project.js';

/**
 * The class of an integration failure (issue #12, defect 11): the live DescribeIntegrations `Errors`
 * first (RDS API reference, IntegrationError), then the event id (REDSHIFT-INTEGRATION-EVENT-nnnn,
 * Redshift management guide's event table), then `recovery.onUnknownFailure`.
 */

const id = (code: string) => `REDSHIFT-INTEGRATION-EVENT-${code}`;
const errors = (...codes: string[]) => ({ errors: codes.map((code) => ({ code, message: '' })) });

describe('classifyFailure', () => {
  it('decides from the live errors before the event id, in both directions', () => {
    expect(classifyFailure(errors(id('0007')), id('0018'), 'notify')).toEqual({
      class: 'recreate',
      from: 'errors',
      codes: [id('0007')],
      action: 'recreate',
    });
    expect(classifyFailure(errors(id('1001')), id('0007'), 'recreate')).toMatchObject({
      class: 'notify',
      from: 'errors',
      action: 'notify',
    });
  });

  it('among the live errors, one that needs a human wins', () => {
    expect(classifyFailure(errors(id('0007'), id('0008')), undefined, 'recreate')).toMatchObject({
      class: 'notify',
      codes: [id('0008')],
    });
  });

  it('finds an event id quoted in an ErrorMessage when the ErrorCode is something else', () => {
    const integration = { errors: [{ code: 'SomethingWentWrong', message: `see ${id('0014')}` }] };
    expect(classifyFailure(integration, undefined, 'notify')).toMatchObject({
      class: 'recreate',
      from: 'errors',
      codes: [id('0014')],
    });
  });

  it('uses the event id only when the errors tell nothing; an informational id tells nothing either', () => {
    expect(classifyFailure(errors('DATA_COLUMN_LENGTH_EXCEEDED'), id('0006'), 'notify')).toMatchObject({
      class: 'recreate',
      from: 'event',
      codes: [id('0006')],
    });
    expect(classifyFailure(errors(), id('0019'), 'recreate')).toMatchObject({
      class: 'notify',
      from: 'event',
    });
    expect(classifyFailure(errors(), id('0003'), 'notify')).toMatchObject({
      class: 'unknown',
      from: 'none',
      codes: [id('0003')],
    });
  });

  it('an unknown class follows recovery.onUnknownFailure; the status alone never decides', () => {
    expect(classifyFailure(errors('DATA_COLUMN_LENGTH_EXCEEDED'), null, 'notify')).toEqual({
      class: 'unknown',
      from: 'none',
      codes: ['DATA_COLUMN_LENGTH_EXCEEDED'],
      action: 'notify',
    });
    expect(classifyFailure(errors(), undefined, 'recreate')).toEqual({
      class: 'unknown',
      from: 'none',
      codes: [],
      action: 'recreate',
    });
  });
});

describe('recovery.onUnknownFailure in project.yml', () => {
  const project = shopSources().projectYml ?? '';
  const withSetting = (value: string) =>
    withFiles(shopSources(), {
      'project.yml': project.replace(
        'recreateIntegration: true',
        `recreateIntegration: true\n  onUnknownFailure: ${value}`,
      ),
    });

  it('defaults to notify and takes recreate', () => {
    expect(compileProject(shopSources()).project.recovery.onUnknownFailure).toBe('notify');
    expect(compileProject(withSetting('recreate')).project.recovery.onUnknownFailure).toBe('recreate');
  });

  it('rejects anything else, naming the file, the field and the line', () => {
    let issues: readonly ValidationIssue[] = [];
    try {
      compileProject(withSetting('sometimes'));
    } catch (error) {
      if (!(error instanceof ProjectValidationError)) throw error;
      issues = error.issues;
    }
    expect(issues.map((i) => `${i.file}:${i.line ?? '-'} ${i.field} ${i.message}`)).toEqual([
      expect.stringMatching(
        /^project\.yml:\d+ recovery\.onUnknownFailure onUnknownFailure must be notify or recreate$/,
      ),
    ]);
  });
});
