import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestViolations, ServiceConstraints, validationMessage } from '../../local/api-constraints.js';
import dataApiJson from '../../local/data-api/request-constraints.json' with { type: 'json' };
import rdsJson from '../../local/rds/request-constraints.json' with { type: 'json' };
import { decodeQueryRequest } from '../../local/rds/request-validation.js';
import { extract, SERVICES, type ServiceSpec } from '../../scripts/api-constraints.js';

/**
 * scripts/api-constraints.ts (Smithy JSON model → the request constraints the local endpoints enforce)
 * and the generated files: they must cover every Data API and RDS operation the project calls.
 */

const dataApi = ServiceConstraints.parse(dataApiJson);
const rds = ServiceConstraints.parse(rdsJson);

/** A Smithy JSON model in the shape of aws/api-models-aws, with one of each constraint kind. */
const MODEL = {
  smithy: '2.0',
  shapes: {
    'com.amazonaws.redshiftdata#ExecuteStatement': {
      type: 'operation',
      input: { target: 'com.amazonaws.redshiftdata#ExecuteStatementInput' },
    },
    'com.amazonaws.redshiftdata#ExecuteStatementInput': {
      type: 'structure',
      members: {
        Sql: { target: 'com.amazonaws.redshiftdata#StatementString', traits: { 'smithy.api#required': {} } },
        Names: { target: 'com.amazonaws.redshiftdata#NameList' },
        Format: { target: 'com.amazonaws.redshiftdata#Format' },
        Mode: { target: 'com.amazonaws.redshiftdata#Mode' },
        Seconds: { target: 'smithy.api#Integer', traits: { 'smithy.api#range': { min: 0, max: 9 } } },
      },
    },
    'com.amazonaws.redshiftdata#StatementString': {
      type: 'string',
      traits: { 'smithy.api#length': { min: 1 } },
    },
    'com.amazonaws.redshiftdata#NameList': {
      type: 'list',
      member: { target: 'com.amazonaws.redshiftdata#Name', traits: { 'smithy.api#xmlName': 'Name' } },
      traits: { 'smithy.api#length': { max: 2 } },
    },
    'com.amazonaws.redshiftdata#Name': { type: 'string', traits: { 'smithy.api#pattern': '^[a-z]+$' } },
    'com.amazonaws.redshiftdata#Format': {
      type: 'string',
      traits: { 'smithy.api#enum': [{ value: 'JSON' }, { value: 'CSV' }] },
    },
    'com.amazonaws.redshiftdata#Mode': {
      type: 'enum',
      members: {
        ONE: { target: 'smithy.api#Unit', traits: { 'smithy.api#enumValue': 'one' } },
        TWO: { target: 'smithy.api#Unit', traits: { 'smithy.api#enumValue': 'two' } },
      },
    },
  },
};

const spec = (operations: string[]): ServiceSpec => {
  const base = SERVICES.find((s) => s.service === 'redshift-data');
  if (!base) throw new Error('no redshift-data spec');
  return {
    ...base,
    operations,
    supplements: [
      {
        shape: 'ExecuteStatementInput',
        member: 'WaitTimeSeconds',
        patch: { target: 'smithy.api#Integer', range: { min: 1, max: 30 } },
        source: 'API reference',
      },
    ],
  };
};

