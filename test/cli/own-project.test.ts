import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, zeoIn } from '../helpers/cli.js';

/**
 * A new user's path, from a folder outside the repository: `zeo init`, their own source schema and data
 * (`--source`), a refresh on the local stack, the curated rows read back with `zeo local query` and
 * compared with the model's SQL evaluated on the source itself.
 */

const exec = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'zeo.js');
const work = mkdtempSync(join(tmpdir(), 'zeo-own-'));
const state = join(work, 'state', 'local.json');
const env = { ...process.env, NO_COLOR: '1', ZEO_LOCAL_STATE: state };
const zeo = (...args: string[]): Promise<CliResult> =>
  exec('node', [BIN, ...args], { cwd: work, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }),
  );

const SOURCE = `-- the app's orders, as pg_dump writes them
SET statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.orders (
    id bigint NOT NULL,
    created_at timestamp without time zone NOT NULL,
    amount numeric(12,2) NOT NULL
);
ALTER TABLE public.orders OWNER TO app_owner;
COPY public.orders (id, created_at, amount) FROM stdin;
1	2026-01-01 10:00:00	10.50
2	2026-01-01 11:00:00	5.25
3	2026-01-02 09:00:00	7.00
\\.
ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
INSERT INTO public.orders SELECT g, TIMESTAMP '2026-01-03 00:00:00' + g * INTERVAL '7 hours', g * 1.25 FROM generate_series(4, 40) AS g;
`;

beforeAll(async () => {
  expect((await zeo('init', 'proj')).code).toBe(0);
  writeFileSync(join(work, 'source.sql'), SOURCE);
});

/** daily_orders of `zeo init`, evaluated on the source itself: what the curated table must hold. */
async function expectedDailyOrders(): Promise<unknown[]> {
  const db = await PGlite.create();
  try {
    await db.exec(
      SOURCE.replace(/^(CREATE EXTENSION|ALTER TABLE public.orders OWNER).*$/gm, '').replace(
        /^COPY[\s\S]*?^\\\.$/m,
        '',
      ),
    );
    await db.exec(
      `INSERT INTO public.orders VALUES (1, '2026-01-01 10:00:00', 10.50), (2, '2026-01-01 11:00:00', 5.25), (3, '2026-01-02 09:00:00', 7.00)`,
    );
    const model = readFileSync(join(work, 'proj/models/daily_orders.sql'), 'utf8').replace(
      /\{\{\s*source\('public',\s*'orders'\)\s*\}\}/,
      'public.orders',
    );
    const rows = await db.query<Record<string, unknown>>(
      `SELECT order_date::text AS order_date, orders::int AS orders, revenue::text AS revenue FROM (${model}) m ORDER BY 1`,
    );
    return rows.rows;
  } finally {
    await db.close();
  }
}

describe('CLI: your own project and source, from outside the repository', () => {
  it('a one-shot refresh with --source builds every model (pg_dump extras skipped and named)', async () => {
    const run = await zeo(
      'run',
      'curated-refresh',
      '--local',
      '-p',
      'proj',
      '--source',
      'source.sql',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      output: { counts: { selected: 1, built: 1 } },
    });
    expect(run.stderr).toMatch(
      /skipped 2 statement\(s\).*line 3 CREATE EXTENSION.*line 9 ALTER TABLE public\.orders OWNER TO app_owner/,
    );
  });

  it('a running stack on that source: zeo run, then zeo local query returns the model SQL evaluated on the source', async () => {
    const daemon = spawn('node', [BIN, 'local', 'start', '-p', 'proj', '--source', 'source.sql'], {
      cwd: work,
      env,
      stdio: 'pipe',
    });
    let output = '';
    daemon.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    daemon.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    try {
      for (let i = 0; i < 240 && !existsSync(state); i++) await new Promise((r) => setTimeout(r, 250));
      expect(existsSync(state), output).toBe(true);

      // No -p: the running stack's project is meant. Another project is refused, naming the running one.
      const run = await zeo('run', 'curated-refresh', '--local', '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ output: { counts: { built: 1 } } });
      const other = await zeo(
        'run',
        'curated-refresh',
        '--local',
        '-p',
        join(process.cwd(), 'examples/shop/curated'),
      );
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/-p: a local stack is running on .*proj/);
      const otherSource = await zeo('run', 'curated-refresh', '--local', '--source', 'other.sql');
      expect(otherSource.code).toBe(2);
      expect(otherSource.stderr).toMatch(/--source: the running local stack loaded .*source\.sql/);

      const query = await zeo(
        'local',
        'query',
        'select order_date::varchar as order_date, orders::int as orders, revenue::varchar as revenue from reporting.daily_orders order by 1',
        '--json',
      );
      expect(query.code, query.stderr).toBe(0);
      const rows = JSON.parse(query.stdout) as unknown[];
      expect(rows.length).toBeGreaterThan(5);
      expect(rows).toEqual(await expectedDailyOrders());
      // Landing tables by their three-part name; a table, with the row count, for people.
      const landing = await zeo('local', 'query', 'select count(*) as n from aurora_zeroetl.public.orders');
      expect(landing.stdout).toMatch(/^n\s*\n.*\n40\s*\n\(1 row\)/m);
      // SQL from a file or standard input, without the `--` trap of a leading comment.
      writeFileSync(
        join(work, 'change.sql'),
        '-- a comment first\nALTER TABLE public.orders ADD COLUMN note text;\n',
      );
      const ddl = await zeo('local', 'inject', 'ddl', '--file', 'change.sql');
      expect(ddl.code, ddl.stderr).toBe(0);
      expect(ddl.stdout).toMatch(/"resyncing":\["public\.orders"\]/);
      const piped = await exec(
        'bash',
        ['-c', `echo 'select count(*) as n from reporting.daily_orders' | node ${BIN} local query --json`],
        { cwd: work, env },
      );
      expect(JSON.parse(piped.stdout)).toEqual([{ n: rows.length }]);
      const status = await zeo('status', '--local', '--json');
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ models: [{ model: 'daily_orders' }] });
      const otherStatus = await zeo('status', '--local', '-p', join(process.cwd(), 'examples/shop/curated'));
      expect(otherStatus.code).toBe(2);
      expect(otherStatus.stderr).toMatch(/-p: a local stack is running on .*proj/);
      const bad = await zeo('local', 'query', 'select * from reporting.nope');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/relation .*nope.* does not exist/);

      expect((await zeo('local', 'stop')).code).toBe(0);
      expect(await exited).toBe(0);
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
    }
  }, 180_000);

  it('bad --source input: one line naming the file (and line), exit 2, nothing started', async () => {
    const missing = await zeo('run', 'curated-refresh', '--local', '-p', 'proj', '--source', 'nope.sql');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--source: cannot read nope\.sql: no such file/);
    writeFileSync(
      join(work, 'broken.sql'),
      'CREATE TABLE public.orders (id int PRIMARY KEY);\n\nINSERT INTO public.orders VALUES (1), (1);\n',
    );
    const broken = await zeo('run', 'curated-refresh', '--local', '-p', 'proj', '--source', 'broken.sql');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.sql:3: INSERT INTO public\.orders VALUES failed: duplicate key/);
    // A stack whose start fails closes what it started and exits: it never hangs, leaves no control file.
    const daemon = await zeo('local', 'start', '-p', 'proj', '--source', 'broken.sql');
    expect(daemon.code).toBe(2);
    expect(daemon.stderr).toMatch(/broken\.sql:3: INSERT INTO public\.orders VALUES failed/);
    expect(existsSync(state)).toBe(false);
    const notLocal = await zeo('run', 'curated-refresh', '-p', 'proj', '--source', 'source.sql');
    expect(notLocal.code).toBe(2);
    expect(notLocal.stderr).toMatch(/--source: only applies with --local/);
  });

  it('a refresh that builds nothing because no landing table is replicated warns and exits 3', async () => {
    writeFileSync(join(work, 'unrelated.sql'), 'CREATE TABLE public.unrelated (id int PRIMARY KEY);\n');
    const run = await zeo('run', 'curated-refresh', '--local', '-p', 'proj', '--source', 'unrelated.sql');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /nothing was built: all 1 selected model\(s\) were deferred .*public\.orders has no replication state/,
    );
  });
});

