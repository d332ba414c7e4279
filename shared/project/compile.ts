import { createHash } from 'node:crypto';
import { ProjectValidationError, StatementTooLargeError, type ValidationIssue } from '../errors.js';
import { buildDag, findCycle, topologicalLevels } from '../graph/dag.js';
import { BOOKKEEPING_SCHEMA } from '../sql/bookkeeping.js';
import { type BuildMode, buildBatch } from '../sql/build.js';
import {
  identifierProblem,
  MAX_MODEL_NAME_LENGTH,
  qualified,
  WORK_TABLE_SUFFIXES,
} from '../sql/identifiers.js';
import { MAX_BATCH_STATEMENTS } from '../sql/limits.js';
import { auditRefs, checkAudits, compileAudits } from './audits.js';
import { parseDuration } from './duration.js';
import { fieldPath } from './field-path.js';
import type { ColumnContract, Distribution, Grant, Manifest, ManifestModel, SortKey } from './manifest.js';
import { MANIFEST_FORMAT_VERSION } from './manifest.js';
import { LandingConfig, ModelFile, ProjectFile } from './schema.js';
import { parseTemplate, renderTemplate, type TemplateReference } from './template.js';
import { parseYamlFile, validateYaml, type YamlFile } from './yaml-file.js';

/** The text of a curated project's files, keyed by path relative to the project folder. */
export interface ProjectSources {
  /** Contents of `project.yml`, or undefined when the file is missing. */
  projectYml: string | undefined;
  /** `models/**` files: `.sql` and `.yml`/`.yaml`, with their paths relative to the project folder. */
  modelFiles: readonly { path: string; text: string }[];
}

/** Model SQL plus the wrapping INSERT must stay under the Data API's 100 KB statement limit. */
const MAX_MODEL_SQL_BYTES = 90_000;

interface ModelDraft {
  name: string;
  sqlPath?: string;
  sqlText?: string;
  ymlPath?: string;
  ymlText?: string;
}

interface ParsedModel {
  name: string;
  sqlPath: string;
  sqlText: string;
  yaml: YamlFile;
  spec: ModelFile;
  references: TemplateReference[];
}

const compareIssues = (a: ValidationIssue, b: ValidationIssue) =>
  a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file < b.file ? -1 : 1;