describe('scripts/api-constraints.ts', () => {
  it('turns required, length, range, pattern, list size and both enum forms into constraints, with supplements and their source', () => {
    const constraints = extract(MODEL, spec(['ExecuteStatement']), 'model.json');
    expect(constraints.operations).toEqual({ ExecuteStatement: 'ExecuteStatementInput' });
    expect(constraints.shapes.ExecuteStatementInput).toEqual({
      type: 'structure',
      members: {
        Sql: { target: 'StatementString', required: true },
        Names: { target: 'NameList' },
        Format: { target: 'Format' },
        Mode: { target: 'Mode' },
        Seconds: { target: 'smithy.api#Integer', range: { min: 0, max: 9 } },
        WaitTimeSeconds: {
          target: 'smithy.api#Integer',
          range: { min: 1, max: 30 },
          source: 'API reference',
        },
      },
    });
    expect(constraints.shapes.NameList).toEqual({
      type: 'list',
      member: { target: 'Name', xmlName: 'Name' },
      length: { max: 2 },
    });
    expect(constraints.shapes.Format).toEqual({ type: 'string', enum: ['JSON', 'CSV'] });
    expect(constraints.shapes.Mode).toEqual({ type: 'string', enum: ['one', 'two'] });
    const found = requestViolations(constraints, 'ExecuteStatement', {
      Names: ['ok', 'Bad', 'x'],
      Format: 'XML',
      Mode: 'three',
      Seconds: 10,
      WaitTimeSeconds: 0,
    });
    expect(found.map((v) => [v.kind, v.path])).toEqual([
      ['required', 'sql'],
      ['length', 'names'],
      ['pattern', 'names.2.member'],
      ['enum', 'format'],
      ['enum', 'mode'],
      ['range', 'seconds'],
      ['range', 'waitTimeSeconds'],
    ]);
    expect(found[2]?.queryKey).toBe('Names.Name.2');
  });

  it('refuses an operation or a supplement target the model does not have', () => {
    expect(() => extract(MODEL, spec(['CancelStatement']), 'model.json')).toThrow(
      'model.json: no operation CancelStatement',
    );
    const bad = { ...spec(['ExecuteStatement']) };
    bad.supplements = [
      { shape: 'ExecuteStatementInput', member: 'X', patch: { target: 'Nowhere' }, source: 's' },
    ];
    expect(() => extract(MODEL, bad, 'model.json')).toThrow('targets unknown Nowhere');
  });
});

describe('the generated request constraints', () => {
  /** The operations the project's own code sends, from the Command classes it imports. */
  function commandsImported(from: string): Set<string> {
    const ops = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) {
          const source = readFileSync(path, 'utf8');
          const pattern = new RegExp(`import\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*'${from}'`, 'g');
          for (const match of source.matchAll(pattern)) {
            for (const name of (match[1] ?? '').split(',')) {
              const command = /^\s*(\w+)Command\s*$/.exec(name);
              if (command?.[1]) ops.add(command[1]);
            }
          }
        }
      }
    };
    for (const dir of ['shared', 'functions', 'cli']) walk(dir);
    return ops;
  }

  it('cover every Data API and RDS operation the project calls', () => {
    const data = commandsImported('@aws-sdk/client-redshift-data');
    const rdsOps = commandsImported('@aws-sdk/client-rds');
    expect(data.size).toBeGreaterThanOrEqual(5);
    expect(rdsOps.size).toBeGreaterThanOrEqual(3);
    for (const op of data) expect(Object.keys(dataApi.operations)).toContain(op);
    for (const op of rdsOps) expect(Object.keys(rds.operations)).toContain(op);
  });

  it('read awsQuery parameters back into the model structure (lists, maps, empty lists, integers)', () => {
    const params = new URLSearchParams(
      'Action=CreateIntegration&Version=2014-10-31&IntegrationName=x&AdditionalEncryptionContext.entry.1.key=a&AdditionalEncryptionContext.entry.1.value=b&Tags.Tag.1.Key=k&Tags.Tag.1.Value=v&Tags.Tag.2.Key=k2',
    );
    expect(decodeQueryRequest('CreateIntegration', params)).toEqual({
      IntegrationName: 'x',
      AdditionalEncryptionContext: { a: 'b' },
      Tags: [{ Key: 'k', Value: 'v' }, { Key: 'k2' }],
    });
    expect(decodeQueryRequest('CreateIntegration', new URLSearchParams('Tags='))).toEqual({ Tags: [] });
    expect(
      decodeQueryRequest(
        'DescribeIntegrations',
        new URLSearchParams('Filters.Filter.1.Name=n&Filters.Filter.1.Values.Value.1=a&MaxRecords=20'),
      ),
    ).toEqual({ Filters: [{ Name: 'n', Values: ['a'] }], MaxRecords: 20 });
  });

  it("word violations as AWS does: 'N validation errors detected: Value … at … failed to satisfy constraint: …'", () => {
    expect(
      validationMessage(requestViolations(dataApi, 'ExecuteStatement', { Sql: 'SELECT 1', Parameters: [] })),
    ).toBe(
      "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(requestViolations(dataApi, 'NoSuchOperation', {})).toEqual([]);
  });
});