describe('CLI: zeo check and zeo package on your own project', () => {
  it('zeo check names the failing build, the type that cannot hold the values, extra columns and blocked downstream models', async () => {
    cpSync(join(work, 'proj'), join(work, 'bad'), { recursive: true });
    writeFileSync(
      join(work, 'bad/models/daily_orders.sql'),
      "select cast(created_at as date) as order_date, count(*) as orders, cast(sum(amount) as varchar(20)) as revenue, max(id) as extra_col\nfrom {{ source('public', 'orders') }}\ngroup by cast(created_at as date)\n",
    );
    writeFileSync(join(work, 'bad/models/weekly.sql'), "select order_date from {{ ref('daily_orders') }}\n");
    writeFileSync(
      join(work, 'bad/models/weekly.yml'),
      'columns:\n  - { name: order_date, type: date, not_null: true }\n',
    );
    const result = await zeo('check', '-p', 'bad', '--source', 'source.sql', '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      models: { model: string; build: string; problems: { column?: string; message: string }[] }[];
    };
    expect(report.ok).toBe(false);
    expect(report.models.map((m) => [m.model, m.build])).toEqual([
      ['daily_orders', 'failed'],
      ['weekly', 'skipped'],
    ]);
    const daily = report.models[0]?.problems.map((p) => `${p.column ?? '-'}: ${p.message}`) ?? [];
    expect(daily).toEqual([
      expect.stringMatching(
        /^-: the build fails: .*column "revenue" is of type numeric but expression is of type character varying/,
      ),
      expect.stringMatching(
        /^revenue: declared numeric\(18,2\), the SELECT produces character varying\(20\): .*cannot be stored/,
      ),
      expect.stringMatching(/^extra_col: produced by the SELECT \(bigint\) but not declared/),
    ]);
    expect(report.models[1]?.problems).toEqual([
      { severity: 'problem', message: 'cannot be checked until daily_orders builds' },
    ]);
    const good = await zeo('check', '-p', 'proj', '--source', 'source.sql');
    expect(good.code, good.stderr).toBe(0);
    const missing = await zeo('check', '-p', 'proj');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--source/);
  }, 120_000);

  it('zeo package refuses a bad stage or region before anything runs', async () => {
    const stage = await zeo('package', '-p', 'proj', '--stage', 'has space');
    expect(stage.code).toBe(2);
    expect(stage.stderr).toMatch(/--stage: 'has space' is not a stage name/);
    const region = await zeo('package', '-p', 'proj', '--stage', 'dev', '--region', 'mars-1');
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/--region: 'mars-1' is not an AWS region/);
    expect(existsSync(join(work, '.zeo/package'))).toBe(false);
  });
});

describe('CLI: the local stack from another directory', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'zeo-elsewhere-'));
  it('zeo run --local on the shop example works outside the repository (assets come from the package)', async () => {
    const result = await zeoIn(
      elsewhere,
      'run',
      'curated-refresh',
      '--local',
      '-p',
      join(process.cwd(), 'examples/shop/curated'),
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      output: { counts: { built: 11 } },
    });
  });
});