function baseName(path: string): { name: string; ext: string } | undefined {
  const m = /(?:^|\/)([^/]+)\.(sql|ya?ml)$/.exec(path);
  return m ? { name: m[1] ?? '', ext: m[2] === 'sql' ? 'sql' : 'yml' } : undefined;
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function parseDist(text: string): Distribution {
  const lower = text.trim().toLowerCase();
  const key = /^key\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/i.exec(text.trim());
  if (key) return { style: 'key', column: key[1] ?? '' };
  return { style: lower === 'even' ? 'even' : lower === 'all' ? 'all' : 'auto' };
}

function parseSort(sort: ModelFile['sort']): SortKey {
  if (sort === undefined) return null;
  if (sort === 'auto') return { style: 'auto' };
  if (Array.isArray(sort)) return { style: 'compound', columns: sort };
  if ('interleaved' in sort) return { style: 'interleaved', columns: sort.interleaved };
  return { style: 'compound', columns: sort.compound };
}

function parseGrant(text: string): Grant {
  const [kind, name] = text.includes(':') ? text.split(':', 2) : ['user', text];
  return { kind: kind === 'role' ? 'role' : kind === 'group' ? 'group' : 'user', name: name ?? '' };
}

function collectDrafts(sources: ProjectSources, issues: ValidationIssue[]): Map<string, ModelDraft> {
  const drafts = new Map<string, ModelDraft>();
  const seenLower = new Map<string, string>();
  for (const { path, text } of [...sources.modelFiles].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const parsed = baseName(path);
    if (!parsed) continue;
    const draft = drafts.get(parsed.name) ?? { name: parsed.name };
    const slot = parsed.ext === 'sql' ? 'sqlPath' : 'ymlPath';
    const existing = draft[slot];
    if (existing !== undefined) {
      issues.push({ file: path, message: `duplicate model '${parsed.name}' (also defined in ${existing})` });
      continue;
    }
    const lower = parsed.name.toLowerCase();
    const clash = seenLower.get(lower);
    if (clash !== undefined && clash !== parsed.name) {
      issues.push({
        file: path,
        message: `duplicate model '${parsed.name}': differs from '${clash}' only in case`,
      });
      continue;
    }
    seenLower.set(lower, parsed.name);
    if (parsed.ext === 'sql') {
      draft.sqlPath = path;
      draft.sqlText = text;
    } else {
      draft.ymlPath = path;
      draft.ymlText = text;
    }
    drafts.set(parsed.name, draft);
  }
  return drafts;
}

function checkModelName(draft: ModelDraft, file: string, issues: ValidationIssue[]): boolean {
  const problem = identifierProblem(draft.name, MAX_MODEL_NAME_LENGTH);
  if (problem) {
    issues.push({ file, field: 'model name', message: `model name ${problem}` });
    return false;
  }
  const reserved = Object.values(WORK_TABLE_SUFFIXES).find((s) => draft.name.toLowerCase().endsWith(s));
  if (reserved) {
    issues.push({
      file,
      field: 'model name',
      message: `model names must not end with '${reserved}' (reserved)`,
    });
    return false;
  }
  return true;
}

function parseModel(draft: ModelDraft, issues: ValidationIssue[]): ParsedModel | undefined {
  const { sqlPath, sqlText, ymlPath, ymlText } = draft;
  if (sqlPath === undefined || sqlText === undefined) {
    issues.push({
      file: ymlPath ?? draft.name,
      message: `model '${draft.name}' has a .yml but no .sql file`,
    });
    return undefined;
  }
  if (ymlPath === undefined || ymlText === undefined) {
    issues.push({
      file: sqlPath,
      message: `model '${draft.name}' has a .sql but no .yml file (columns and physical design are declared there)`,
    });
    return undefined;
  }
  if (!checkModelName(draft, sqlPath, issues)) return undefined;
  const template = parseTemplate(sqlText);
  for (const p of template.problems) {
    issues.push({ file: sqlPath, line: p.line, field: p.text, message: p.message });
  }
  if (sqlText.trim().length === 0) issues.push({ file: sqlPath, message: 'model SQL is empty' });
  if (Buffer.byteLength(sqlText) > MAX_MODEL_SQL_BYTES) {
    issues.push({
      file: sqlPath,
      message: `model SQL is ${Buffer.byteLength(sqlText)} bytes; the Data API allows 100 KB per statement (keep it under ${MAX_MODEL_SQL_BYTES})`,
    });
  }
  if (sqlText.replace(/--[^\n]*/g, '').includes(';')) {
    issues.push({ file: sqlPath, message: 'model SQL must be one SELECT without semicolons' });
  }
  const parsedYaml = parseYamlFile(ymlPath, ymlText);
  issues.push(...parsedYaml.issues);
  if (!parsedYaml.yaml) return undefined;
  const validated = validateYaml(parsedYaml.yaml, ModelFile);
  issues.push(...validated.issues);
  return {
    name: draft.name,
    sqlPath,
    sqlText,
    yaml: parsedYaml.yaml,
    // An invalid file is still checked for the cross-field rules, so one run lists every problem.
    spec: validated.data ?? salvageModelFile(parsedYaml.yaml.value),
    references: template.references,
  };
}

/** The valid parts of an invalid model file, so the cross-file checks can still run on them. */
function salvageModelFile(raw: unknown): ModelFile {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const salvaged: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ModelFile.shape)) {
    const result = schema.safeParse(record[key]);
    if (result.success) salvaged[key] = result.data;
  }
  if (salvaged.columns === undefined) {
    const columns = Array.isArray(record.columns) ? record.columns : [];
    // Keep every named column so membership checks (dist, sort, unique_key) do not report false positives.
    salvaged.columns = columns.flatMap((c: unknown) => {
      const name = typeof c === 'object' && c !== null ? (c as Record<string, unknown>).name : undefined;
      return typeof name === 'string' ? [{ name, type: 'unknown', not_null: false }] : [];
    });
  }
  return salvaged as ModelFile;
}

