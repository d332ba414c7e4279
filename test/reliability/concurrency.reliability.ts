import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../local/app.js';
import { COMPATIBILITY_FUNCTIONS, type DialectContext, translate } from '../../local/redshift-dialect.js';
import { loadProject } from '../../shared/project/load.js';
import type { Manifest, ManifestModel } from '../../shared/project/manifest.js';
import { bookkeepingSetupStatements } from '../../shared/sql/bookkeeping.js';
import { type BuildMode, buildBatch, dropSwappedOutSql } from '../../shared/sql/build.js';
import { acquireLeasesStatements, buildCommittedSql, fenceBuildStatements } from '../../shared/sql/lease.js';
import {
  changeSource,
  checksum,
  isDefinedOutcome,
  leftovers,
  oracleChecksum,
  runLog,
  selfChecksum,
  startApp,
} from './support/local.js';
import { type PgServer, startPostgres } from './support/postgres.js';
import { REPO_ROOT, Recorder } from './support/results.js';
import { isIsolationFailure, refuseRelationsOutsideSnapshot } from './support/snapshot-guard.js';

/**
 * Readers never see a half-built table. On a real PostgreSQL server (PGlite has a single session, so
 * it cannot show concurrency), the orchestrator's own build batches — translated by the local stack's
 * Redshift dialect — rebuild the shop's models over and over on two connections, some of them failing
 * at a random statement, while three reader connections poll every curated table and compare each read
 * with what the model's SQL gives. Then concurrent refreshes of one model, on PostgreSQL and through
 * the state machines on the embedded stack.
 */

const recorder = new Recorder('concurrency');
const READ_SECONDS = Number(process.env.ZEO_RELIABILITY_READER_SECONDS ?? 20);
const LANDING = 'aurora_zeroetl';
const CONTEXT: DialectContext = {
  currentDatabase: 'dev',
  schemaForDatabase: (database, schema) => (database === LANDING ? `${LANDING}__${schema}` : undefined),
};

const READERS = {
  description:
    "Three connections poll every curated relation (count + checksum of all rows) while two connections rebuild models in a loop with the orchestrator's own batches (full swap, merge, materialized view re-create/refresh), a quarter of them failing at a random statement. A read is partial when it is empty, misses the relation, or differs from the rows the model's SQL gives.",
  bound: `${READ_SECONDS} s of continuous rebuilds; every read checked`,
};
const SAME_MODEL_PG = {
  description:
    'Several transactions build the same model at the same moment on PostgreSQL (no lease, the SQL alone). Defined outcome: each either commits or fails cleanly; afterwards the model holds exactly one complete build and no work tables.',
  bound: 'one round of concurrent batches',
};
const SAME_MODEL_SFN = {
  description:
    'A schedule and a resync recovery (or several manual runs) refresh the same model at once, through the state machines. Defined outcome: one consistent build; every execution succeeds or reports a clear superseded / already-running outcome; no failure is recorded.',
  bound: 'the executions involved; no retry beyond the ASL',
};

// ---- Real PostgreSQL ---------------------------------------------------------------------------------

let server: PgServer | undefined;
let unavailable: string | undefined;
let manifest: Manifest;

beforeAll(async () => {
  manifest = loadProject(`${REPO_ROOT}/examples/shop/curated`);
  const started = await startPostgres();
  if ('unavailable' in started) {
    unavailable = started.unavailable;
    return;
  }
  server = started.server;
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const source = ['schema.sql', 'seed.sql'].map((f) =>
      readFileSync(`${REPO_ROOT}/examples/shop/source/${f}`, 'utf8'),
    );
    // The landing zone (three-part names resolve here) and, for the oracle, the source itself.
    await client.query(`CREATE SCHEMA "${LANDING}__public"`);
    await client.query(source.join('\n').replaceAll('public.', `"${LANDING}__public".`));
    await client.query(source.join('\n'));
    for (const sql of COMPATIBILITY_FUNCTIONS) await client.query(sql);
    await client.query('CREATE ROLE reporting_reader');
    // One transaction: later schema versions LOCK zeo.schema_version first, which needs a transaction.
    await applyBatch(client, translated(bookkeepingSetupStatements()));
  } finally {
    await client.end();
  }
}, 180_000);
afterAll(() => {
  server?.stop();
});

