import { describe, expect, it } from 'vitest';
import { ProjectValidationError, type ValidationIssue } from '../../../../shared/errors.js';
import { expressionProblem } from '../../../../shared/project/audits.js';
import { compileProject } from '../../../../shared/project/compile.js';
import { shopFile } from '../../../helpers/manifest-variant.js';
import { shopSources, withFiles } from '../../../helpers/project.js';

/** zeo validate on model tests: every problem with its file, line and field; nothing compiled. */
function issuesWith(files: Record<string, string>): string[] {
  try {
    compileProject(withFiles(shopSources(), files));
  } catch (error) {
    if (error instanceof ProjectValidationError)
      return error.issues.map(
        (i: ValidationIssue) => `${i.file}:${i.line ?? '-'} ${i.field ?? ''} ${i.message}`,
      );
    throw error;
  }
  throw new Error('expected the project to be invalid');
}

const FCT = 'models/fct_orders.yml';
const fctWithTests = (tests: string) =>
  `${shopFile(FCT).replace(/\ntests:\n[\s\S]*$/, '\n')}tests:\n${tests}`;

describe('model tests in the project format', () => {
  it('compiles the shop example: column and model tests with their severity, in order; a relationships test is an edge', () => {
    const manifest = compileProject(shopSources());
    const fct = manifest.models.find((m) => m.name === 'fct_orders');
    expect(fct?.audits.map((a) => [a.name, a.severity, a.scope])).toEqual([
      ['relationships(customer_id → dim_customers.customer_id)', 'error', 'table'],
      ['accepted_values(status)', 'error', 'table'],
      ['expression_is_true(paid_amount >= 0)', 'error', 'table'],
      ['row_count(min 1)', 'error', 'table'],
      ['row_count_change(max_drop_percent 50)', 'warn', 'table'],
    ]);
    expect(fct?.audits[0]?.check).toEqual({
      kind: 'relationships',
      column: 'customer_id',
      field: 'customer_id',
      model: 'dim_customers',
      relation: '"reporting"."dim_customers"',
    });
    // Only models with tests hash them: every other model's definition (and so its builds) is unchanged.
    const line = withFiles(shopSources(), {
      'models/stg_order_lines.yml': shopFile('models/stg_order_lines.yml').replace(
        '  - { name: product_id, type: bigint, not_null: true }',
        `  - { name: product_id, type: bigint, not_null: true,
      tests: [ { relationships: { to: "ref('dim_products')", field: product_id } } ] }`,
      ),
    });
    const compiled = compileProject(line);
    expect(compiled.edges).toContainEqual(['dim_products', 'stg_order_lines']);
    expect(compiled.models.find((m) => m.name === 'stg_order_lines')?.refs).toContain('dim_products');
    const hash = (m: typeof manifest, name: string) => m.models.find((x) => x.name === name)?.definitionHash;
    expect(hash(compiled, 'stg_order_lines')).not.toBe(hash(manifest, 'stg_order_lines'));
    expect(hash(compiled, 'dim_products')).toBe(hash(manifest, 'dim_products'));
  });

  it('rejects unknown tests and invalid arguments, naming file, line and field', () => {
    const issues = issuesWith({
      [FCT]: fctWithTests(`  - { not_a_test: [order_id] }
  - { row_count: { severity: fatal, min: 1 } }
  - { row_count: {} }
`),
    });
    expect(issues).toEqual([
      'models/fct_orders.yml:21 tests[0].not_a_test unknown key',
      'models/fct_orders.yml:21 tests[0] a model test is exactly one of: expression_is_true, row_count, row_count_change, unique',
      'models/fct_orders.yml:22 tests[1].row_count.severity Invalid option: expected one of "error"|"warn"',
      'models/fct_orders.yml:23 tests[2].row_count row_count needs min, max or both',
    ]);
  });

  it('rejects tests on undeclared columns and a window scope outside incremental models', () => {
    const issues = issuesWith({
      [FCT]: fctWithTests(`  - { unique: [order_id, nope] }
  - { expression_is_true: { expression: "amount > 0", scope: window } }
`),
    });
    expect(issues).toEqual([
      "models/fct_orders.yml:21 tests[0].unique.columns[1] column 'nope' is not among the declared columns",
      'models/fct_orders.yml:22 tests[1].expression_is_true.scope scope: window applies to incremental models only (is table)',
    ]);
  });

  it('rejects an expression that is not one boolean expression', () => {
    for (const [expression, problem] of [
      ['amount > 0; DROP TABLE x', 'has a semicolon'],
      ['amount > 0 -- always', 'has a comment'],
      ['amount > (0', 'leaves a parenthesis open'],
      ["status = 'open", "never closes its ' quote"],
      ['amount > (SELECT 1)', 'has a statement keyword'],
      ['', 'is empty'],
    ] as const) {
      expect(expressionProblem(expression), expression).toContain(problem);
    }
    expect(expressionProblem("amount >= paid_amount AND status IN ('a', 'b')")).toBeUndefined();
    const issues = issuesWith({
      [FCT]: fctWithTests('  - { expression_is_true: "amount > 0; select 1" }\n'),
    });
    expect(issues).toEqual([
      'models/fct_orders.yml:21 tests[0].expression_is_true the expression has a semicolon: one expression only',
    ]);
  });

  it('rejects relationships to unknown models, sources and columns, and values of the wrong type', () => {
    const yml = shopFile(FCT)
      .replace(
        `tests: [ { relationships: { to: "ref('dim_customers')", field: customer_id } } ]`,
        `tests: [ { relationships: { to: "ref('dim_nobody')", field: customer_id } }, { relationships: { to: "ref('dim_customers')", field: nope } }, { relationships: { to: "source('public', 'nowhere')", field: id } } ]`,
      )
      .replace(
        '  - { name: line_count, type: integer, not_null: true }',
        '  - { name: line_count, type: integer, not_null: true, tests: [ { accepted_values: { values: [1, two] } } ] }',
      );
    expect(issuesWith({ [FCT]: yml })).toEqual([
      "models/fct_orders.yml:10 columns[1].tests[0].relationships.to unknown model 'dim_nobody'",
      "models/fct_orders.yml:10 columns[1].tests[1].relationships.field column 'nope' is not among the declared columns of dim_customers",
      "models/fct_orders.yml:10 columns[1].tests[2].relationships.to unknown source 'public.nowhere' (declare it in project.yml landing.tables)",
      "models/fct_orders.yml:17 columns[7].tests[0].accepted_values.values[1] 'two' is not a number, and column line_count is integer",
    ]);
    const notAReference = shopFile(FCT).replace(`to: "ref('dim_customers')"`, 'to: dim_customers');
    expect(issuesWith({ [FCT]: notAReference })).toEqual([
      `models/fct_orders.yml:10 columns[1].tests[0].relationships.to must be "ref('<model>')" or "source('<schema>', '<table>')"`,
    ]);
  });

  it('refuses tests on a materialized view (its refresh commits on its own)', () => {
    const mv = 'models/mv_payment_methods.yml';
    const issues = issuesWith({ [mv]: `${shopFile(mv)}tests:\n  - { row_count: { min: 1 } }\n` });
    expect(issues).toEqual([
      'models/mv_payment_methods.yml:12 tests[0].row_count tests cannot run on a materialized_view (its refresh commits on its own and cannot be rolled back)',
    ]);
  });

  it('refuses a model whose build, with its tests, would not fit one Data API batch', () => {
    const many = Array.from({ length: 30 }, (_, i) => `  - { row_count: { min: ${i} } }`).join('\n');
    expect(issuesWith({ [FCT]: fctWithTests(`${many}\n`) })).toEqual([
      "models/fct_orders.yml:21 tests the model's build is 46 statements with its tests and grants; one Data API batch (one transaction) holds at most 40: drop some tests or grantees",
    ]);
  });
});