/**
 * What the model checks need from project.yml. Built from the valid parts of an invalid project.yml
 * too, so that one run reports the model problems as well; an unknown part skips the checks on it.
 */
interface ProjectRules {
  defaults: ProjectFile['defaults'];
  groupNames?: string[];
  landingTables?: ProjectFile['landing']['tables'];
}

function projectRules(raw: unknown, valid: ProjectFile | undefined): ProjectRules {
  if (valid)
    return {
      defaults: valid.defaults,
      groupNames: Object.keys(valid.groups),
      landingTables: valid.landing.tables,
    };
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const defaults = ProjectFile.shape.defaults.safeParse(record.defaults);
  // Group names are known even when a group's settings are invalid.
  const groups = record.groups;
  const landing =
    typeof record.landing === 'object' && record.landing !== null
      ? (record.landing as Record<string, unknown>)
      : {};
  const tables = LandingConfig.shape.tables.safeParse(landing.tables);
  return {
    defaults: defaults.success ? defaults.data : { schema: 'reporting', materialized: 'table' },
    ...(typeof groups === 'object' && groups !== null ? { groupNames: Object.keys(groups) } : {}),
    ...(tables.success ? { landingTables: tables.data } : {}),
  };
}

/** Cross-field rules of one model's .yml: every column named in the physical design is declared. */
function checkModelContract(model: ParsedModel, project: ProjectRules, issues: ValidationIssue[]): void {
  const { spec, yaml } = model;
  const issue = (path: (string | number)[], message: string) =>
    issues.push({ file: yaml.file, field: fieldPath(path), line: yaml.lineOf(path), message });
  const declared = new Set<string>();
  for (const [i, column] of spec.columns.entries()) {
    if (declared.has(column.name.toLowerCase()))
      issue(['columns', i, 'name'], `duplicate column '${column.name}'`);
    declared.add(column.name.toLowerCase());
  }
  const columnNames = new Set(spec.columns.map((c) => c.name));
  const requireColumn = (path: (string | number)[], column: string, role: string) => {
    if (!columnNames.has(column)) {
      issue(path, `${role} column '${column}' is not among the declared columns`);
    }
  };
  const dist = parseDist(spec.dist ?? 'auto');
  if (dist.style === 'key') requireColumn(['dist'], dist.column, 'dist key');
  const sort = parseSort(spec.sort);
  if (sort && sort.style !== 'auto') {
    const sortPath = Array.isArray(spec.sort) ? ['sort'] : ['sort', sort.style];
    for (const [i, c] of sort.columns.entries()) requireColumn([...sortPath, i], c, 'sort key');
    if (sort.style === 'interleaved' && sort.columns.length > 8) {
      issue(sortPath, 'an interleaved sort key has at most 8 columns');
    }
    if (new Set(sort.columns).size !== sort.columns.length) issue(sortPath, 'sort key lists a column twice');
  }
  const uniqueKey = spec.unique_key === undefined ? [] : [spec.unique_key].flat();
  for (const [i, c] of uniqueKey.entries()) {
    requireColumn(Array.isArray(spec.unique_key) ? ['unique_key', i] : ['unique_key'], c, 'unique_key');
  }
  const materialized = spec.materialized ?? project.defaults.materialized;
  if (spec.incremental && materialized !== 'incremental') {
    issue(
      ['incremental'],
      `incremental settings are only allowed when materialized is incremental (is ${materialized})`,
    );
  }
  if (materialized === 'incremental') {
    if (!spec.incremental)
      issue(['materialized'], 'an incremental model needs incremental: { updated_at: <column> }');
    else requireColumn(['incremental', 'updated_at'], spec.incremental.updated_at, 'incremental.updated_at');
    if (uniqueKey.length === 0)
      issue(['materialized'], 'an incremental model needs a unique_key to merge on');
  }
  if (spec.auto_refresh !== undefined && materialized !== 'materialized_view') {
    issue(['auto_refresh'], `auto_refresh only applies to a materialized_view (is ${materialized})`);
  }
  if (materialized === 'materialized_view') {
    // The documented grammar takes DISTSTYLE { EVEN | ALL | KEY }, DISTKEY (col) and SORTKEY (col, …)
    // only (SQL reference "CREATE MATERIALIZED VIEW"): no AUTO and no INTERLEAVED. Leaving dist or sort
    // out is fine: the clause is omitted and Redshift applies its own default.
    if (spec.dist !== undefined && dist.style === 'auto') {
      issue(
        ['dist'],
        'a materialized_view cannot have dist: auto (CREATE MATERIALIZED VIEW has no DISTSTYLE AUTO): leave dist out for the default (EVEN), or use even, all or key(<column>)',
      );
    }
    if (sort?.style === 'auto') {
      issue(
        ['sort'],
        'a materialized_view cannot have sort: auto (CREATE MATERIALIZED VIEW has no SORTKEY AUTO): leave sort out or list its columns',
      );
    }
    if (sort?.style === 'interleaved') {
      issue(
        ['sort', 'interleaved'],
        'a materialized_view cannot have an interleaved sort key (CREATE MATERIALIZED VIEW takes a compound SORTKEY (columns)): list the columns instead',
      );
    }
    if (uniqueKey.length > 0) {
      issue(
        ['unique_key'],
        'unique_key cannot be enforced on a materialized_view (its refresh cannot be rolled back)',
      );
    }
    spec.columns.forEach((c, i) => {
      if (c.not_null) {
        issue(
          ['columns', i, 'not_null'],
          'NOT NULL cannot be declared on a materialized_view column; use a table',
        );
      }
    });
  }
  if (spec.group !== undefined && project.groupNames && !project.groupNames.includes(spec.group)) {
    issue(
      ['group'],
      `unknown group '${spec.group}' (declared in project.yml: ${project.groupNames.join(', ') || 'none'})`,
    );
  }
  const schema = spec.schema ?? project.defaults.schema;
  if (schema.toLowerCase() === BOOKKEEPING_SCHEMA) {
    issue(['schema'], `schema '${BOOKKEEPING_SCHEMA}' is reserved for the orchestrator's bookkeeping`);
  }
}

