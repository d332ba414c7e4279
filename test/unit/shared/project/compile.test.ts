import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProjectValidationError, type ValidationIssue } from '../../../../shared/errors.js';
import { compileProject, serializeManifest } from '../../../../shared/project/compile.js';
import { shopSources, withFiles } from '../../../helpers/project.js';

const GOLDEN_MANIFEST = 'test/fixtures/golden/shop-manifest.json';

function issuesOf(sources: Parameters<typeof compileProject>[0]): ValidationIssue[] {
  try {
    compileProject(sources);
  } catch (error) {
    if (error instanceof ProjectValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the project to be invalid');
}

const MODEL_YML = `columns:
  - { name: id, type: bigint, not_null: true }
`;

describe('Curated project: compile the shop example', () => {
  it('matches the checked-in manifest byte for byte', () => {
    // Act
    const text = serializeManifest(compileProject(shopSources()));
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN_MANIFEST, text);
    // Assess
    expect(text).toBe(readFileSync(GOLDEN_MANIFEST, 'utf8'));
  });

  it('is deterministic whatever order the files are read in', () => {
    const sources = shopSources();
    const reversed = { ...sources, modelFiles: [...sources.modelFiles].reverse() };
    expect(serializeManifest(compileProject(reversed))).toBe(serializeManifest(compileProject(sources)));
  });

  it('renders ref() and source() to quoted names and records the edges', () => {
    const manifest = compileProject(shopSources());
    const fct = manifest.models.find((m) => m.name === 'fct_orders');
    expect(fct?.sql).toContain('from "aurora_zeroetl"."public"."orders" o');
    expect(fct?.sql).toContain('join "reporting"."dim_customers" c');
    expect(fct?.sql).not.toContain('{{');
    expect(fct?.refs).toEqual(['dim_customers', 'stg_order_lines', 'stg_payments']);
    expect(fct?.sources).toEqual(['public.orders']);
    expect(manifest.edges).toContainEqual(['fct_orders', 'daily_revenue']);
    expect(manifest.levels.length).toBeGreaterThanOrEqual(3);
    expect(manifest.models.length).toBeGreaterThanOrEqual(8);
  });

  it('normalises the physical design', () => {
    const manifest = compileProject(shopSources());
    const byName = Object.fromEntries(manifest.models.map((m) => [m.name, m]));
    expect(byName.fct_orders?.dist).toEqual({ style: 'key', column: 'customer_id' });
    expect(byName.fct_orders?.sort).toEqual({ style: 'compound', columns: ['order_date', 'customer_id'] });
    expect(byName.fct_shipments?.sort).toEqual({
      style: 'interleaved',
      columns: ['shipped_date', 'carrier'],
    });
    expect(byName.dim_customers?.dist).toEqual({ style: 'all' });
    expect(byName.fct_shipments?.dist).toEqual({ style: 'even' });
    expect(byName.stg_payments?.incremental).toEqual({
      strategy: 'merge',
      updatedAt: 'updated_at',
      lookbackSeconds: 3600,
    });
    expect(byName.dim_customers?.grants).toEqual([{ kind: 'role', name: 'reporting_reader' }]);
  });

  it('changes the definition hash when the SQL or the physical design changes, and only then', () => {
    const base = compileProject(shopSources()).models.find((m) => m.name === 'dim_products');
    const sources = shopSources();
    const yml = sources.modelFiles.find((f) => f.path === 'models/dim_products.yml')?.text ?? '';
    const sql = sources.modelFiles.find((f) => f.path === 'models/dim_products.sql')?.text ?? '';
    const resorted = compileProject(
      withFiles(sources, {
        'models/dim_products.yml': yml.replace('sort: [product_id]', 'sort: [category]'),
      }),
    );
    const described = compileProject(
      withFiles(sources, { 'models/dim_products.yml': yml.replace('One row per product.', 'Products.') }),
    );
    const edited = compileProject(withFiles(sources, { 'models/dim_products.sql': `${sql}where active` }));
    const hash = (m: ReturnType<typeof compileProject>) =>
      m.models.find((x) => x.name === 'dim_products')?.definitionHash;
    expect(hash(resorted)).not.toBe(base?.definitionHash);
    expect(hash(edited)).not.toBe(base?.definitionHash);
    expect(hash(described)).toBe(base?.definitionHash);
  });
});

describe('Curated project: validation', () => {
  it('reports every problem at once, each with file, field and line', () => {
    // Prepare: one project with many independent mistakes
    const sources = withFiles(shopSources(), {
      'models/bad_one.sql':
        "select 1 as id from {{ ref('nope') }} join {{ source('public', 'missing') }} on true",
      'models/bad_one.yml': `group: weekly
dist: key(nope)
sort: [id, ghost]
unique_key: [phantom]
materialized: table
incremental: { updated_at: id }
colums: []
columns:
  - { name: id, type: bigint, not_null: true }
  - { name: 9lives, type: blob }
`,
      'models/orphan.yml': MODEL_YML,
      'models/lonely.sql': 'select 1 as id',
    });
    // Act
    const issues = issuesOf(sources);
    const text = issues.map((i) => `${i.file}:${i.line ?? '-'} ${i.field ?? ''} ${i.message}`);
    // Assess
    const expectations: [string, RegExp][] = [
      ['unknown ref', /bad_one\.sql:1 .*unknown model 'nope'/],
      ['unknown source', /bad_one\.sql:1 .*unknown source 'public\.missing'/],
      ['unknown group', /bad_one\.yml:1 group unknown group 'weekly'/],
      ['dist column', /bad_one\.yml:2 dist dist key column 'nope'/],
      ['sort column', /bad_one\.yml:3 sort\[1\] sort key column 'ghost'/],
      ['unique_key column', /bad_one\.yml:4 unique_key\[0\] unique_key column 'phantom'/],
      ['incremental on a table', /bad_one\.yml:6 incremental incremental settings are only allowed/],
      ['unknown key', /bad_one\.yml:7 colums unknown key/],
      ['bad identifier', /bad_one\.yml:10 columns\[1\]\.name .*'9lives' is not a valid identifier/],
      ['bad type', /bad_one\.yml:10 columns\[1\]\.type .*'blob' is not a supported/],
      ['yml without sql', /orphan\.yml:- .*has a \.yml but no \.sql/],
      ['sql without yml', /lonely\.sql:- .*has a \.sql but no \.yml/],
    ];
    for (const [rule, pattern] of expectations) {
      expect(
        text.some((t) => pattern.test(t)),
        `${rule}: ${pattern} not in\n${text.join('\n')}`,
      ).toBe(true);
    }
  });

  it('prints a dependency cycle as a path', () => {
    const sources = withFiles(shopSources(), {
      'models/cyc_a.sql': "select id from {{ ref('cyc_c') }}",
      'models/cyc_a.yml': MODEL_YML,
      'models/cyc_b.sql': "select id from {{ ref('cyc_a') }}",
      'models/cyc_b.yml': MODEL_YML,
      'models/cyc_c.sql': "select id from {{ ref('cyc_b') }}",
      'models/cyc_c.yml': MODEL_YML,
    });
    const messages = issuesOf(sources).map((i) => i.message);
    expect(messages).toContain('dependency cycle: cyc_a -> cyc_b -> cyc_c -> cyc_a');
  });

  it('rejects duplicate models, including names that differ only in case', () => {
    const sources = withFiles(shopSources(), {
      'models/marts/dim_customers.sql': 'select 1 as id',
      'models/Fct_Orders.sql': 'select 1 as id',
      'models/Fct_Orders.yml': MODEL_YML,
    });
    const messages = issuesOf(sources).map((i) => `${i.file} ${i.message}`);
    expect(messages.some((m) => /dim_customers\.sql duplicate model 'dim_customers'/.test(m))).toBe(true);
    expect(messages.some((m) => /duplicate model 'fct_orders'|duplicate model 'Fct_Orders'/.test(m))).toBe(
      true,
    );
  });

  it('rejects bad schedules, unknown project keys and a missing project.yml', () => {
    const project = shopSources().projectYml ?? '';
    const bad = project
      .replace('cron(5 * * * ? *)', 'cron(5 * * * *)')
      .replace('cron(0 3 * * ? *)', 'rate(1 hours)')
      .replace('name: shop-reporting', 'name: shop-reporting\nowner: me');
    const issues = issuesOf(withFiles(shopSources(), { 'project.yml': bad }));
    const text = issues.map((i) => `${i.file} ${i.field} ${i.message}`);
    expect(text).toContainEqual(
      expect.stringMatching(/project\.yml groups\.hourly\.schedule cron expression needs 6 fields/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/project\.yml groups\.nightly\.schedule use the singular unit/),
    );
    expect(text).toContainEqual(expect.stringMatching(/project\.yml owner unknown key/));
    expect(issuesOf(withFiles(shopSources(), { 'project.yml': undefined })).map((i) => i.message)).toContain(
      'file not found',
    );
  });

  it('rejects template expressions other than ref() and source()', () => {
    const issues = issuesOf(
      withFiles(shopSources(), {
        'models/tpl.sql': "select id from {{ ref('dim_customers', 'x') }} {% if true %} {{ var('x') }}",
        'models/tpl.yml': MODEL_YML,
      }),
    );
    const messages = issues.filter((i) => i.file === 'models/tpl.sql').map((i) => i.message);
    expect(messages).toEqual([
      'ref() takes exactly one model name (packages are not supported)',
      'Jinja blocks ({% ... %}) are not supported; only ref() and source()',
      "expected {{ ref('model') }} or {{ source('schema', 'table') }}",
    ]);
  });

  it('requires incremental models to have incremental settings and a unique key, and keeps views on sources', () => {
    const issues = issuesOf(
      withFiles(shopSources(), {
        'models/inc.sql': "select id from {{ source('public', 'orders') }}",
        'models/inc.yml': `materialized: incremental\n${MODEL_YML}`,
        'models/mv.sql': "select id from {{ ref('fct_orders') }}",
        'models/mv.yml': `materialized: materialized_view\nunique_key: id\n${MODEL_YML}`,
      }),
    );
    const text = issues.map((i) => `${i.file} ${i.message}`);
    expect(text).toContain('models/inc.yml an incremental model needs incremental: { updated_at: <column> }');
    expect(text).toContain('models/inc.yml an incremental model needs a unique_key to merge on');
    expect(text).toContainEqual(
      expect.stringMatching(/models\/mv\.sql a materialized_view may read only landing-zone sources/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/models\/mv\.yml unique_key cannot be enforced on a materialized_view/),
    );
    expect(text).toContainEqual(expect.stringMatching(/models\/mv\.yml NOT NULL cannot be declared/));
  });

  it('takes a lower-case workgroupId with a workgroupName only, naming the field', () => {
    const project = shopSources().projectYml ?? '';
    const ID = '7c9e6f4a-2b1d-4e3f-8a5c-6d7e8f9a0b1c';
    expect(project).toContain(`workgroupId: ${ID}`);
    const withProject = (text: string) => withFiles(shopSources(), { 'project.yml': text });
    const problems = (text: string) =>
      issuesOf(withProject(text)).map((i) => `${i.file}:${i.line ?? '-'} ${i.field} ${i.message}`);
    // Not a UUID in lower case: the name, the id in upper case, the whole ARN.
    for (const bad of [
      'analytics',
      ID.toUpperCase(),
      `${ID}-x`,
      `arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/${ID}`,
    ]) {
      expect(problems(project.replace(ID, bad)), bad).toEqual([
        expect.stringMatching(
          /^project\.yml:6 warehouse\.workgroupId workgroupId must be the workgroup's id, a lower-case UUID/,
        ),
      ]);
    }
    // A cluster has no workgroup id.
    const cluster = project.replace('workgroupName: analytics', 'clusterIdentifier: shop-cluster');
    expect(problems(cluster)).toEqual([
      expect.stringMatching(
        /^project\.yml:6 warehouse\.workgroupId workgroupId only applies to a workgroupName$/,
      ),
    ]);
    // Without it the project is valid (the permissions fall back to workgroup/*).
    const unset = compileProject(withProject(project.replace(/^ {2}workgroupId:.*\n/m, '')));
    expect(unset.project.warehouse).toEqual({ workgroupName: 'analytics', database: 'dev' });
    expect(compileProject(shopSources()).project.warehouse.workgroupId).toBe(ID);
  });

  it('explains a numeric(p,s) type cut by a YAML flow mapping', () => {
    const issues = issuesOf(
      withFiles(shopSources(), {
        'models/num.sql': 'select 1 as amount',
        'models/num.yml': 'columns:\n  - { name: amount, type: numeric(12,2) }\n',
      }),
    );
    expect(issues.map((i) => i.message)).toContainEqual(
      expect.stringMatching(/looks cut at a comma: .* quote the type/),
    );
  });
});
