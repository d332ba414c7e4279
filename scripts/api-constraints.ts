import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as z from 'zod';
import {
  type ConstraintMember,
  type ConstraintShape,
  ServiceConstraints,
  SIMPLE_TYPES,
} from '../local/api-constraints.js';
import { isMain } from './doc-sections.js';

/**
 * Extracts the request constraints of the operations the local endpoints serve from official AWS Smithy
 * JSON models (aws/api-models-aws) into the files the local Data API and RDS endpoints validate every
 * request against:
 *
 *   npx tsx scripts/api-constraints.ts <redshift-data-2019-12-20.json> <rds-2014-10-31[...].json>
 *
 * writes local/data-api/request-constraints.json and local/rds/request-constraints.json. The project
 * never reads the models themselves; the generated files are committed. Constraints the model does not
 * carry (members added after it was published, limits stated only in documentation text) are added
 * from SUPPLEMENTS below, each with its source, which the generated file keeps next to the member.
 */

export interface ServiceSpec {
  /** Shape-id namespace of the model (`com.amazonaws.redshiftdata`). */
  namespace: string;
  service: string;
  out: string;
  /** The operations the local endpoint implements (and the project calls). */
  operations: readonly string[];
  supplements: readonly Supplement[];
}

export interface Supplement {
  /** Structure shape (namespace stripped) and member the constraint belongs to. */
  shape: string;
  member: string;
  /** Merged into the member (a new member needs `target`). */
  patch: Partial<ConstraintMember>;
  source: string;
}

const WAIT_TIME: Partial<ConstraintMember> = { target: 'smithy.api#Integer', range: { min: 1, max: 30 } };
const WAIT_TIME_SOURCE =
  'not in the 2025-04 model: Data API reference ("The maximum value is 30 seconds", @aws-sdk/client-redshift-data 3.1169) and Management Guide "Reduce API calls with long polling" (a value between 1 and 30)';
// AWS-ASSUMPTION: rds-tag-rules
/** RDS's documented tag characters (the Tag shape's documentation gives them as a Java regex). */
const TAG_PATTERN = '^(?!aws:)(?!rds:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$';
const TAG_SOURCE =
  'RDS model documentation of Tag (not a trait): 1-128 characters for a key, up to 256 for a value, letters, digits, white space and _.:/=+-@, not prefixed with aws: or rds:';

export const SERVICES: readonly ServiceSpec[] = [
  {
    namespace: 'com.amazonaws.redshiftdata',
    service: 'redshift-data',
    out: 'local/data-api/request-constraints.json',
    operations: [
      'ExecuteStatement',
      'BatchExecuteStatement',
      'DescribeStatement',
      'GetStatementResult',
      'CancelStatement',
      'ListStatements',
    ],
    supplements: [
      ...[
        'ExecuteStatementInput',
        'BatchExecuteStatementInput',
        'DescribeStatementRequest',
        'GetStatementResultRequest',
      ].map((shape) => ({ shape, member: 'WaitTimeSeconds', patch: WAIT_TIME, source: WAIT_TIME_SOURCE })),
      {
        shape: 'BatchExecuteStatementInput',
        member: 'ExecutionMode',
        patch: { target: 'smithy.api#String', enum: ['TRANSACTION', 'AUTO_COMMIT'] },
        source:
          'not in the 2025-04 model: BatchExecuteStatement ExecutionMode, TRANSACTION (the default) or AUTO_COMMIT (@aws-sdk/client-redshift-data 3.1169 enum ExecutionMode)',
      },
      {
        shape: 'BatchExecuteStatementInput',
        member: 'Parameters',
        patch: { target: 'SqlParametersList' },
        source:
          'not in the 2025-04 model: BatchExecuteStatement Parameters, the SqlParameter list of ExecuteStatement (@aws-sdk/client-redshift-data 3.1169)',
      },
    ],
  },
  {
    namespace: 'com.amazonaws.rds',
    service: 'rds',
    out: 'local/rds/request-constraints.json',
    operations: ['CreateIntegration', 'DescribeIntegrations', 'DeleteIntegration', 'ModifyIntegration'],
    supplements: [
      {
        shape: 'DescribeIntegrationsMessage',
        member: 'MaxRecords',
        patch: { range: { min: 20, max: 100 }, code: 'InvalidParameterValue' },
        source:
          'RDS model documentation of DescribeIntegrationsMessage.MaxRecords (not a trait): minimum 20, maximum 100',
      },
      {
        shape: 'Tag',
        member: 'Key',
        patch: {
          required: true,
          length: { min: 1, max: 128 },
          pattern: TAG_PATTERN,
          code: 'InvalidParameterValue',
        },
        source: TAG_SOURCE,
      },
      {
        shape: 'Tag',
        member: 'Value',
        patch: { length: { max: 256 }, pattern: TAG_PATTERN, code: 'InvalidParameterValue' },
        source: TAG_SOURCE,
      },
    ],
  },
];