function checkReferences(
  model: ParsedModel,
  project: ProjectRules,
  modelNames: ReadonlySet<string>,
  issues: ValidationIssue[],
): void {
  for (const ref of model.references) {
    if (ref.kind === 'ref') {
      if ((model.spec.materialized ?? project.defaults.materialized) === 'materialized_view') {
        issues.push({
          file: model.sqlPath,
          line: ref.line,
          field: ref.text,
          message:
            'a materialized_view may read only landing-zone sources: curated tables are replaced by rename, which a dependent view would block',
        });
      } else if (!modelNames.has(ref.model)) {
        issues.push({
          file: model.sqlPath,
          line: ref.line,
          field: ref.text,
          message: `unknown model '${ref.model}'`,
        });
      } else if (ref.model === model.name) {
        issues.push({
          file: model.sqlPath,
          line: ref.line,
          field: ref.text,
          message: 'a model cannot ref() itself',
        });
      }
    } else if (project.landingTables && !(project.landingTables[ref.schema] ?? []).includes(ref.table)) {
      issues.push({
        file: model.sqlPath,
        line: ref.line,
        field: ref.text,
        message: `unknown source '${ref.schema}.${ref.table}' (declare it in project.yml landing.tables)`,
      });
    }
  }
}

function toManifestModel(
  model: ParsedModel,
  project: ProjectFile,
  schemaOf: (m: string) => string,
): ManifestModel {
  const { spec } = model;
  const columns: ColumnContract[] = spec.columns.map((c) => ({
    name: c.name,
    type: c.type,
    notNull: c.not_null,
  }));
  const materialized = spec.materialized ?? project.defaults.materialized;
  const refs = [
    ...new Set([
      ...model.references.flatMap((r) => (r.kind === 'ref' ? [r.model] : [])),
      ...auditRefs(spec).filter((r) => r !== model.name),
    ]),
  ].sort();
  const sources = [
    ...new Set(model.references.flatMap((r) => (r.kind === 'source' ? [`${r.schema}.${r.table}`] : []))),
  ].sort();
  const sql = renderTemplate(model.sqlText.trim(), {
    landingDatabase: project.landing.database,
    modelSchema: schemaOf,
  });
  const definition = {
    schema: schemaOf(model.name),
    materialized,
    dist: parseDist(spec.dist ?? 'auto'),
    sort: parseSort(spec.sort),
    uniqueKey: spec.unique_key === undefined ? [] : [spec.unique_key].flat(),
    incremental: spec.incremental
      ? {
          strategy: spec.incremental.strategy,
          updatedAt: spec.incremental.updated_at,
          lookbackSeconds: parseDuration(spec.incremental.lookback) ?? 0,
        }
      : null,
    columns,
    grants: (spec.grants?.select ?? []).map(parseGrant),
    sql,
    // Only materialized views carry it, so adding it left every other model's definition hash alone.
    ...(materialized === 'materialized_view' ? { autoRefresh: spec.auto_refresh ?? false } : {}),
  };
  const audits = compileAudits(spec, (target) =>
    'model' in target
      ? qualified(schemaOf(target.model), target.model)
      : qualified(project.landing.database, ...(target.source.split('.') as [string, string])),
  );
  const tolerance =
    spec.lag_tolerance ?? (spec.group ? project.groups[spec.group]?.lag_tolerance : undefined);
  return {
    name: model.name,
    group: spec.group ?? null,
    lagToleranceSeconds: tolerance === undefined ? null : (parseDuration(tolerance) ?? null),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...definition,
    audits,
    refs,
    sources,
    // A published table has passed the tests it has now: a changed test rebuilds (and re-tests) it.
    // Only models with tests hash them, so adding the feature changed no other model's hash.
    definitionHash: sha256(audits.length > 0 ? { ...definition, audits } : definition),
  };
}

