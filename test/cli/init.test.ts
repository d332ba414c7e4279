import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type * as z from 'zod';
import { ModelFile, ProjectFile } from '../../shared/project/schema.js';
import { zeoIn } from '../helpers/cli.js';

/** Every field of a zod object schema, by its last key (`warehouse.secretArn` → `secretArn`). */
function fieldNames(schema: z.ZodType, out = new Set<string>()): Set<string> {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (key: string) => fieldNames(def[key] as z.ZodType, out);
  if (def.type === 'object') {
    for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) {
      out.add(key);
      fieldNames(value, out);
    }
  } else if (['optional', 'default', 'nullable', 'prefault'].includes(def.type)) inner('innerType');
  else if (def.type === 'pipe') inner('in');
  else if (def.type === 'array') inner('element');
  else if (def.type === 'record') inner('valueType');
  else if (def.type === 'union') for (const option of def.options as z.ZodType[]) fieldNames(option, out);
  return out;
}

const scratch = () => mkdtempSync(join(tmpdir(), 'zeo-init-'));

describe('CLI: zeo init', () => {
  it('scaffolds a project that validates, plans and draws as it is', async () => {
    const cwd = scratch();
    const created = await zeoIn(cwd, 'init', 'acme/curated');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created a curated project in acme/curated/');
    for (const file of ['project.yml', 'models/daily_orders.sql', 'models/daily_orders.yml']) {
      expect(existsSync(join(cwd, 'acme/curated', file)), file).toBe(true);
      expect(created.stdout).toContain(join('acme/curated', file));
    }
    const validated = await zeoIn(cwd, 'validate', '-p', 'acme/curated');
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    // The name comes from the folder above the conventional `curated`.
    expect(validated.stdout.trim()).toBe('✓ acme: 1 models, 1 sources, 1 levels, groups: daily');
    const plan = await zeoIn(cwd, 'plan', '-p', 'acme/curated', '--json');
    expect(JSON.parse(plan.stdout)).toEqual({ levels: [['daily_orders']], modelCount: 1 });
    const graph = await zeoIn(cwd, 'graph', '-p', 'acme/curated');
    expect(graph.stdout).toContain('public.orders');
  });

  it('defaults to ./curated and takes --name', async () => {
    const cwd = scratch();
    expect((await zeoIn(cwd, 'init', '--name', 'acme-reporting')).code).toBe(0);
    const validated = await zeoIn(cwd, 'validate', '--json');
    expect(JSON.parse(validated.stdout)).toMatchObject({ valid: true, project: 'acme-reporting' });
  });

  it('explains every section and field of project.yml and of the model .yml in comments or values', async () => {
    const cwd = scratch();
    await zeoIn(cwd, 'init', 'p');
    const projectYml = readFileSync(join(cwd, 'p/project.yml'), 'utf8');
    const modelYml = readFileSync(join(cwd, 'p/models/daily_orders.yml'), 'utf8');
    for (const key of fieldNames(ProjectFile))
      expect(projectYml, key).toMatch(new RegExp(`^\\s*(# )?${key}:`, 'm'));
    for (const key of Object.keys(ProjectFile.shape)) {
      expect(Object.keys(parse(projectYml) as object), `section ${key}`).toContain(key);
    }
    for (const key of Object.keys(ModelFile.shape))
      expect(modelYml, key).toMatch(new RegExp(`^(# )?${key}:`, 'm'));
    const commentLines = projectYml.split('\n').filter((l) => l.includes('#'));
    expect(commentLines.length).toBeGreaterThan(25);
    expect(readFileSync(join(cwd, 'p/models/daily_orders.sql'), 'utf8')).toContain(
      "{{ source('public', 'orders') }}",
    );
  });

  it('refuses to overwrite an existing project, leaving every file as it was (exit 1)', async () => {
    const cwd = scratch();
    mkdirSync(join(cwd, 'mine'));
    writeFileSync(join(cwd, 'mine/project.yml'), 'name: mine\n');
    const refused = await zeoIn(cwd, 'init', 'mine');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      `error: ${join('mine', 'project.yml')} already exists: zeo init never overwrites a project`,
      expect.stringMatching(/^hint: run 'zeo validate -p mine'/),
    ]);
    expect(readFileSync(join(cwd, 'mine/project.yml'), 'utf8')).toBe('name: mine\n');
    expect(existsSync(join(cwd, 'mine/models'))).toBe(false);

    mkdirSync(join(cwd, 'half/models'), { recursive: true });
    writeFileSync(join(cwd, 'half/models/daily_orders.sql'), 'select 1 as x\n');
    const half = await zeoIn(cwd, 'init', 'half');
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('daily_orders.sql already exists');
    expect(existsSync(join(cwd, 'half/project.yml'))).toBe(false);
    expect(readFileSync(join(cwd, 'half/models/daily_orders.sql'), 'utf8')).toBe('select 1 as x\n');

    const again = scratch();
    expect((await zeoIn(again, 'init')).code).toBe(0);
    expect((await zeoIn(again, 'init')).code).toBe(1);
  });

  it('rejects an invalid --name as a usage error (exit 2) and writes nothing', async () => {
    const cwd = scratch();
    const result = await zeoIn(cwd, 'init', 'x', '--name', 'Not_Valid');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--name 'Not_Valid' is not a project name");
    expect(existsSync(join(cwd, 'x'))).toBe(false);
  });
});