const Traits = z.record(z.string(), z.unknown()).optional();
const SmithyMember = z.looseObject({ target: z.string(), traits: Traits });
const SmithyShape = z.looseObject({
  type: z.string(),
  input: z.object({ target: z.string() }).optional(),
  members: z.record(z.string(), SmithyMember).optional(),
  member: SmithyMember.optional(),
  key: SmithyMember.optional(),
  value: SmithyMember.optional(),
  traits: Traits,
});
type SmithyShape = z.infer<typeof SmithyShape>;
const SmithyModel = z.looseObject({
  shapes: z.record(z.string(), SmithyShape),
  metadata: z.looseObject({ note: z.string().optional() }).optional(),
});
type SmithyModel = z.infer<typeof SmithyModel>;

const Bounds = z.object({ min: z.number().optional(), max: z.number().optional() });
const LegacyEnum = z.array(z.object({ value: z.string() }));

const SIMPLE: ReadonlySet<string> = new Set(SIMPLE_TYPES);
/** Prelude shapes (`smithy.api#Integer`, `smithy.api#PrimitiveBoolean`, …) by their simple type. */
const PRELUDE: Record<string, string> = {
  String: 'string',
  Integer: 'integer',
  PrimitiveInteger: 'integer',
  Long: 'long',
  PrimitiveLong: 'long',
  Boolean: 'boolean',
  PrimitiveBoolean: 'boolean',
  Double: 'double',
  Float: 'float',
  Timestamp: 'timestamp',
  Blob: 'blob',
};

/** The constraint traits of a shape or member, in the generated file's terms. */
function constraintsOf(traits: Record<string, unknown> | undefined): Partial<ConstraintMember> {
  const length = Bounds.safeParse(traits?.['smithy.api#length']);
  const range = Bounds.safeParse(traits?.['smithy.api#range']);
  const pattern = traits?.['smithy.api#pattern'];
  const legacyEnum = LegacyEnum.safeParse(traits?.['smithy.api#enum']);
  return {
    ...(length.success ? { length: length.data } : {}),
    ...(range.success ? { range: range.data } : {}),
    ...(typeof pattern === 'string' ? { pattern } : {}),
    ...(legacyEnum.success ? { enum: legacyEnum.data.map((e) => e.value) } : {}),
  };
}

class Extractor {
  readonly shapes: Record<string, ConstraintShape> = {};

  constructor(
    private readonly model: SmithyModel,
    private readonly namespace: string,
  ) {}

  name(id: string): string {
    return id.startsWith(`${this.namespace}#`) ? id.slice(this.namespace.length + 1) : id;
  }

  member(raw: z.infer<typeof SmithyMember>): ConstraintMember {
    const xmlName = raw.traits?.['smithy.api#xmlName'];
    const target = this.visit(raw.target);
    return {
      target,
      ...(raw.traits?.['smithy.api#required'] === undefined ? {} : { required: true }),
      ...(typeof xmlName === 'string' ? { xmlName } : {}),
      ...constraintsOf(raw.traits),
    };
  }

  /** Adds the shape `id` and everything it reaches; returns its name in the generated file. */
  visit(id: string): string {
    const name = this.name(id);
    if (this.shapes[name]) return name;
    if (id.startsWith('smithy.api#')) {
      const type = PRELUDE[id.slice('smithy.api#'.length)];
      if (!type) throw new Error(`prelude shape ${id} is not supported`);
      this.shapes[name] = { type: type as 'string' };
      return name;
    }
    const shape = this.model.shapes[id];
    if (!shape) throw new Error(`shape ${id} is not in the model`);
    this.shapes[name] = this.convert(id, shape);
    return name;
  }