/** The longest run id a build is named with (execution names are at most 80 characters). */
const LONGEST_RUN_ID = 'r'.repeat(80);

/**
 * A model whose build cannot be sent: more statements than one Data API batch holds (tests and grants
 * add to them), or a statement over the size limit. Checked here so that it fails validation, not a
 * refresh.
 */
function buildBatchProblems(model: ManifestModel, yaml: YamlFile): ValidationIssue[] {
  if (model.materialized === 'materialized_view') return [];
  const modes: BuildMode[] = model.materialized === 'incremental' ? ['full', 'merge'] : ['full'];
  for (const mode of modes) {
    try {
      const { sqls } = buildBatch(model, mode, { runId: LONGEST_RUN_ID, trigger: 'schedule' });
      if (sqls.length > MAX_BATCH_STATEMENTS)
        return [
          {
            file: yaml.file,
            field: 'tests',
            line: yaml.lineOf(['tests']) ?? yaml.lineOf(['columns']),
            message: `the model's build is ${sqls.length} statements with its tests and grants; one Data API batch (one transaction) holds at most ${MAX_BATCH_STATEMENTS}: drop some tests or grantees`,
          },
        ];
    } catch (error) {
      if (error instanceof StatementTooLargeError)
        return [{ file: yaml.file, message: `the model's build cannot be sent: ${error.message}` }];
      throw error;
    }
  }
  return [];
}

/**
 * Validates a whole curated project and compiles it into a manifest. Collects every problem before
 * failing; the same input always yields a byte-identical manifest (see `serializeManifest`).
 */