const relation = (m: ManifestModel) => `"${m.schema}"."${m.name}"`;
const CHECK = (inner: string) =>
  `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM (${inner}) AS t`;
/** What a build of the model gives from what it reads now (its compiled SQL, cast to the contract). */
const expectedSql = (m: ManifestModel) =>
  CHECK(
    `SELECT ${m.columns.map((c) => `CAST("zeo_model"."${c.name}" AS ${c.type}) AS "${c.name}"`).join(', ')} FROM (${translate(m.sql, CONTEXT).sql}) AS "zeo_model"`,
  );
const checksumSql = (m: ManifestModel) =>
  CHECK(`SELECT ${m.columns.map((c) => `"${c.name}"`).join(', ')} FROM ${relation(m)}`);

/**
 * The isolation Data API batches run at: Redshift takes one snapshot per transaction (developer guide
 * "Serializable isolation"; SNAPSHOT is Serverless' default, SERIALIZABLE provisioned clusters'), and
 * REPEATABLE READ is PostgreSQL's snapshot isolation, as in the local warehouse.
 */
const BATCH_ISOLATION = 'REPEATABLE READ';

let runSeq = 0;
/**
 * A build batch of a fresh run that holds a lease row of its own, inserted by the batch itself: the
 * batch's claim_lease finds it, but the lease serialises nothing here — the SQL alone is under test.
 */
function batchFor(m: ManifestModel, mode: BuildMode): string[] {
  runSeq++;
  const runId = `pg-${runSeq}`;
  return translated([
    `INSERT INTO "zeo"."model_lease" ("model", "run_id", "acquired_at", "expires_at") VALUES ('${m.name}', '${runId}', GETDATE(), GETDATE() + INTERVAL '1 hour')`,
    ...buildBatch(m, mode, { runId, trigger: 'reliability' }).sqls,
  ]);
}

/** After a committed table swap: the drop of the table it swapped out, as DispatchBuilds submits it. */
async function dropSwappedOut(client: pg.Client, m: ManifestModel, mode: BuildMode): Promise<void> {
  if (mode === 'full') await client.query(translate(dropSwappedOutSql(m), CONTEXT).sql);
}

const translated = (sqls: readonly string[]) => sqls.map((sql) => translate(sql, CONTEXT).sql);
const isSerializationFailure = isIsolationFailure;

