import type * as z from 'zod';
import { InvalidInputError } from '../errors.js';
import { fieldPath } from '../project/field-path.js';

/** Validates input against a schema; a failure becomes the InvalidInputError the ASL catches, naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInputError(
    result.error.issues.map((issue) => ({
      file: 'input',
      field: fieldPath(issue.path) || '(root)',
      message:
        issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message,
    })),
  );
}