export function compileProject(sources: ProjectSources): Manifest {
  const issues: ValidationIssue[] = [];
  let project: ProjectFile | undefined;
  let rawProject: unknown;
  if (sources.projectYml === undefined) {
    issues.push({ file: 'project.yml', message: 'file not found' });
  } else {
    const parsed = parseYamlFile('project.yml', sources.projectYml);
    issues.push(...parsed.issues);
    if (parsed.yaml) {
      rawProject = parsed.yaml.value;
      const validated = validateYaml(parsed.yaml, ProjectFile);
      issues.push(...validated.issues);
      project = validated.data;
    }
  }
  const drafts = collectDrafts(sources, issues);
  if (drafts.size === 0) issues.push({ file: 'models/', message: 'the project has no models' });
  const parsedModels = [...drafts.values()].flatMap((d) => parseModel(d, issues) ?? []);
  const rules = projectRules(rawProject, project);
  const modelNames = new Set(drafts.keys());
  const modelColumns = new Map(
    parsedModels.map((m) => [m.name, new Set(m.spec.columns.map((c) => c.name.toLowerCase()))]),
  );
  const landingTables = rules.landingTables
    ? new Set(
        Object.entries(rules.landingTables).flatMap(([schema, tables]) =>
          tables.map((t) => `${schema}.${t}`),
        ),
      )
    : undefined;
  for (const model of parsedModels) {
    checkModelContract(model, rules, issues);
    checkReferences(model, rules, modelNames, issues);
    checkAudits(
      model.spec,
      model.yaml,
      {
        materialized: model.spec.materialized ?? rules.defaults.materialized,
        modelColumns,
        ...(landingTables ? { landingTables } : {}),
      },
      issues,
    );
  }
  const nodes = parsedModels.map((m) => ({
    name: m.name,
    refs: [
      ...m.references.flatMap((r) => (r.kind === 'ref' ? [r.model] : [])),
      // A relationships test reads the parent's just-built table: it builds first, like a ref.
      ...auditRefs(m.spec).filter((r) => r !== m.name),
    ],
    sources: [],
  }));
  const cycle = findCycle(buildDag(nodes));
  if (cycle) {
    const first = parsedModels.find((m) => m.name === cycle[0]);
    issues.push({ file: first?.sqlPath ?? 'models/', message: `dependency cycle: ${cycle.join(' -> ')}` });
  }
  if (issues.length > 0 || !project) throw new ProjectValidationError(issues.sort(compareIssues));

  const schemaByModel = new Map(parsedModels.map((m) => [m.name, m.spec.schema ?? project.defaults.schema]));
  const schemaOf = (name: string) => schemaByModel.get(name) ?? project.defaults.schema;
  const models = parsedModels
    .map((m) => toManifestModel(m, project, schemaOf))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const yamlOf = new Map(parsedModels.map((p) => [p.name, p.yaml]));
  const batchIssues = models.flatMap((m) => {
    const yaml = yamlOf.get(m.name);
    return yaml ? buildBatchProblems(m, yaml) : [];
  });
  if (batchIssues.length > 0) throw new ProjectValidationError(batchIssues.sort(compareIssues));
  const dag = buildDag(models);
  const edges = models
    .flatMap((m) => m.refs.map((r): [string, string] => [r, m.name]))
    .sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1));
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    project: {
      name: project.name,
      ...(project.service ? { service: project.service } : {}),
      warehouse: project.warehouse,
      landing: {
        ...project.landing,
        tables: Object.fromEntries(
          Object.entries(project.landing.tables)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([schema, tables]) => [schema, [...new Set(tables)].sort()]),
        ),
      },
      defaults: project.defaults,
      groups: Object.fromEntries(Object.entries(project.groups).sort(([a], [b]) => (a < b ? -1 : 1))),
      refresh: project.refresh,
      recovery: project.recovery,
      notifications: project.notifications,
    },
    models,
    edges,
    sources: [...new Set(models.flatMap((m) => m.sources))].sort(),
    levels: topologicalLevels(dag),
  };
}

/** Stable JSON text of a manifest (two-space indent, trailing newline). */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
