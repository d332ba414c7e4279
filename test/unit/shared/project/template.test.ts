import { describe, expect, it } from 'vitest';
import { scheduleExpressionProblem } from '../../../../shared/project/schedule.js';
import { parseTemplate, renderTemplate } from '../../../../shared/project/template.js';

describe('Templates', () => {
  it('accepts the whitespace and quote styles dbt allows', () => {
    const sql = `select * from {{source('public','orders')}} o
join {{ ref( "dim_customers" ) }} c on true
join {{   source( "public" , 'payments' )   }} p on true`;
    const parsed = parseTemplate(sql);
    expect(parsed.problems).toEqual([]);
    expect(parsed.references.map((r) => ({ ...r, text: undefined }))).toEqual([
      { kind: 'source', schema: 'public', table: 'orders', line: 1, text: undefined },
      { kind: 'ref', model: 'dim_customers', line: 2, text: undefined },
      { kind: 'source', schema: 'public', table: 'payments', line: 3, text: undefined },
    ]);
    const rendered = renderTemplate(sql, { landingDatabase: 'zdb', modelSchema: () => 'rpt' });
    expect(rendered).toBe(`select * from "zdb"."public"."orders" o
join "rpt"."dim_customers" c on true
join "zdb"."public"."payments" p on true`);
  });

  it('reports malformed references with their line', () => {
    const parsed = parseTemplate("select 1\nfrom {{ ref(orders) }}\n{{ source('only_schema') }}");
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [2, "expected {{ ref('model') }} or {{ source('schema', 'table') }}"],
      [3, 'source() takes exactly two arguments: schema and table'],
    ]);
  });

  it('rejects an opener that is never closed, and Jinja comments, with their line', () => {
    const parsed = parseTemplate(
      "select 1 as a\nfrom {{ ref('dim_customers') }} c\n-- {{ trailing comment\n{# note #} where {% if x",
    );
    expect(parsed.references.map((r) => r.kind)).toEqual(['ref']);
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [3, '{{ is never closed by }}'],
      [4, 'Jinja comments ({# ... #}) are not supported; use SQL comments (-- or /* */)'],
      [4, '{% is never closed by %}'],
    ]);
    // Closing delimiters alone are plain SQL text (e.g. in a LIKE pattern) and stay allowed.
    expect(parseTemplate("select 1 where x like '%}}%'").problems).toEqual([]);
  });
});

describe('Schedule expressions', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(2 hours)',
    'rate(1 day)',
    'cron(5 * * * ? *)',
    'cron(0 3 * * ? *)',
    'cron(0/15 8-18 ? * MON-FRI *)',
    'cron(0 12 L * ? 2027)',
    'cron(0 10 ? * 6L *)',
    'cron(0 9 ? JAN,JUL 2#1 *)',
  ])('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ['rate(0 minutes)', /positive/],
    ['rate(1 minutes)', /singular/],
    ['rate(5 minute)', /plural/],
    ['rate(5 weeks)', /not a valid rate/],
    ['cron(* * * * *)', /6 fields/],
    ['cron(0 3 * * * *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 3 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 25 * * ? *)', /out of range for hours/],
    ['cron(0 3 * FOO ? *)', /out of range for month/],
    ['every hour', /must be rate\(\.\.\.\) or cron\(\.\.\.\)/],
  ])('rejects %s', (expression, pattern) => {
    expect(scheduleExpressionProblem(expression)).toMatch(pattern);
  });
});
