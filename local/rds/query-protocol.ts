import type { CreateIntegrationInput, Tag } from '../zero-etl/integrations.js';

/**
 * Reads awsQuery request parameters (`Action=…&Version=2014-10-31&Tags.Tag.1.Key=…`) into the shapes
 * of the integration operations.
 */

/** Values of `prefix.1`, `prefix.2`, … as long as they are consecutive. */
function members(prefix: string, read: (base: string) => boolean): number {
  let n = 0;
  while (read(`${prefix}.${n + 1}`)) n++;
  return n;
}

export function readTags(params: URLSearchParams): Tag[] {
  const tags: Tag[] = [];
  members('Tags.Tag', (base) => {
    const key = params.get(`${base}.Key`);
    if (key === null) return false;
    const value = params.get(`${base}.Value`);
    tags.push(value === null ? { Key: key } : { Key: key, Value: value });
    return true;
  });
  return tags;
}

export function readMap(params: URLSearchParams, name: string): Record<string, string> {
  const map: Record<string, string> = {};
  members(`${name}.entry`, (base) => {
    const key = params.get(`${base}.key`);
    if (key === null) return false;
    map[key] = params.get(`${base}.value`) ?? '';
    return true;
  });
  return map;
}

const optional = (params: URLSearchParams, name: string): string | undefined => params.get(name) ?? undefined;

export function readCreateIntegration(params: URLSearchParams): CreateIntegrationInput {
  const input: CreateIntegrationInput = {};
  const fields = [
    'SourceArn',
    'TargetArn',
    'IntegrationName',
    'KMSKeyId',
    'DataFilter',
    'Description',
  ] as const;
  for (const field of fields) {
    const value = optional(params, field);
    if (value !== undefined) input[field] = value;
  }
  const context = readMap(params, 'AdditionalEncryptionContext');
  if (Object.keys(context).length > 0) input.AdditionalEncryptionContext = context;
  const tags = readTags(params);
  if (tags.length > 0) input.Tags = tags;
  return input;
}

export function hasFilters(params: URLSearchParams): boolean {
  return [...params.keys()].some((key) => key.startsWith('Filters.'));
}

export { optional as readOptional };
