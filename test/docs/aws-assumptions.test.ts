import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/aws-assumptions.md lists every AWS behaviour the code relies on that the documentation does not
 * state (UNCONFIRMED) or that we derived (INFERENCE). Each entry is a `### <id>` section ending in a
 * line `Relied on in: \`file\`, …`; each place in the code that depends on it carries a comment
 * `AWS-ASSUMPTION: <id>`. This keeps the two in step: an assumption without a place in the code, a
 * marker without an entry, or a file list that does not match the markers fails.
 */

const DOC = 'docs/aws-assumptions.md';
const ROOTS = ['shared', 'functions', 'local', 'cli', 'scripts', 'statemachines', 'serverless.yml', 'docs'];
const SOURCE = /\.(ts|cjs|js|json|yml|md)$/;
const MARKER = /AWS-ASSUMPTION: ([a-z0-9-]+)/g;

function files(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path).flatMap((entry) => files(join(path, entry)));
}

function markers(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of ROOTS.flatMap(files).filter((f) => SOURCE.test(f) && f !== DOC)) {
    for (const m of readFileSync(file, 'utf8').matchAll(MARKER)) {
      const id = m[1] ?? '';
      found.set(id, (found.get(id) ?? new Set()).add(relative('.', file)));
    }
  }
  return found;
}

interface Entry {
  id: string;
  status: string | undefined;
  files: string[];
  body: string;
}

function entries(): Entry[] {
  const text = readFileSync(DOC, 'utf8');
  return text
    .split(/^### /m)
    .slice(1)
    .map((section) => {
      const id = (section.split('\n')[0] ?? '').replaceAll('`', '').trim();
      const relied = /^Relied on in: (.+)$/m.exec(section)?.[1] ?? '';
      return {
        id,
        status: /\*\*(UNCONFIRMED|INFERENCE)\.?\*\*/.exec(section)?.[1],
        files: [...relied.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '').sort(),
        body: section,
      };
    });
}

describe('docs/aws-assumptions.md', () => {
  const documented = entries();
  const inCode = markers();

  it('has entries, each with a status, what the code does and what happens if the fact is false', () => {
    expect(documented.length).toBeGreaterThan(10);
    for (const e of documented) {
      expect(e.id, 'ids are kebab-case').toMatch(/^[a-z0-9-]+$/);
      expect(e.status, `${e.id}: **UNCONFIRMED** or **INFERENCE**`).toBeDefined();
      expect(e.body, `${e.id}: what the code does`).toMatch(/^What the code does: /m);
      expect(e.body, `${e.id}: what if it is false`).toMatch(/^If it is false: /m);
    }
    expect(new Set(documented.map((e) => e.id)).size).toBe(documented.length);
  });

  it('documents every AWS-ASSUMPTION marker in the code, and every entry has one', () => {
    expect([...inCode.keys()].sort()).toEqual(documented.map((e) => e.id).sort());
  });

  it("names exactly the files that carry each entry's marker", () => {
    for (const e of documented) expect(e.files, e.id).toEqual([...(inCode.get(e.id) ?? [])].sort());
  });
});