/** One Data API batch = one transaction; `failAt` makes that statement raise instead of running. */
async function applyBatch(
  client: pg.Client,
  sqls: readonly string[],
  failAt?: number,
  level: string = BATCH_ISOLATION,
): Promise<void> {
  await client.query(`BEGIN ISOLATION LEVEL ${level}`);
  try {
    for (const [i, sql] of sqls.entries()) {
      if (i === failAt)
        await client.query(`SELECT CAST('injected failure at statement ${i + 1}' AS INTEGER)`);
      if (i > 0) await refuseRelationsOutsideSnapshot(client, sql);
      await client.query(sql);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

const modesOf = (m: ManifestModel): BuildMode[] =>
  m.materialized === 'table'
    ? ['full']
    : m.materialized === 'incremental'
      ? ['merge', 'full']
      : ['create_view', 'refresh_view'];

/** A small deterministic generator: the run is the same every time, only the interleaving varies. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function connect(): Promise<pg.Client> {
  if (!server) throw new Error('no PostgreSQL server');
  const client = new pg.Client({ connectionString: server.url });
  // A connection the server drops (shutdown after a failed test) must not become an uncaught error.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function pgLeftovers(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname LIKE '%\\_\\_zeo\\_%' AND c.relkind IN ('r', 'm', 'v') AND n.nspname NOT LIKE 'pg_temp%'`,
  );
  return r.rows.map((row) => row.name);
}

describe('Concurrent readers against a real PostgreSQL server', () => {
  it('never see an empty, missing or partial table while models are rebuilt repeatedly', async () => {
    if (!server) {
      const reason = unavailable ?? 'unknown';
      recorder.reader({
        server: 'none',
        reads: 0,
        empty: 0,
        missing: 0,
        partial: 0,
        rebuilds: 0,
        failed_rebuilds: 0,
        seconds: 0,
        skipped: reason,
      });
      recorder.finding(`concurrent-reader test not run: ${reason}`);
      // CI installs PostgreSQL (.ci/run): there, not having one is a failure, not a skip.
      if (process.env.CI) throw new Error(reason);
      console.warn(`reliability: concurrent-reader test not run: ${reason}`);
      return;
    }
    const writer = await connect();
    const models = manifest.levels.flat().map((name) => {
      const m = manifest.models.find((x) => x.name === name);
      if (!m) throw new Error(name);
      return m;
    });
    // Initial build in dependency order, then the expected rows of every model from the source.
    for (const m of models) {
      const mode = m.materialized === 'materialized_view' ? 'create_view' : 'full';
      await applyBatch(writer, batchFor(m, mode));
      await dropSwappedOut(writer, m, mode);
    }
    const expected = new Map<string, { n: number; sum: string }>();
    for (const m of models) {
      const built = (await writer.query<{ n: number; sum: string }>(checksumSql(m))).rows[0];
      const wanted = (await writer.query<{ n: number; sum: string }>(expectedSql(m))).rows[0];
      expect(built, m.name).toEqual(wanted);
      expect(built?.n, m.name).toBeGreaterThan(0);
      if (wanted) expected.set(m.name, wanted);
    }

    const stopAt = Date.now() + READ_SECONDS * 1000;
    const tally = { reads: 0, empty: 0, missing: 0, partial: 0, other: 0 };
    const samples: string[] = [];
    const reader = async (seed: number) => {
      const client = await connect();
      const random = prng(seed);
      try {
        while (Date.now() < stopAt) {
          const m = models[Math.floor(random() * models.length)];
          if (!m) continue;
          tally.reads++;
          try {
            const row = (await client.query<{ n: number; sum: string | null }>(checksumSql(m))).rows[0];
            const want = expected.get(m.name);
            if (!row || row.n === 0) tally.empty++;
            else if (row.n !== want?.n || row.sum !== want?.sum) tally.partial++;
            else continue;
            if (samples.length < 5) samples.push(`${m.name}: read ${row?.n} rows, expected ${want?.n}`);
          } catch (error) {
            const code = (error as { code?: string }).code;
            if (code === '42P01') tally.missing++;
            else tally.other++;
            if (samples.length < 5) samples.push(`${m.name}: ${(error as Error).message}`);
          }
        }
      } finally {
        await client.end();
      }
    };
    const builds = { committed: 0, injected: 0, serialization: 0, conflicts: 0, other: 0 };
    const conflicts: string[] = [];
    const rebuilder = async (seed: number) => {
      const client = seed === 1 ? writer : await connect();
      const random = prng(seed * 7919);
      try {
        while (Date.now() < stopAt) {
          const m = models[Math.floor(random() * models.length)];
          if (!m) continue;
          const modes = modesOf(m);
          const mode = modes[Math.floor(random() * modes.length)] ?? 'full';
          const sqls = batchFor(m, mode);
          const failAt = random() < 0.25 ? Math.floor(random() * sqls.length) : undefined;
          try {
            await applyBatch(client, sqls, failAt);
            builds.committed++;
            await dropSwappedOut(client, m, mode);
          } catch (error) {
            const message = (error as Error).message;
            if (failAt !== undefined && message.includes('injected failure')) builds.injected++;
            // Both rebuilders on one model (the lease would have kept them apart), or a model and its
            // upstream at once: stopped by the isolation, as Redshift stops them; the dispatcher
            // resubmits such a build (functions/dispatch-builds, MAX_CONFLICT_RESUBMISSIONS).
            else if (isSerializationFailure(error)) builds.serialization++;
            else {
              builds.conflicts++;
              if (conflicts.length < 10) conflicts.push(`${m.name} (${mode}): ${message}`);
            }
          }
        }
      } finally {
        if (client !== writer) await client.end();
      }
    };
    await Promise.all([reader(11), reader(23), reader(37), rebuilder(1), rebuilder(2)]);

    const finalLeftovers = await pgLeftovers(writer);
    const finalChecks = await Promise.all(
      models.map(
        async (m) =>
          [m.name, (await writer.query<{ n: number; sum: string }>(checksumSql(m))).rows[0]] as const,
      ),
    );
    await writer.end();
    const badReads = tally.empty + tally.missing + tally.partial + tally.other;
    recorder.reader({
      server: server.version,
      reads: tally.reads,
      empty: tally.empty,
      missing: tally.missing,
      partial: tally.partial + tally.other,
      rebuilds: builds.committed + builds.injected + builds.serialization + builds.conflicts,
      failed_rebuilds: builds.injected,
      seconds: READ_SECONDS,
    });
    recorder.faultBatch('Concurrent readers during rebuilds (PostgreSQL)', READERS, {
      outcomes: {
        'rebuild committed; readers saw old or new complete rows': builds.committed,
        'rebuild failed at a random statement (injected); readers saw the old rows': builds.injected,
        ...(builds.serialization > 0
          ? {
              'rebuild stopped by its isolation (1023, or 1018: an upstream swapped after its snapshot); rolled back, retryable':
                builds.serialization,
            }
          : {}),
        ...(builds.conflicts > 0
          ? { 'rebuild failed on a concurrent build of the same model (rolled back)': builds.conflicts }
          : {}),
      },
      dataLost: finalChecks.filter(([name, c]) => c?.sum !== expected.get(name)?.sum).length,
      partialReads: badReads,
      unhandled: 0,
    });
    if (builds.conflicts > 0)
      recorder.finding(
        `PostgreSQL: concurrent builds of one model without a lease: ${conflicts.slice(0, 3).join(' | ')}`,
      );
    expect(tally.reads).toBeGreaterThan(1000);
    expect(builds.committed).toBeGreaterThan(20);
    expect(badReads, samples.join('\n')).toBe(0);
    expect(finalLeftovers).toEqual([]);
    for (const [name, c] of finalChecks) expect(c, name).toEqual(expected.get(name));
  });

  it('concurrent builds of the same model (no lease): each commits or fails cleanly, one complete build remains', async () => {
    if (!server) return;
    const models = manifest.models;
    const control = await connect();
    const outcomes: Record<string, number> = {};
    let lost = 0;
    for (const m of models) {
      const want = (await control.query<{ n: number; sum: string }>(expectedSql(m))).rows[0];
      for (const mode of modesOf(m)) {
        const clients = await Promise.all([connect(), connect(), connect()]);
        const results = await Promise.allSettled(clients.map((c) => applyBatch(c, batchFor(m, mode))));
        await Promise.all(clients.map((c) => c.end()));
        await dropSwappedOut(control, m, mode);
        const committed = results.filter((r) => r.status === 'fulfilled').length;
        const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
        const label =
          errors.length === 0
            ? 'all 3 committed one after the other'
            : `${committed} committed, ${errors.length} rolled back (${[...new Set(errors.map((e) => e.replace(/"[^"]*"/g, '…')))].join('; ')})`;
        outcomes[label] = (outcomes[label] ?? 0) + 1;
        const got = (await control.query<{ n: number; sum: string }>(checksumSql(m))).rows[0];
        if (got?.sum !== want?.sum) lost++;
        expect(committed, `${m.name} ${mode}: ${errors.join('; ')}`).toBeGreaterThanOrEqual(1);
        expect(got, `${m.name} ${mode}`).toEqual(want);
      }
    }
    const left = await pgLeftovers(control);
    await control.end();
    recorder.faultBatch('Concurrent builds of the same model (PostgreSQL, no lease)', SAME_MODEL_PG, {
      outcomes,
      dataLost: lost,
      partialReads: 0,
      unhandled: 0,
    });
    expect(left).toEqual([]);
    expect(lost).toBe(0);
  });
});

// ---- The build lease fence at Redshift's isolation levels (real PostgreSQL) -----------------------------

/**
 * A Redshift transaction reads one snapshot, taken at its first SELECT, DML or CREATE TABLE — not at
 * BEGIN, and not at a LOCK that comes later (developer guide "Serializable isolation", "LOCK": lock "at
 * the beginning of the transaction, before performing any operations"). Databases are SERIALIZABLE on
 * provisioned clusters and SNAPSHOT on Serverless (SQL reference "CREATE DATABASE", ISOLATION LEVEL);
 * PostgreSQL's SERIALIZABLE and REPEATABLE READ stand in for them. Each case stops a build batch after
 * its snapshot was taken (its table is built, its bookkeeping not yet written), lets another writer of
 * the model's lease commit — the fence DispatchBuilds leaves before it records a failure
 * (shared/refresh/build-failure.ts), a run taking over an expired lease, a retried dispatcher tick
 * taking its own lease again (the multi-model lease statements it sends) — and then lets the batch finish.
 */
const ISOLATIONS = [
  { level: 'REPEATABLE READ', redshift: 'SNAPSHOT isolation (Serverless default)' },
  { level: 'SERIALIZABLE', redshift: 'SERIALIZABLE isolation (provisioned default)' },
] as const;
type Isolation = (typeof ISOLATIONS)[number]['level'];
const FENCE_CASES = {
  description:
    "A build batch has taken its snapshot (table built, bookkeeping not written) when another writer of the model's lease commits: the fence DispatchBuilds leaves before recording a failure, a run taking over the expired lease, the run's own retried dispatcher tick asking for the lease again, the fence racing the build's commit, a second model's build. Defined outcome: the build commits exactly when its run still holds the lease, the run log agrees with the table, and a refused build fails as a serialization failure or 'superseded' (never a silent commit).",
  bound: 'each interleaving once, at REPEATABLE READ and at SERIALIZABLE',
};

/** A build batch of run `runId` that has run up to its bookkeeping (the lease statements) in `level`. */
async function buildUpToBookkeeping(
  client: pg.Client,
  m: ManifestModel,
  runId: string,
  level: Isolation,
): Promise<{ finish(): Promise<unknown> }> {
  const sqls = translated(buildBatch(m, 'full', { runId, trigger: 'reliability' }).sqls);
  const at = sqls.findIndex((sql) => /_lease"/.test(sql));
  expect(at, 'the batch has lease statements after building').toBeGreaterThan(3);
  await client.query(`BEGIN ISOLATION LEVEL ${level}`);
  // CREATE TABLE and INSERT … SELECT ran: the transaction's snapshot is taken.
  for (const sql of sqls.slice(0, at)) await client.query(sql);
  return {
    async finish() {
      try {
        for (const sql of sqls.slice(at)) await client.query(sql);
        await client.query('COMMIT');
        return undefined;
      } catch (error) {
        await client.query('ROLLBACK');
        return error;
      }
    },
  };
}

async function committedBuilds(client: pg.Client, model: string, runId: string): Promise<number> {
  const r = await client.query<{ committed: string }>(
    translate(buildCommittedSql(model, runId), CONTEXT).sql,
  );
  return Number(r.rows[0]?.committed ?? 0);
}

async function leaseHolders(client: pg.Client, model: string): Promise<string[]> {
  const r = await client.query<{ run_id: string }>(
    `SELECT run_id FROM zeo.model_lease WHERE model = $1 ORDER BY run_id`,
    [model],
  );
  return r.rows.map((row) => row.run_id);
}

describe("The build lease fence at Redshift's isolation levels (PostgreSQL)", () => {
  const outcomes: Record<string, number> = {};
  let control: pg.Client | undefined;
  const note = (label: string) => {
    outcomes[label] = (outcomes[label] ?? 0) + 1;
  };
  const model = (name: string) => {
    const m = manifest.models.find((x) => x.name === name);
    if (!m) throw new Error(name);
    return m;
  };
  const sum = async (m: ManifestModel) =>
    (await control?.query<{ n: number; sum: string }>(checksumSql(m)))?.rows[0];
  // As a dispatcher tick asks for the leases of the models it is about to submit.
  const takeLease = async (client: pg.Client, m: string, runId: string) =>
    applyBatch(client, translated(acquireLeasesStatements([m], runId, 30)));

  beforeAll(async () => {
    if (!server) return;
    control = await connect();
    // Each case starts from a built table (any earlier test may have left leases behind).
    for (const name of ['dim_customers', 'dim_products']) {
      await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [name]);
      await takeLease(control, name, `fence-setup-${name}`);
      await applyBatch(
        control,
        translated(
          buildBatch(model(name), 'full', { runId: `fence-setup-${name}`, trigger: 'reliability' }).sqls,
        ),
      );
    }
  });
  afterAll(async () => {
    if (!server) return;
    for (const name of ['dim_customers', 'dim_products']) {
      await control?.query(translate(dropSwappedOutSql(model(name)), CONTEXT).sql);
      await control?.query('DELETE FROM zeo.model_lease WHERE model = $1', [name]);
    }
    recorder.faultBatch('Lease fence at snapshot and serializable isolation (PostgreSQL)', FENCE_CASES, {
      outcomes,
      dataLost: 0,
      partialReads: 0,
      unhandled: 0,
    });
    await control?.end();
  });

  for (const { level, redshift } of ISOLATIONS) {
    const tag = level === 'SERIALIZABLE' ? 'ser' : 'rr';

    it(`${redshift}: the dispatcher's failure fence after the batch's snapshot — the batch does not commit`, async () => {
      if (!server || !control) return;
      const m = model('dim_customers');
      const runId = `fence-${tag}-1`;
      const before = await sum(m);
      await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [m.name]);
      await takeLease(control, m.name, runId);
      const build = await connect();
      try {
        const batch = await buildUpToBookkeeping(build, m, runId, level);
        // The fence before a failure is recorded, e.g. for a build whose statement id the Data API no
        // longer knows while its batch still runs.
        await applyBatch(control, translated(fenceBuildStatements(m.name, runId)));
        const error = await batch.finish();
        expect(error, 'a fenced build must not commit').toBeDefined();
        note(
          `${level}: fenced after its snapshot: refused (${isSerializationFailure(error) ? 'serialization failure' : 'superseded'})`,
        );
        expect(await committedBuilds(control, m.name, runId)).toBe(0);
        expect(await sum(m)).toEqual(before);
        // Resubmitted (as a serialization failure is): the fence refuses it for good.
        await expect(
          applyBatch(build, translated(buildBatch(m, 'full', { runId, trigger: 'reliability' }).sqls)),
        ).rejects.toThrow(/superseded/);
        expect(await committedBuilds(control, m.name, runId)).toBe(0);
      } finally {
        await build.end();
      }
    });

    it(`${redshift}: another run takes over the expired lease after the batch's snapshot — the batch does not commit`, async () => {
      if (!server || !control) return;
      const m = model('dim_customers');
      const runId = `fence-${tag}-2`;
      const successor = `fence-${tag}-2b`;
      const before = await sum(m);
      await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [m.name]);
      await takeLease(control, m.name, runId);
      await control.query(
        `UPDATE zeo.model_lease SET expires_at = expires_at - INTERVAL '1 day' WHERE run_id = $1`,
        [runId],
      );
      const build = await connect();
      try {
        const batch = await buildUpToBookkeeping(build, m, runId, level);
        await takeLease(control, m.name, successor);
        expect(await leaseHolders(control, m.name)).toEqual([successor]);
        const error = await batch.finish();
        expect(error, 'a superseded build must not commit').toBeDefined();
        note(
          `${level}: lease taken over after its snapshot: refused (${isSerializationFailure(error) ? 'serialization failure' : 'superseded'})`,
        );
        expect(await committedBuilds(control, m.name, runId)).toBe(0);
        expect(await sum(m)).toEqual(before);
        expect(await leaseHolders(control, m.name)).toEqual([successor]);
      } finally {
        await build.end();
        await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [m.name]);
      }
    });

    it(`${redshift}: the run's own retried tick takes its lease again while the batch runs — the batch commits`, async () => {
      if (!server || !control) return;
      const m = model('dim_customers');
      const runId = `fence-${tag}-3`;
      await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [m.name]);
      await takeLease(control, m.name, runId);
      const build = await connect();
      try {
        const batch = await buildUpToBookkeeping(build, m, runId, level);
        // A DispatchBuilds tick retried after its Lambda died having submitted: it asks for the lease again.
        await takeLease(control, m.name, runId);
        const error = await batch.finish();
        expect(
          error,
          `the run still holds its lease: ${(error as Error | undefined)?.message}`,
        ).toBeUndefined();
        note(`${level}: own lease taken again by a retried submission: committed`);
        expect(await committedBuilds(control, m.name, runId)).toBe(1);
        expect(await leaseHolders(control, m.name)).toEqual([]);
      } finally {
        await build.end();
      }
    });

    it(`${redshift}: the dispatcher's failure fence while the batch commits — it waits and finds the build committed`, async () => {
      if (!server || !control) return;
      const m = model('dim_customers');
      const runId = `fence-${tag}-4`;
      await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [m.name]);
      await takeLease(control, m.name, runId);
      const build = await connect();
      const fencer = await connect();
      try {
        const sqls = translated(buildBatch(m, 'full', { runId, trigger: 'reliability' }).sqls);
        await build.query(`BEGIN ISOLATION LEVEL ${level}`);
        for (const sql of sqls) await build.query(sql);
        // Every statement ran, COMMIT not yet sent: the fence must wait for it, not slip in before.
        const fence = applyBatch(fencer, translated(fenceBuildStatements(m.name, runId)));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await build.query('COMMIT');
        await fence;
        note(`${level}: fence racing the commit: waited, build committed, no fence left`);
        expect(await committedBuilds(control, m.name, runId)).toBe(1);
        expect(await leaseHolders(control, m.name)).toEqual([]);
      } finally {
        await build.end();
        await fencer.end();
      }
    });

    it(`${redshift}: overlapping builds of two models both end built (a serialization failure is resubmitted)`, async () => {
      if (!server || !control) return;
      const models = [model('dim_customers'), model('dim_products')];
      const clients = await Promise.all(models.map(() => connect()));
      try {
        const runIds = models.map((m) => `fence-${tag}-5-${m.name}`);
        for (const [i, m] of models.entries()) {
          await control.query('DELETE FROM zeo.model_lease WHERE model = $1', [m.name]);
          await takeLease(control, m.name, runIds[i] ?? '');
        }
        const batches = await Promise.all(
          models.map((m, i) => buildUpToBookkeeping(clients[i] as pg.Client, m, runIds[i] ?? '', level)),
        );
        const errors = [];
        for (const batch of batches) errors.push(await batch.finish());
        for (const [i, error] of errors.entries()) {
          if (error === undefined) continue;
          // Only a serialization failure, which the orchestrator resubmits (bounded) instead of failing the model.
          expect(isSerializationFailure(error), String((error as Error).message)).toBe(true);
          const m = models[i] as ManifestModel;
          await applyBatch(
            clients[i] as pg.Client,
            translated(buildBatch(m, 'full', { runId: runIds[i] ?? '', trigger: 'reliability' }).sqls),
          );
        }
        note(
          `${level}: two models at once: ${errors.filter((e) => e === undefined).length} committed first time, ${errors.filter((e) => e !== undefined).length} resubmitted after a serialization failure`,
        );
        for (const [i, m] of models.entries())
          expect(await committedBuilds(control, m.name, runIds[i] ?? '')).toBe(1);
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    });
  }
});