  convert(id: string, shape: SmithyShape): ConstraintShape {
    switch (shape.type) {
      case 'structure':
      case 'union': {
        // Registered before the members so recursive shapes terminate.
        const members: Record<string, ConstraintMember> = {};
        this.shapes[this.name(id)] = { type: 'structure', members };
        for (const [name, raw] of Object.entries(shape.members ?? {})) members[name] = this.member(raw);
        return { type: 'structure', members };
      }
      case 'list':
      case 'set': {
        if (!shape.member) throw new Error(`list ${id} has no member`);
        return { type: 'list', member: this.member(shape.member), ...constraintsOf(shape.traits) };
      }
      case 'map': {
        if (!shape.key || !shape.value) throw new Error(`map ${id} has no key or value`);
        return {
          type: 'map',
          key: this.member(shape.key),
          value: this.member(shape.value),
          ...constraintsOf(shape.traits),
        };
      }
      case 'enum': {
        const values = Object.entries(shape.members ?? {}).map(([name, m]) => {
          const value = m.traits?.['smithy.api#enumValue'];
          return typeof value === 'string' ? value : name;
        });
        return { type: 'string', enum: values, ...constraintsOf(shape.traits) };
      }
      default: {
        if (!SIMPLE.has(shape.type)) throw new Error(`shape ${id} has unsupported type ${shape.type}`);
        return { type: shape.type as 'string', ...constraintsOf(shape.traits) };
      }
    }
  }

  supplement(s: Supplement): void {
    const shape = this.shapes[s.shape];
    if (shape?.type !== 'structure') throw new Error(`supplement: ${s.shape} is not a generated structure`);
    const existing = shape.members[s.member];
    const target = s.patch.target ?? existing?.target;
    if (!target) throw new Error(`supplement: ${s.shape}.${s.member} needs a target`);
    const resolved = target.includes('#') ? this.visit(target) : target;
    if (!this.shapes[resolved])
      throw new Error(`supplement: ${s.shape}.${s.member} targets unknown ${target}`);
    shape.members[s.member] = { ...existing, ...s.patch, target: resolved, source: s.source };
  }
}

export function extract(model: SmithyModel, spec: ServiceSpec, modelFile: string): ServiceConstraints {
  const extractor = new Extractor(model, spec.namespace);
  const operations: Record<string, string> = {};
  for (const operation of spec.operations) {
    const op = model.shapes[`${spec.namespace}#${operation}`];
    if (op?.type !== 'operation' || !op.input) throw new Error(`${modelFile}: no operation ${operation}`);
    operations[operation] = extractor.visit(op.input.target);
  }
  for (const supplement of spec.supplements) extractor.supplement(supplement);
  const note = model.metadata?.note;
  const shapes = Object.fromEntries(Object.entries(extractor.shapes).sort(([a], [b]) => a.localeCompare(b)));
  return ServiceConstraints.parse({
    $comment: `Generated by scripts/api-constraints.ts from ${modelFile}${note ? ` (${note})` : ''}, plus the constraints the model lacks (each with its "source"). Do not edit: regenerate.`,
    service: spec.service,
    model: modelFile,
    operations,
    shapes,
  });
}

async function main(files: string[]): Promise<void> {
  if (files.length === 0) {
    console.error('usage: npx tsx scripts/api-constraints.ts <smithy-model.json>…');
    process.exitCode = 2;
    return;
  }
  for (const file of files) {
    const model = SmithyModel.parse(JSON.parse(await readFile(file, 'utf8')));
    const ids = Object.keys(model.shapes);
    const spec = SERVICES.find((s) => ids.some((id) => id.startsWith(`${s.namespace}#`)));
    if (!spec) throw new Error(`${file}: not a model of ${SERVICES.map((s) => s.service).join(' or ')}`);
    const constraints = extract(model, spec, basename(file));
    writeFileSync(spec.out, `${JSON.stringify(constraints, null, 2)}\n`);
    // In the repository's style, so `biome check` passes on the committed file.
    execFileSync('npx', ['biome', 'format', '--write', spec.out], { stdio: 'ignore' });
    console.log(
      `${spec.out}: ${Object.keys(constraints.operations).length} operations, ${Object.keys(constraints.shapes).length} shapes`,
    );
  }
}

if (isMain(import.meta.url)) await main(process.argv.slice(2));
