import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_PROJECT } from '../helpers/project.js';

/**
 * A resync of every landing table of a 250-table project, from the command line on the embedded
 * stack: the user's own source (`--source`), 250 staging models, `zeo run resync-recovery` with all
 * 250 tables. The rebuild is passed the tables, not a selector string that grows with them (before,
 * a selector built from 250 tables passed curated-refresh's 4,000-character `select` and the rebuild
 * failed its own input), and every notification fits.
 */

const exec = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'zeo.js');
const TABLES = Array.from({ length: 250 }, (_, i) => `t${String(i + 1).padStart(3, '0')}`);
const work = mkdtempSync(join(tmpdir(), 'zeo-big-resync-'));
const project = join(work, 'proj');

beforeAll(() => {
  mkdirSync(join(project, 'models'), { recursive: true });
  const projectYml = readFileSync(join(SHOP_PROJECT, 'project.yml'), 'utf8').replace(
    /^ {2}tables:[\s\S]*?\n(?=\S)/m,
    `  tables:\n    public: [${TABLES.join(', ')}]\n\n`,
  );
  writeFileSync(join(project, 'project.yml'), projectYml);
  for (const t of TABLES) {
    writeFileSync(
      join(project, 'models', `stg_${t}.sql`),
      `select id, label from {{ source('public', '${t}') }}\n`,
    );
    writeFileSync(
      join(project, 'models', `stg_${t}.yml`),
      [
        `description: Staging copy of ${t}.`,
        'group: nightly',
        'unique_key: [id]',
        'columns:',
        '  - { name: id, type: bigint, not_null: true }',
        '  - { name: label, type: varchar(32), not_null: true }',
        '',
      ].join('\n'),
    );
  }
  writeFileSync(
    join(work, 'source.sql'),
    TABLES.map(
      (t) =>
        `CREATE TABLE public.${t} (id bigint PRIMARY KEY, label varchar(32) NOT NULL);\n` +
        `INSERT INTO public.${t} SELECT g, '${t}-' || g FROM generate_series(1, 3) AS g;\n`,
    ).join(''),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('zeo run resync-recovery --local of 250 tables with --source', () => {
  it('rebuilds all 250 staging models and announces the resync', async () => {
    const input = JSON.stringify({ tables: TABLES.map((t) => `public.${t}`) });
    const { stdout } = await exec(
      'node',
      [
        BIN,
        'run',
        'resync-recovery',
        '--local',
        '-p',
        project,
        '--source',
        join(work, 'source.sql'),
        '--input',
        input,
      ],
      { cwd: work, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(stdout).toMatch(/^▶ resync-recovery /);
    const output = JSON.parse(stdout.slice(stdout.indexOf('\n{') + 1)) as {
      rebuild?: { Status?: string; Output?: { counts?: Record<string, number> } };
      notified?: { value?: { notified?: string } };
    };
    expect(output.rebuild?.Status).toBe('SUCCEEDED');
    expect(output.rebuild?.Output?.counts).toEqual({
      selected: 250,
      built: 250,
      failed: 0,
      deferred: 0,
      skipped: 0,
      unchanged: 0,
      withinTolerance: 0,
      missing: 0,
    });
    expect(output.notified?.value?.notified).toBe('Source Tables Resynced');
  }, 300_000);
});
