import type { GroupConfig, LandingConfig, Materialization, WarehouseConfig } from './schema.js';

/**
 * The compiled curated project: everything a Lambda step needs, with SQL already rendered, in one
 * JSON document bundled into the functions. State machines pass model names, never SQL.
 */

export const MANIFEST_FORMAT_VERSION = 1;

export type Distribution = { style: 'auto' | 'even' | 'all' } | { style: 'key'; column: string };

export type SortKey = { style: 'auto' } | { style: 'compound' | 'interleaved'; columns: string[] } | null;

export interface ColumnContract {
  name: string;
  type: string;
  notNull: boolean;
}

export interface Grant {
  kind: 'user' | 'role' | 'group';
  name: string;
}

export interface IncrementalConfig {
  strategy: 'merge';
  updatedAt: string;
  lookbackSeconds: number;
}

/** What a model test checks (compiled from its `.yml` `tests:`; shared/sql/audits.ts renders it). */
export type AuditCheck =
  | { kind: 'accepted_values'; column: string; values: (string | number | boolean)[] }
  /** `relation`: the parent as rendered SQL (a curated model's table, or a landing table). */
  | {
      kind: 'relationships';
      column: string;
      field: string;
      relation: string;
      model?: string;
      source?: string;
    }
  | { kind: 'expression_is_true'; expression: string }
  | { kind: 'row_count'; min?: number; max?: number }
  | { kind: 'row_count_change'; maxDropPercent: number }
  | { kind: 'unique'; columns: string[] };

export interface ModelAudit {
  /** How reports name it: `accepted_values(status)`, `row_count_change(max_drop_percent 20)`. */
  name: string;
  /** error: a failure rolls the build back; warn: it is recorded and the build publishes. */
  severity: 'error' | 'warn';
  /** table: the relation being published; window: an incremental build's merged-in rows. */
  scope: 'table' | 'window';
  check: AuditCheck;
}

export interface ManifestModel {
  name: string;
  schema: string;
  materialized: Materialization;
  /** The refresh group the model declares; null = it follows its upstream models. */
  group: string | null;
  description?: string;
  dist: Distribution;
  sort: SortKey;
  uniqueKey: string[];
  incremental: IncrementalConfig | null;
  /** materialized_view only: created with `AUTO REFRESH YES` (true) or `NO`. */
  autoRefresh?: boolean;
  columns: ColumnContract[];
  /** The tests run on the new relation before it is published, in the order the project lists them. */
  audits: ModelAudit[];
  grants: Grant[];
  /** The model's SELECT with `ref`/`source` rendered to quoted names. */
  sql: string;
  /** Curated models this one reads (sorted). */
  refs: string[];
  /** Landing-zone tables this one reads, as `schema.table` (sorted). */
  sources: string[];
  /** sha256 of everything that defines the built table (SQL, columns, physical design, materialization) and of its tests. */
  definitionHash: string;
  /** Seconds a changed input may wait for a rebuild (model's lag_tolerance, else its group's); null = none. */
  lagToleranceSeconds: number | null;
}

export interface ManifestProject {
  name: string;
  /** The deployment prefix, when project.yml sets one (shared/project/deployment.ts serviceOf). */
  service?: string;
  warehouse: WarehouseConfig;
  landing: LandingConfig;
  defaults: { schema: string; materialized: Materialization };
  groups: Record<string, GroupConfig>;
  refresh: { maxConcurrency: number; leaseTimeoutMinutes: number };
  recovery: {
    recreateIntegration: boolean;
    maxRecreatesPer24h: number;
    resyncTimeoutMinutes: number;
    initialLoadTimeoutMinutes: number;
    /** A failure of unknown class: notify only, or recreate (shared/integration/classify.ts). */
    onUnknownFailure: 'notify' | 'recreate';
  };
  notifications: { snsTopicArn?: string };
}

export interface Manifest {
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  project: ManifestProject;
  /** Sorted by name. */
  models: ManifestModel[];
  /** `[upstream, downstream]` pairs between curated models, sorted. */
  edges: [string, string][];
  /** Landing-zone tables read by at least one model, as `schema.table`, sorted. */
  sources: string[];
  /** Topological levels of the whole DAG; models in a level do not depend on each other. */
  levels: string[][];
}
