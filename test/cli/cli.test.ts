import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHOP, zeo } from '../helpers/cli.js';

describe('CLI: zeo', () => {
  it('validate passes on the example with a one-line summary', async () => {
    const result = await zeo('validate', ...SHOP);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(
      '✓ shop-reporting: 11 models, 6 sources, 4 levels, groups: hourly, nightly',
    );
  });

  it('validate lists every problem of a broken project and exits 1', async () => {
    const result = await zeo('validate', '-p', 'test/fixtures/projects/broken');
    expect(result.code).toBe(1);
    const expected = [
      /project\.yml:1: name: lower-case letters/,
      /project\.yml:2: warehouse: set exactly one of workgroupName and clusterIdentifier/,
      /project\.yml:5: landing\.integrationArn: must be an ARN/,
      /project\.yml:9: groups\.hourly\.schedule: '61' is out of range for minutes/,
      /orders_by_day\.sql:3: \{\{ ref\('customers'\) \}\}: unknown model 'customers'/,
      /orders_by_day\.yml:6: columns\[1\]\.nullable: unknown key/,
      /orders_by_day\.yml:1: group: unknown group 'daily'/,
      /orders_by_day\.yml:2: dist: dist key column 'day' is not among the declared columns/,
      /orders_by_day\.yml:3: sort\.interleaved: an interleaved sort key has at most 8 columns/,
    ];
    for (const pattern of expected) expect(result.stderr).toMatch(pattern);
    expect(result.stderr).toMatch(/✗ \d+ problem\(s\)/);
  });

  it('validate explains a missing project folder', async () => {
    const result = await zeo('validate', '-p', 'no/such/folder');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no/such/folder: project folder not found');
  });

  it.each([
    ['validate', '-p', ''],
    ['compile', '--project', ''],
    ['plan', ...SHOP, '--json', '-p', ''],
    ['sql', 'dim_products', '-p', ' '],
    ['graph', '-p', ''],
  ])('%s with an empty project folder names the empty -p/--project value', async (...args) => {
    const result = await zeo(...args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const value = JSON.stringify(args[args.length - 1]);
    expect(result.stderr).toContain(`project folder: the path is empty (${value})`);
    expect(result.stderr).toContain('-p/--project');
    expect(result.stderr).not.toMatch(/^\s*: /m);
  });

  it('plan --select source:public.orders+ lists exactly the downstream models', async () => {
    const result = await zeo('plan', ...SHOP, '--select', 'source:public.orders+', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      levels: [
        ['fct_orders'],
        ['customer_lifetime_value', 'daily_revenue', 'fct_shipments'],
        ['region_kpis'],
      ],
      modelCount: 5,
    });
  });

  it('plan prints levels for people and rejects a bad selector with a hint', async () => {
    const human = await zeo('plan', ...SHOP, '--group', 'nightly');
    expect(human.stdout).toContain('level 0:');
    expect(human.stdout).toContain('dim_customers (table, reporting, group nightly)');
    const bad = await zeo('plan', ...SHOP, '--select', 'nope+');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("error: unknown model 'nope' in selector 'nope+'");
    expect(bad.stderr).toContain('hint:');
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('sql shows the DDL with DISTKEY/SORTKEY/NOT NULL, the uniqueness check, the tests and the rename swap', async () => {
    const result = await zeo('sql', 'fct_orders', ...SHOP);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'DISTSTYLE KEY DISTKEY ("customer_id") COMPOUND SORTKEY ("order_date", "customer_id")',
    );
    expect(result.stdout).toContain('"order_id" BIGINT NOT NULL');
    expect(result.stdout).toContain('CALL "zeo"."assert_unique"(\'fct_orders\'');
    expect(result.stdout).toContain('ALTER TABLE "reporting"."fct_orders__zeo_new" RENAME TO "fct_orders"');
    // The model's tests, in place: on the new table, after its rows are in and before the swap.
    const at = (text: string) => result.stdout.indexOf(text);
    const test = at(`CALL "zeo"."assert_test"('fct_orders', 'accepted_values(status)', 'error'`);
    expect(test).toBeGreaterThan(at('INSERT INTO "reporting"."fct_orders__zeo_new"'));
    expect(test).toBeLessThan(at('ALTER TABLE "reporting"."fct_orders" RENAME TO'));
    const unknown = await zeo('sql', 'nope', ...SHOP);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown model 'nope'");
  });

  it('compile --out writes the manifest', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'zeo-')), 'manifest.json');
    const result = await zeo('compile', ...SHOP, '--out', out);
    expect(result.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('test/fixtures/golden/shop-manifest.json', 'utf8'));
  });
});