// ---- The embedded stack: concurrent refreshes through the state machines --------------------------------

describe('Concurrent refreshes of the same model through the state machines', () => {
  let app: LocalOrchestrator | undefined;
  afterAll(async () => {
    await app?.close();
  });

  it('a schedule and a resync recovery at once: one consistent build, no failure', async () => {
    app = await startApp();
    const local = app;
    const cases: { name: string; starts: [string, Record<string, unknown>][]; touched: string[] }[] = [
      {
        name: 'nightly schedule + resync recovery of public.customers',
        touched: ['dim_customers', 'fct_orders'],
        starts: [
          ['curated-refresh', { group: 'nightly', trigger: 'schedule' }],
          ['resync-recovery', { tables: ['public.customers'] }],
        ],
      },
      {
        name: 'three manual refreshes of dim_customers+',
        touched: ['dim_customers', 'fct_orders'],
        starts: [
          ['curated-refresh', { select: 'dim_customers+', fullRefresh: true }],
          ['curated-refresh', { select: 'dim_customers+', fullRefresh: true }],
          ['curated-refresh', { select: 'dim_customers+', fullRefresh: false, trigger: 'schedule' }],
        ],
      },
      {
        name: 'hourly schedule + resync recovery of public.orders',
        touched: ['stg_order_lines', 'fct_orders'],
        starts: [
          ['curated-refresh', { group: 'hourly', trigger: 'schedule' }],
          ['resync-recovery', { tables: ['public.orders'] }],
        ],
      },
    ];
    for (const [ci, c] of cases.entries()) {
      await changeSource(local);
      const n = local.sfn.executions.length;
      const records = c.starts.map(([machine, input], i) =>
        local.start(machine, input, `same-model-${ci + 1}-${i + 1}`),
      );
      await Promise.all(records.map((r) => r.done));
      await local.settle();
      const all = local.sfn.executions.slice(n);
      const refreshes = all.filter((e) => e.machine === 'CuratedRefreshStateMachine');
      const statuses = new Set<string>();
      const failures: string[] = [];
      for (const r of refreshes) {
        for (const l of await runLog(local, r.name)) {
          statuses.add(l.status);
          if (l.status === 'failed') failures.push(`${r.name} ${l.model}: ${l.error}`);
        }
      }
      const consistent: boolean[] = [];
      for (const model of c.touched) {
        consistent.push(
          JSON.stringify(await checksum(local, model)) === JSON.stringify(await selfChecksum(local, model)),
        );
      }
      // The first model reads the landing zone only: it must also equal the source's answer.
      const first = c.touched[0] ?? 'dim_customers';
      consistent.push(
        JSON.stringify(await checksum(local, first)) === JSON.stringify(await oracleChecksum(local, first)),
      );
      const clear = (e: (typeof all)[number]) =>
        e.status === 'SUCCEEDED' ||
        /superseded|already (running|being built)|still being built/i.test(`${e.cause ?? ''}`);
      const ok = all.every(clear) && failures.length === 0 && consistent.every(Boolean);
      recorder.fault('Concurrent refreshes of the same model (state machines)', SAME_MODEL_SFN, {
        outcome: ok
          ? `one consistent build; outcomes recorded: ${[...statuses].sort().join(', ')}`
          : `unexpected: ${all.map((e) => `${e.name}=${e.status}`).join(' ')} ${failures.join(' | ')}`,
        dataLost: !consistent.every(Boolean),
        unhandled: !all.every((e) => isDefinedOutcome(e)),
      });
      expect(all.map((e) => [e.name, e.status, e.cause ?? ''])).toEqual(
        all.map((e) => [e.name, clear(e) ? e.status : 'SUCCEEDED', e.cause ?? '']),
      );
      expect(failures, c.name).toEqual([]);
      expect(consistent, c.name).toEqual([...c.touched, 'oracle'].map(() => true));
      expect(await leftovers(local)).toEqual([]);
    }
  });
});
