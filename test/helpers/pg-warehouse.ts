import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { COMPATIBILITY_FUNCTIONS, type PhysicalDesign, translate } from '../../local/redshift-dialect.js';

/**
 * A PGlite database standing in for the warehouse, with the shop source loaded as the landing zone
 * (`"aurora_zeroetl"."public"."orders"` resolves to schema `aurora_zeroetl__public`). Enough to
 * execute generated build batches for real; the full local stack (Data API endpoint, simulator)
 * lives in local/.
 */
export interface TestWarehouse {
  db: PGlite;
  designs: Map<string, PhysicalDesign>;
  /** Runs statements as one transaction, like a Data API batch; rolls back and rethrows on failure. */
  runBatch(sqls: readonly string[]): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export const landingSchema = (database: string, schema: string) => `${database}__${schema}`;

export async function createShopWarehouse(): Promise<TestWarehouse> {
  const db = await PGlite.create();
  const designs = new Map<string, PhysicalDesign>();
  const context = {
    currentDatabase: 'dev',
    schemaForDatabase: (database: string, schema: string) =>
      database === 'aurora_zeroetl' ? landingSchema(database, schema) : undefined,
  };
  const landing = landingSchema('aurora_zeroetl', 'public');
  const source = ['schema.sql', 'seed.sql']
    .map((f) => readFileSync(`examples/shop/source/${f}`, 'utf8'))
    .join('\n')
    .replaceAll('public.', `${landing}.`);
  await db.exec(`CREATE SCHEMA ${landing};\n${source}`);
  await db.exec(`${COMPATIBILITY_FUNCTIONS.join(';\n')};\nCREATE ROLE reporting_reader;`);
  const runBatch = async (sqls: readonly string[]) => {
    // PGlite's transaction() keeps other queries out until it ends (callers may overlap); inside it, the
    // isolation the local warehouse runs Data API batches at (local/warehouse/local-redshift.ts).
    await db.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      for (const sql of sqls) {
        const translated = translate(sql, context);
        await tx.exec(translated.sql);
        if (translated.design)
          designs.set(`${translated.design.schema}.${translated.design.table}`, translated.design);
      }
    });
  };
  return {
    db,
    designs,
    runBatch,
    query: async <T>(sql: string) => (await db.query<T>(translate(sql, context).sql)).rows,
    close: () => db.close(),
  };
}
