import * as z from 'zod';

/**
 * The request constraints of an AWS service model — `smithy.api#required`, `#length`, `#range`,
 * `#pattern` and enum values of every member an operation's input reaches — as
 * `scripts/api-constraints.ts` extracts them into `local/<service>/request-constraints.json`, and the
 * check the local endpoints run on every request before anything else, as AWS's front door does.
 * Violations are described in the words AWS services use ("1 validation error detected: Value '' at
 * 'sql' failed to satisfy constraint: Member must have length greater than or equal to 1").
 */

const Bounds = z.strictObject({ min: z.number().optional(), max: z.number().optional() });

const rules = {
  length: Bounds.optional(),
  range: Bounds.optional(),
  pattern: z.string().optional(),
  enum: z.array(z.string()).optional(),
};

const Member = z.strictObject({
  target: z.string(),
  required: z.boolean().optional(),
  /** The awsQuery wire name (`smithy.api#xmlName`) when it is not the member name. */
  xmlName: z.string().optional(),
  ...rules,
  /** Where a constraint that is not in the service model comes from (API reference, SDK, docs). */
  source: z.string().optional(),
  /** The error code AWS answers a violation of this member's constraints with, if not the default. */
  code: z.string().optional(),
});
export type ConstraintMember = z.infer<typeof Member>;

/** The Smithy simple shapes the constraint files may hold (the generator refuses others). */
export const SIMPLE_TYPES = [
  'string',
  'integer',
  'long',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'timestamp',
  'blob',
] as const;

const Shape = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('structure'), members: z.record(z.string(), Member) }),
  z.strictObject({ type: z.literal('list'), member: Member, ...rules }),
  z.strictObject({ type: z.literal('map'), key: Member, value: Member, ...rules }),
  z.strictObject({
    type: z.enum(SIMPLE_TYPES),
    ...rules,
  }),
]);
export type ConstraintShape = z.infer<typeof Shape>;

export const ServiceConstraints = z.strictObject({
  $comment: z.string(),
  service: z.string(),
  /** The model file the constraints were read from. */
  model: z.string(),
  /** Operation name → its input shape. */
  operations: z.record(z.string(), z.string()),
  shapes: z.record(z.string(), Shape),
});
export type ServiceConstraints = z.infer<typeof ServiceConstraints>;

export type ViolationKind = 'required' | 'length' | 'range' | 'pattern' | 'enum';

export interface Violation {
  kind: ViolationKind;
  /** The member path as AWS names it: `sql`, `parameters.1.member.value`. */
  path: string;
  /** The member's key in an awsQuery request (`Filters.Filter.1.Name`). */
  queryKey: string;
  value: unknown;
  /** "Member must …" */
  constraint: string;
  /** The bounds broken, for a length or range violation. */
  limits?: { min?: number; max?: number };
  /** The member's own error code (constraints stated outside the model), if any. */
  code?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** AWS names members in messages with a lower-case first letter (`WorkgroupName` → `workgroupName`). */
const messageName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** A regular expression of the model (ECMA 262 per Smithy); `u` for `\p{L}` and friends. */
const compiled = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = new RegExp(pattern);
    }
    compiled.set(pattern, re);
  }
  return re;
}

interface Context {
  shapes: ServiceConstraints['shapes'];
  out: Violation[];
}

function bounds(
  kind: 'length' | 'range',
  limits: z.infer<typeof Bounds> | undefined,
  size: number,
): string | undefined {
  const what = kind === 'length' ? 'length' : 'value';
  if (limits?.min !== undefined && size < limits.min)
    return `Member must have ${what} greater than or equal to ${limits.min}`;
  if (limits?.max !== undefined && size > limits.max)
    return `Member must have ${what} less than or equal to ${limits.max}`;
  return undefined;
}

function check(ctx: Context, member: ConstraintMember, value: unknown, path: string, queryKey: string): void {
  const add = (kind: ViolationKind, constraint: string, limits?: z.infer<typeof Bounds>) =>
    ctx.out.push({
      kind,
      path,
      queryKey,
      value,
      constraint,
      ...(limits === undefined ? {} : { limits }),
      ...(member.code === undefined ? {} : { code: member.code }),
    });
  if (value === undefined || value === null) {
    if (member.required) add('required', 'Member must not be null');
    return;
  }
  const shape = ctx.shapes[member.target];
  if (!shape) return;
  // A member's own traits refine its target's (Smithy applies both; the member's win).
  const length = member.length ?? ('length' in shape ? shape.length : undefined);
  const range = member.range ?? ('range' in shape ? shape.range : undefined);
  const pattern = member.pattern ?? ('pattern' in shape ? shape.pattern : undefined);
  const values = member.enum ?? ('enum' in shape ? shape.enum : undefined);
  // A value of the wrong JSON type is the parser's to refuse (a SerializationException on AWS).
  switch (shape.type) {
    case 'structure': {
      if (!isRecord(value)) return;
      for (const [name, child] of Object.entries(shape.members)) {
        const wire = child.xmlName ?? name;
        check(
          ctx,
          child,
          value[name],
          path ? `${path}.${messageName(name)}` : messageName(name),
          queryKey ? `${queryKey}.${wire}` : wire,
        );
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return;
      const problem = bounds('length', length, value.length);
      if (problem) add('length', problem, length);
      value.forEach((item, i) => {
        check(
          ctx,
          shape.member,
          item,
          `${path}.${i + 1}.member`,
          `${queryKey}.${shape.member.xmlName ?? 'member'}.${i + 1}`,
        );
      });
      return;
    }
    case 'map': {
      if (!isRecord(value)) return;
      const problem = bounds('length', length, Object.keys(value).length);
      if (problem) add('length', problem, length);
      Object.entries(value).forEach(([key, item], i) => {
        check(ctx, shape.key, key, `${path}.${key}.key`, `${queryKey}.entry.${i + 1}.key`);
        check(ctx, shape.value, item, `${path}.${key}.value`, `${queryKey}.entry.${i + 1}.value`);
      });
      return;
    }
    default: {
      if (typeof value === 'string') {
        // AWS-ASSUMPTION: length-in-code-points
        // Smithy counts Unicode scalar values, not UTF-16 code units.
        const problem = bounds('length', length, [...value].length);
        if (problem) add('length', problem, length);
        if (pattern !== undefined && !regex(pattern).test(value)) {
          add('pattern', `Member must satisfy regular expression pattern: ${pattern}`);
        }
        if (values !== undefined && !values.includes(value)) {
          add('enum', `Member must satisfy enum value set: [${values.join(', ')}]`);
        }
      } else if (typeof value === 'number') {
        const problem = bounds('range', range, value);
        if (problem) add('range', problem, range);
      }
    }
  }
}

/** Every constraint `input` violates for `operation`, in model order (none for an unknown operation). */
export function requestViolations(
  constraints: ServiceConstraints,
  operation: string,
  input: unknown,
): Violation[] {
  const shape = constraints.operations[operation];
  if (shape === undefined) return [];
  const ctx: Context = { shapes: constraints.shapes, out: [] };
  check(ctx, { target: shape }, isRecord(input) ? input : {}, '', '');
  return ctx.out;
}

function render(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (isRecord(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${render(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** AWS's message for failed constraints: "2 validation errors detected: Value … at '…' failed …; …". */
export function validationMessage(violations: readonly Violation[]): string {
  const n = violations.length;
  const each = violations.map(
    (v) =>
      `Value ${v.value === null || v.value === undefined ? 'null' : `'${render(v.value)}'`} at '${v.path}' failed to satisfy constraint: ${v.constraint}`,
  );
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${each.join('; ')}`;
}
