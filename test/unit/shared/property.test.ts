import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIdentifierError, ProjectValidationError } from '../../../shared/errors.js';
import { compileProject, type ProjectSources, serializeManifest } from '../../../shared/project/compile.js';
import { buildBatch } from '../../../shared/sql/build.js';
import { identifierProblem, literal, quoteIdent } from '../../../shared/sql/identifiers.js';

const PROJECT = `name: prop
warehouse: { workgroupName: wg1, database: dev }
landing:
  database: landing
  integrationArn: arn:aws:rds:us-east-1:123456789012:integration:abc-123
  sourceDatabase: src
  tables: { public: [t1, t2, t3] }
groups: { g1: { schedule: "rate(5 minutes)" } }
`;

const identifierArb = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);

interface ModelSpec {
  name: string;
  columns: string[];
  refs: readonly number[];
  sources: string[];
  dist: number;
  sort: number;
  interleaved: boolean;
  incremental: boolean;
}

const projectArb = fc
  .uniqueArray(identifierArb, { minLength: 1, maxLength: 25, selector: (s) => s.toLowerCase() })
  .chain((names) =>
    fc.tuple(
      ...names.map((name, i) =>
        fc.record({
          name: fc.constant(name),
          columns: fc.uniqueArray(identifierArb, { minLength: 1, maxLength: 5 }),
          // Only earlier models: the generated DAG is acyclic by construction.
          refs: i === 0 ? fc.constant<number[]>([]) : fc.uniqueArray(fc.nat(i - 1), { maxLength: 3 }),
          sources: fc.uniqueArray(fc.constantFrom('t1', 't2', 't3'), { maxLength: 2 }),
          dist: fc.nat(10),
          sort: fc.nat(10),
          interleaved: fc.boolean(),
          incremental: fc.boolean(),
        }),
      ),
    ),
  );

function render(models: ModelSpec[]): ProjectSources {
  const files: { path: string; text: string }[] = [];
  for (const m of models) {
    const from = [
      ...m.refs.map((r) => `{{ ref('${models[r]?.name}') }}`),
      ...m.sources.map((s) => `{{ source("public", "${s}") }}`),
    ];
    const select = m.columns.map((c) => `1 as ${c}`).join(', ');
    files.push({
      path: `models/${m.name}.sql`,
      text: `select ${select}${from.length ? ` from ${from.join(' cross join ')}` : ''}`,
    });
    const dist =
      m.dist % 4 === 0 ? `key(${m.columns[m.dist % m.columns.length]})` : ['auto', 'even', 'all'][m.dist % 3];
    const sortCols = m.columns.slice(0, 1 + (m.sort % m.columns.length));
    const sort = m.interleaved
      ? `{ interleaved: [${sortCols.slice(0, 8).join(', ')}] }`
      : `[${sortCols.join(', ')}]`;
    const first = m.columns[0];
    const inc = m.incremental
      ? `materialized: incremental\nunique_key: ${first}\nincremental: { updated_at: ${first}, lookback: 2 days }\n`
      : '';
    const columns = m.columns.map(
      (c, i) => `  - { name: ${c}, type: ${i % 2 ? 'bigint' : "'varchar(20)'"}, not_null: ${i === 0} }`,
    );
    files.push({
      path: `models/${m.name}.yml`,
      text: `group: g1\ndist: ${dist}\nsort: ${sort}\n${inc}columns:\n${columns.join('\n')}\n`,
    });
  }
  return { projectYml: PROJECT, modelFiles: files };
}

describe('Property: random valid projects', () => {
  it('compile, level correctly, are deterministic and generate only quoted identifiers', () => {
    fc.assert(
      fc.property(projectArb, (models) => {
        const sources = render(models);
        const manifest = compileProject(sources);
        expect(manifest.models).toHaveLength(models.length);
        const levelOf = new Map(manifest.levels.flatMap((level, i) => level.map((n) => [n, i] as const)));
        for (const m of manifest.models) {
          for (const up of m.refs) expect(levelOf.get(up)).toBeLessThan(levelOf.get(m.name) ?? -1);
          const mode = m.materialized === 'incremental' ? 'merge' : 'full';
          const sqls = buildBatch(m, mode, {
            runId: 'r1',
            trigger: 'prop',
          }).sqls;
          expect(sqls.join('\n')).toContain(`"${m.name}`);
        }
        const shuffled = { ...sources, modelFiles: [...sources.modelFiles].reverse() };
        expect(serializeManifest(compileProject(shuffled))).toBe(serializeManifest(manifest));
      }),
      { numRuns: 150 },
    );
  });
});

describe('Property: identifiers and literals', () => {
  it('an arbitrary string is either rejected or quoted to a safe identifier', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 140, unit: 'binary' }), (value) => {
        if (identifierProblem(value)) {
          expect(() => quoteIdent(value)).toThrow(InvalidIdentifierError);
        } else {
          expect(quoteIdent(value)).toMatch(/^"[A-Za-z_][A-Za-z0-9_]*"$/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('an arbitrary string is either refused as a literal or cannot close its quotes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), (value) => {
        let quoted: string;
        try {
          quoted = literal(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidIdentifierError);
          return;
        }
        // Inside the outer quotes every quote is doubled, so the literal cannot be terminated early.
        expect(quoted.slice(1, -1).replaceAll("''", '')).not.toContain("'");
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary model files and names are rejected with ProjectValidationError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 200 }),
        (name, yml, sql) => {
          const sources: ProjectSources = {
            projectYml: PROJECT,
            modelFiles: [
              { path: `models/${name}.yml`, text: yml },
              { path: `models/${name}.sql`, text: sql },
            ],
          };
          try {
            compileProject(sources);
          } catch (error) {
            expect(error).toBeInstanceOf(ProjectValidationError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
