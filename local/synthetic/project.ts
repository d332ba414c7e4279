import { compileProject } from '../../shared/project/compile.js';
import type { Manifest } from '../../shared/project/manifest.js';
import { logNormalSeconds, pick, seededRandom } from './random.js';

/**
 * Synthetic curated projects of N models with the shape real dbt-style projects have: a wide staging
 * level (one model per landing table), a few layers of intermediate models, then narrowing facts,
 * marts and reports. Most models read the layer right above them; some reach further up, so levels
 * taper instead of being a strict stack. Compiled with the real `compileProject`, so the manifest is
 * exactly what the Lambdas would bundle. Every model also gets a seeded SQL duration.
 */

interface Layer {
  prefix: string;
  share: number;
}

const LAYERS: readonly Layer[] = [
  { prefix: 'stg', share: 0.4 },
  { prefix: 'int', share: 0.15 },
  { prefix: 'int', share: 0.1 },
  { prefix: 'int', share: 0.05 },
  { prefix: 'fct', share: 0.18 },
  { prefix: 'mart', share: 0.08 },
  { prefix: 'rpt', share: 0.04 },
];

const DOMAINS = ['sales', 'billing', 'crm', 'logistics', 'catalog', 'finance', 'support', 'marketing', 'hr'];
const ENTITIES = [
  'orders',
  'order_items',
  'customers',
  'customer_addresses',
  'payments',
  'refunds',
  'invoices',
  'invoice_lines',
  'shipments',
  'shipment_events',
  'products',
  'product_prices',
  'inventory_levels',
  'warehouses',
  'subscriptions',
  'subscription_events',
  'tickets',
  'ticket_comments',
  'campaigns',
  'campaign_touches',
  'employees',
  'departments',
  'suppliers',
  'purchase_orders',
  'returns',
  'discounts',
  'sessions',
  'page_views',
  'accounts',
  'ledger_entries',
];

export interface SyntheticProject {
  manifest: Manifest;
  /** Modeled SQL duration of each model's build, in seconds. */
  durations: Map<string, number>;
  /** Landing-zone tables (`public.<table>`). */
  sourceTables: string[];
  /** Models per layer of the generator (not the topological levels). */
  layerSizes: number[];
}

function layerCounts(models: number): number[] {
  const raw = LAYERS.map((l) => l.share * models);
  const counts = raw.map(Math.floor);
  let left = models - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
    left--;
  }
  if ((counts[0] ?? 0) === 0) {
    counts[0] = 1;
    const last = counts.findLastIndex((c) => c > 0 && c !== counts[0]);
    if (last > 0) counts[last] = (counts[last] ?? 1) - 1;
  }
  return counts;
}

const PROJECT_YML = (tables: readonly string[], maxConcurrency: number) => `name: bench-project
warehouse:
  workgroupName: analytics
  database: dev
landing:
  database: aurora_zeroetl
  integrationArn: arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e-1f0a-4d7e-9a51-0c3d9a2f6e11
  sourceDatabase: app
  tables:
    public: [${tables.join(', ')}]
defaults:
  schema: reporting
  materialized: table
groups:
  hourly: { schedule: "cron(5 * * * ? *)" }
refresh:
  maxConcurrency: ${maxConcurrency}
`;

const COLUMNS = `columns:
  - { name: id, type: bigint, not_null: true }
  - { name: account_id, type: bigint, not_null: true }
  - { name: amount, type: "numeric(14,2)" }
  - { name: updated_at, type: timestamp, not_null: true }
`;

export interface SyntheticOptions {
  models: number;
  seed?: number;
  /** refresh.maxConcurrency of the project (the default of the project schema is 10). */
  maxConcurrency?: number;
}

export function syntheticProject(options: SyntheticOptions): SyntheticProject {
  const random = seededRandom(options.seed ?? 20260501 + options.models);
  const counts = layerCounts(options.models);
  const tableCount = Math.max(3, Math.round(options.models * 0.25));
  const sourceTables: string[] = [];
  for (let i = 0; i < tableCount; i++) sourceTables.push(`${pick(random, ENTITIES)}_${i}`);
  const layers: string[][] = [];
  const files: { path: string; text: string }[] = [];
  const durations = new Map<string, number>();
  let serial = 0;
  counts.forEach((count, layerIndex) => {
    const layer = LAYERS[layerIndex];
    if (!layer) return;
    const names: string[] = [];
    for (let k = 0; k < count; k++) {
      const name = `${layer.prefix}_${pick(random, DOMAINS)}__${pick(random, ENTITIES)}_${serial++}`;
      names.push(name);
      let from: string[];
      if (layerIndex === 0) {
        const table = sourceTables[k % sourceTables.length] ?? sourceTables[0] ?? 'orders_0';
        from = [`{{ source('public', '${table}') }}`];
        if (random() < 0.15) from.push(`{{ source('public', '${pick(random, sourceTables)}') }}`);
      } else {
        // Usually the layer right above (so levels deepen), sometimes only layers further up.
        const above = layers.findLast((l) => l.length > 0) ?? [];
        const earlier = layers.flat();
        const refs = new Set<string>();
        if (random() < 0.75 && above.length > 0) refs.add(pick(random, above));
        const extra = 1 + Math.floor(random() * 3);
        while (refs.size < extra) refs.add(pick(random, earlier));
        from = [...refs].map((r) => `{{ ref('${r}') }}`);
      }
      const incremental = layerIndex > 0 && random() < 0.15;
      const sql = `select t0.id, t0.account_id, t0.amount, t0.updated_at\nfrom ${from[0]} t0\n${from
        .slice(1)
        .map((f, i) => `left join ${f} t${i + 1} on t${i + 1}.id = t0.id`)
        .join('\n')}\n`;
      const yml = `description: synthetic ${layer.prefix} model ${serial}\ngroup: hourly\ndist: key(account_id)\nsort: [updated_at]\nunique_key: [id]\n${
        incremental
          ? 'materialized: incremental\nincremental: { updated_at: updated_at, lookback: 2 hours }\n'
          : ''
      }${COLUMNS}`;
      files.push({ path: `models/${name}.sql`, text: sql }, { path: `models/${name}.yml`, text: yml });
      durations.set(name, logNormalSeconds(random));
    }
    layers.push(names);
  });
  const manifest = compileProject({
    projectYml: PROJECT_YML(sourceTables, options.maxConcurrency ?? 10),
    modelFiles: files,
  });
  return { manifest, durations, sourceTables, layerSizes: counts };
}

/**
 * Independent models (one level), one per given SQL duration: for polls-versus-duration curves and
 * long-build history. refresh.maxConcurrency defaults to as many as there are models, at most 40.
 */
export function flatProject(
  secondsList: readonly number[],
  maxConcurrency = Math.min(40, Math.max(1, secondsList.length)),
): SyntheticProject {
  const tables = secondsList.map((_, i) => `orders_${i}`);
  const files: { path: string; text: string }[] = [];
  const durations = new Map<string, number>();
  secondsList.forEach((seconds, i) => {
    const name = `stg_sales__orders_${i}_${seconds}s`;
    files.push(
      {
        path: `models/${name}.sql`,
        text: `select id, account_id, amount, updated_at from {{ source('public', 'orders_${i}') }}\n`,
      },
      { path: `models/${name}.yml`, text: `group: hourly\nunique_key: [id]\n${COLUMNS}` },
    );
    durations.set(name, seconds);
  });
  const manifest = compileProject({
    projectYml: PROJECT_YML(tables, maxConcurrency),
    modelFiles: files,
  });
  return { manifest, durations, sourceTables: tables, layerSizes: [secondsList.length] };
}
