import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOP_PROJECT } from './project.js';

/**
 * A synthetic curated project of any DAG shape on the shop example's landing tables: every model is a
 * small table of products (`product_id`, `category`), a root reads `public.products`, any other model
 * reads its upstreams (the first one's rows that are in all the others). `models` maps each model to
 * its upstreams, e.g. the diamond `{ a: [], b: ['a'], c: ['a'], d: ['c'], e: ['b', 'd'] }`.
 */
export function writeDagProject(
  models: Record<string, readonly string[]>,
  options: { maxConcurrency?: number } = {},
): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zeo-dag-project-'));
  mkdirSync(join(dir, 'models'));
  let projectYml = readFileSync(join(SHOP_PROJECT, 'project.yml'), 'utf8');
  if (options.maxConcurrency !== undefined) {
    projectYml = projectYml.replace(/maxConcurrency: \d+/, `maxConcurrency: ${options.maxConcurrency}`);
  }
  writeFileSync(join(dir, 'project.yml'), projectYml);
  for (const [name, upstreams] of Object.entries(models)) {
    const [first, ...others] = upstreams;
    const sql =
      first === undefined
        ? 'select product_id, category from {{ source("public", "products") }}'
        : [
            `select product_id, category from {{ ref('${first}') }}`,
            ...others.map(
              (u, i) =>
                `${i === 0 ? 'where' : 'and'} product_id in (select product_id from {{ ref('${u}') }})`,
            ),
          ].join('\n');
    writeFileSync(join(dir, 'models', `${name}.sql`), `${sql}\n`);
    writeFileSync(
      join(dir, 'models', `${name}.yml`),
      [
        `description: Synthetic model ${name}.`,
        'group: nightly',
        'unique_key: [product_id]',
        'columns:',
        '  - { name: product_id, type: bigint, not_null: true }',
        '  - { name: category, type: varchar(32), not_null: true }',
        '',
      ].join('\n'),
    );
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
