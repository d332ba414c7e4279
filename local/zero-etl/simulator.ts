import { type Clock, isManualClock } from '../clock.js';
import type { EventHub, EventListener, LocalEvent } from '../events.js';
import {
  applyAccess,
  type LandingDatabase,
  type LandingTable,
  landingDatabases,
  landingTables,
  removeIntegration,
  setIntegrationError,
  updateDatabaseProgress,
  upsertIntegration,
} from '../warehouse/landing.js';
import type { LocalRedshift } from '../warehouse/local-redshift.js';
import { SerialQueue } from '../warehouse/serial-queue.js';
import { IntegrationAnnouncer } from './announcer.js';
import { tableIncluded } from './data-filter.js';
import { EVENT_ID_PREFIX, eventCode, eventSpec } from './event-catalog.js';
import type {
  Integration,
  IntegrationRegistry,
  IntegrationStatus,
  IntegrationTransition,
} from './integrations.js';
import { LandingLoader, tableKey } from './landing-loader.js';
import { prepareLandingTable } from './replication.js';
import { type ReplicationReport, replicateDatabase } from './replication-cycle.js';
import type { AuroraSource, SourceTable } from './source.js';

export type { ReplicationReport, TableReplication } from './replication-cycle.js';

/**
 * The zero-ETL replication simulator: links integrations (the RDS side, `IntegrationRegistry`) with the
 * Aurora source and the warehouse's landing databases (the Redshift side, `LocalRedshift`).
 *
 * - An integration that turns active appears in SVV_INTEGRATION (PendingDbConnectState); after
 *   `CREATE DATABASE … FROM INTEGRATION` the simulator loads every source table that has a primary key
 *   (tables without one are `Failed`), then `replicate()` applies inserts, updates and deletes keyed on
 *   the primary key and advances checkpoints.
 * - Table resyncs walk ResyncRequired → ResyncInitiated → Synced, one step per `resyncStepMs` of
 *   simulated time, with a full reload at the end; every transition lands in
 *   SYS_INTEGRATION_TABLE_STATE_CHANGE.
 * - Status changes and failures emit the `aws.redshift` events AWS would (see announcer.ts).
 *
 * Everything time-driven happens in `advance()` (or `tick(ms)`, which moves a manual clock first).
 * All operations run one at a time.
 */

export interface SimulatorTimings {
  /** Simulated ms each resync step takes (ResyncRequired → ResyncInitiated → Synced). */
  resyncStepMs: number;
  /** Simulated ms between CREATE DATABASE … FROM INTEGRATION and the end of the initial load. */
  initialLoadMs: number;
}

export const DEFAULT_SIMULATOR_TIMINGS: SimulatorTimings = { resyncStepMs: 60_000, initialLoadMs: 0 };

export interface ZeroEtlSimulatorOptions {
  warehouse: LocalRedshift;
  source: AuroraSource;
  integrations: IntegrationRegistry;
  events: EventHub;
  clock?: Clock;
  /** Only integrations into this target (the warehouse's namespace ARN) reach the warehouse; unset = all. */
  targetArn?: string;
  timings?: Partial<SimulatorTimings>;
  /** `advance()` also replicates source changes (continuous replication). */
  autoReplicate?: boolean;
}

/** Integration statuses in which changes keep flowing. */
const REPLICATING: readonly IntegrationStatus[] = ['active', 'syncing', 'modifying'];

export class ZeroEtlSimulator {
  readonly warehouse: LocalRedshift;
  readonly source: AuroraSource;
  readonly integrations: IntegrationRegistry;
  readonly clock: Clock;
  readonly timings: SimulatorTimings;
  autoReplicate: boolean;
  readonly #events: EventHub;
  readonly #announcer: IntegrationAnnouncer;
  readonly #loader: LandingLoader;
  readonly #targetArn: string | undefined;
  readonly #queue = new SerialQueue();
  readonly #lastReplication = new Map<string, Date>();
  #txnSeq = 0;

  constructor(options: ZeroEtlSimulatorOptions) {
    this.warehouse = options.warehouse;
    this.source = options.source;
    this.integrations = options.integrations;
    this.clock = options.clock ?? options.warehouse.clock;
    this.timings = { ...DEFAULT_SIMULATOR_TIMINGS, ...options.timings };
    this.autoReplicate = options.autoReplicate ?? false;
    this.#events = options.events;
    this.#announcer = new IntegrationAnnouncer(options.events, this.clock);
    this.#loader = new LandingLoader(this.warehouse, this.source, this.clock);
    this.#targetArn = options.targetArn;
    this.warehouse.setIntegrationHooks({
      checkSourceDatabase: (id, database) => this.#checkSource(id, database),
      // A new landing database (or a refresh) is work for the simulator: do what is due right away.
      onLandingChange: () => {
        this.advance().catch((error: unknown) =>
          console.error('zero-ETL simulator failed to advance', error),
        );
      },
    });
  }

  onEvent(listener: EventListener): () => void {
    return this.#events.onEvent(listener);
  }

  /** Every event emitted on the local bus so far. */
  get events(): readonly LocalEvent[] {
    return this.#events.log;
  }

  /** Does everything due at the current time: status changes, initial loads, resync steps. */
  advance(): Promise<void> {
    return this.#queue.run(() => this.#advance());
  }

  /** Moves the (manual) clock by `ms`, then `advance()`. */
  async tick(ms = 0): Promise<void> {
    if (ms > 0) {
      if (!isManualClock(this.clock)) throw new Error('tick(ms) needs a ManualClock');
      this.clock.advance(ms);
    }
    await this.advance();
  }

  /** Resolves when every operation queued so far (including background advances) is done. */
  settle(): Promise<void> {
    return this.#queue.run(async () => undefined);
  }

  /** Applies source changes to the landing tables of every replicating integration. */
  replicate(options: { integrationId?: string } = {}): Promise<ReplicationReport[]> {
    return this.#queue.run(async () => {
      await this.#transitions();
      return this.#replicate(options.integrationId);
    });
  }

  /** Puts a landing table into ResyncRequired; `advance()` walks it to Synced with a full reload. */
  resyncTable(
    schema: string,
    table: string,
    options: { database?: string; reason?: string } = {},
  ): Promise<void> {
    return this.#queue.run(async () => {
      let found = false;
      for (const database of await this.#databases()) {
        if (!database.attached || (options.database !== undefined && database.name !== options.database))
          continue;
        const tables = await this.warehouse.privileged((db) => landingTables(db, database.name));
        if (!tables.some((t) => t.schema === schema && t.table === table)) continue;
        found = true;
        await this.#loader.setStates(database, [
          { schema, table, state: 'ResyncRequired', reason: options.reason ?? 'Resync required' },
        ]);
      }
      if (!found) throw new Error(`no replicated table ${schema}.${table}`);
    });
  }

  /**
   * Runs DDL on the source and puts the tables it touched into ResyncRequired (the table an
   * ALTER TABLE names, and every table whose columns or primary key changed). Returns them as
   * `schema.table`.
   */
  applySourceDdl(sql: string): Promise<string[]> {
    return this.#queue.run(async () => {
      const before = new Map((await this.source.tables()).map((t) => [tableKey(t), t.signature]));
      await this.source.exec(sql);
      const affected = new Set(alteredTables(sql));
      for (const table of await this.source.tables()) {
        const previous = before.get(tableKey(table));
        if (previous !== undefined && previous !== table.signature) affected.add(tableKey(table));
      }
      const resynced = new Set<string>();
      for (const database of await this.#databases()) {
        if (!database.attached || database.loadPending) continue;
        const tables = await this.warehouse.privileged((db) => landingTables(db, database.name));
        const hit = tables.filter(
          (t) => affected.has(tableKey(t)) && (t.state === 'Synced' || t.state === 'Failed'),
        );
        await this.#loader.setStates(
          database,
          hit.map((t) => ({
            schema: t.schema,
            table: t.table,
            state: 'ResyncRequired',
            reason: 'Source table definition changed (DDL)',
          })),
        );
        for (const t of hit) resynced.add(tableKey(t));
      }
      return [...resynced].sort();
    });
  }

  /**
   * Fails an integration with a Redshift event code (`0007`, `REDSHIFT-INTEGRATION-EVENT-0007`, …):
   * RDS status `failed` (or `needs_attention` for warnings) with Errors, SVV_INTEGRATION state
   * ErrorState, replication stopped, and the event emitted.
   */
  failIntegration(
    code: string,
    options: { integrationId?: string; status?: 'failed' | 'needs_attention'; message?: string } = {},
  ): Promise<Integration> {
    return this.#queue.run(async () => {
      const integration = this.#pick(options.integrationId);
      const normalized = eventCode(code);
      const spec = eventSpec(normalized);
      const message = options.message ?? this.#announcer.message(spec.message, integration);
      this.integrations.setStatus(integration.id, options.status ?? spec.status ?? 'failed', {
        errors: [{ ErrorCode: `${EVENT_ID_PREFIX}${normalized}`, ErrorMessage: message }],
        eventCode: normalized,
      });
      await this.#transitions();
      return integration;
    });
  }

  /** Status `syncing` (event 0003) until `syncingMs` of simulated time have passed (then 0013, active). */
  startSyncing(options: { integrationId?: string } = {}): Promise<Integration> {
    return this.#setStatus(options.integrationId, 'syncing');
  }

  /** Back to `active` after a failure that was fixed in place (event 0013). */
  recoverIntegration(options: { integrationId?: string } = {}): Promise<Integration> {
    return this.#setStatus(options.integrationId, 'active');
  }

  #setStatus(identifier: string | undefined, status: IntegrationStatus): Promise<Integration> {
    return this.#queue.run(async () => {
      const integration = this.#pick(identifier);
      this.integrations.setStatus(integration.id, status, { errors: [] });
      await this.#transitions();
      return integration;
    });
  }

  #pick(identifier: string | undefined): Integration {
    if (identifier !== undefined) {
      const found = this.integrations.get(identifier);
      if (!found) throw new Error(`no integration ${identifier}`);
      return found;
    }
    const candidates = this.integrations.describe().filter((i) => this.#ours(i) && i.status !== 'deleting');
    const only = candidates[0];
    if (!only || candidates.length > 1) {
      throw new Error(`name the integration: ${candidates.length} integrations could be meant`);
    }
    return only;
  }

  #ours(integration: Integration): boolean {
    return this.#targetArn === undefined || integration.targetArn === this.#targetArn;
  }

  #checkSource(integrationId: string, sourceDatabase: string): string | undefined {
    const integration = this.integrations.get(integrationId);
    if (!integration) return `integration '${integrationId}' does not exist`;
    if (integration.sourceArn !== this.source.clusterArn) {
      return `local stack: integration '${integrationId}' replicates ${integration.sourceArn}, which is not the simulated source ${this.source.clusterArn}`;
    }
    if (sourceDatabase !== this.source.database) {
      return `source database "${sourceDatabase}" does not exist in ${this.source.clusterIdentifier}`;
    }
    return undefined;
  }

  async #advance(): Promise<void> {
    this.integrations.advance();
    await this.#transitions();
    await this.#initialLoads();
    await this.#resyncSteps();
    if (this.autoReplicate) await this.#replicate(undefined);
  }

  async #transitions(): Promise<void> {
    for (const transition of this.integrations.drainTransitions()) {
      if (this.#ours(transition.integration)) await this.#onTransition(transition);
    }
  }

  /** Mirrors an RDS status change on the Redshift side and announces it. */
  async #onTransition({ integration, from, to, eventCode: code, at }: IntegrationTransition): Promise<void> {
    const id = integration.id;
    switch (to) {
      case 'creating':
        return;
      case 'active':
        if (from === 'creating') {
          await this.warehouse.privileged((db) => upsertIntegration(db, id, at));
          this.#announcer.emit('0000', integration, to);
        } else if (from === 'modifying') {
          this.#announcer.emit('0017', integration, to);
        } else {
          await this.warehouse.privileged((db) => setIntegrationError(db, id, false));
          this.#announcer.emit('0013', integration, to);
        }
        return;
      case 'modifying':
        this.#announcer.emit('0016', integration, to);
        return;
      case 'syncing':
        this.#announcer.emit('0003', integration, to);
        return;
      case 'deleting':
        this.#announcer.emit('0002', integration, to);
        return;
      case 'deleted':
        await this.warehouse.privileged((db) => removeIntegration(db, id, this.warehouse.sessionRole));
        this.#announcer.emit('0001', integration, to);
        return;
      case 'failed':
      case 'needs_attention':
        await this.warehouse.privileged(async (db) => {
          await upsertIntegration(db, id, at);
          await setIntegrationError(db, id, true);
        });
        this.#announcer.emit(code ?? '0014', integration, to);
        return;
    }
  }

  #databases(): Promise<LandingDatabase[]> {
    return this.warehouse.privileged((db) => landingDatabases(db));
  }

  /** The integration feeding `database` when it exists, is ours and is replicating. */
  #feeding(database: LandingDatabase): Integration | undefined {
    if (!database.attached) return undefined;
    const integration = this.integrations.get(database.integrationId);
    return integration && this.#ours(integration) && REPLICATING.includes(integration.status)
      ? integration
      : undefined;
  }

  /** Source tables the integration's data filter lets through; undefined when the filter is broken. */
  async #includedTables(
    integration: Integration,
    sourceDatabase: string,
  ): Promise<SourceTable[] | undefined> {
    const tables = await this.source.tables();
    try {
      return tables.filter((t) => tableIncluded(integration.dataFilter, sourceDatabase, t.schema, t.table));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      this.integrations.setStatus(integration.id, 'needs_attention', {
        errors: [{ ErrorCode: `${EVENT_ID_PREFIX}1006`, ErrorMessage: error.message }],
        eventCode: '1006',
      });
      await this.#transitions();
      return undefined;
    }
  }

  /** `{"txn_seq":n,"txn_id":m}`, the documented shape of Redshift's replication checkpoints. */
  #checkpoint(position: number): string {
    this.#txnSeq += 1;
    return JSON.stringify({ txn_seq: this.#txnSeq, txn_id: position });
  }

  async #initialLoads(): Promise<void> {
    const now = this.clock.now();
    for (const database of await this.#databases()) {
      if (!database.loadPending) continue;
      const integration = this.#feeding(database);
      const tables = integration && (await this.#includedTables(integration, database.sourceDatabase));
      if (!integration || !tables) continue;
      if (now.getTime() - database.createdAt.getTime() < this.timings.initialLoadMs) {
        await this.#showSeeding(database, tables);
        continue;
      }
      const position = await this.source.position();
      const rows = await this.#loader.snapshot(tables);
      const checkpoint = this.#checkpoint(position);
      await this.warehouse.privileged(async (db) => {
        for (const table of tables) {
          await this.#loader.load(db, database, table, rows.get(tableKey(table)), checkpoint);
        }
        await updateDatabaseProgress(db, database.name, {
          state: 'CdcRefreshState',
          loadPending: false,
          checkpoint,
          currentLag: 0,
          detectedAt: now,
          appliedAt: now,
        });
        await applyAccess(db, database.name, this.warehouse.sessionRole);
      });
      this.#lastReplication.set(database.name, now);
      this.#announcer.missingPrimaryKeys(integration, database.name, tables);
    }
  }

  /** Seeding takes a while: meanwhile the tables are listed (ResyncInitiated) but not queryable. */
  async #showSeeding(database: LandingDatabase, tables: readonly SourceTable[]): Promise<void> {
    const known = await this.warehouse.privileged((db) => landingTables(db, database.name));
    if (known.length > 0) return;
    await this.warehouse.privileged(async (db) => {
      for (const table of tables) await prepareLandingTable(db, database.name, table);
    });
    await this.#loader.setStates(
      database,
      tables.map((t) => ({
        schema: t.schema,
        table: t.table,
        state: 'ResyncInitiated',
        reason: 'Initial load',
      })),
    );
  }

  async #resyncSteps(): Promise<void> {
    const now = this.clock.now().getTime();
    for (const database of await this.#databases()) {
      if (database.loadPending) continue;
      const integration = this.#feeding(database);
      if (!integration) continue;
      const tables = await this.warehouse.privileged((db) => landingTables(db, database.name));
      const due = (t: LandingTable) => now - t.stateSince.getTime() >= this.timings.resyncStepMs;
      await this.#loader.setStates(
        database,
        tables
          .filter((t) => t.state === 'ResyncRequired' && due(t))
          .map((t) => ({
            schema: t.schema,
            table: t.table,
            state: 'ResyncInitiated',
            reason: 'Resync initiated',
          })),
      );
      const reloads = tables.filter((t) => t.state === 'ResyncInitiated' && due(t));
      if (reloads.length > 0) await this.#reload(database, integration, reloads);
    }
  }

  /** The last resync step: a full reload of each table from the source. */
  async #reload(
    database: LandingDatabase,
    integration: Integration,
    tables: readonly LandingTable[],
  ): Promise<void> {
    const source = (await this.#includedTables(integration, database.sourceDatabase)) ?? [];
    const definitions = new Map(source.map((s) => [tableKey(s), s]));
    const present = tables.flatMap((t) => definitions.get(tableKey(t)) ?? []);
    const position = await this.source.position();
    const rows = await this.#loader.snapshot(present);
    const checkpoint = this.#checkpoint(position);
    await this.warehouse.privileged(async (db) => {
      for (const table of tables) {
        const definition = definitions.get(tableKey(table));
        if (definition)
          await this.#loader.load(db, database, definition, rows.get(tableKey(table)), checkpoint);
        else await this.#loader.remove(db, database, table);
      }
      await applyAccess(db, database.name, this.warehouse.sessionRole);
    });
    this.#announcer.missingPrimaryKeys(integration, database.name, present);
  }

  async #replicate(integrationId: string | undefined): Promise<ReplicationReport[]> {
    const reports: ReplicationReport[] = [];
    for (const database of await this.#databases()) {
      if (!database.attached || database.loadPending) continue;
      if (integrationId !== undefined && database.integrationId !== integrationId) continue;
      const integration = this.integrations.get(database.integrationId);
      if (!integration || !this.#ours(integration)) continue;
      const skip = (reason: string) =>
        reports.push({
          integrationId: integration.id,
          database: database.name,
          checkpoint: null,
          tables: [],
          skipped: reason,
        });
      if (!REPLICATING.includes(integration.status)) {
        skip(`integration ${integration.name} is ${integration.status}`);
        continue;
      }
      const source = await this.#includedTables(integration, database.sourceDatabase);
      if (!source) {
        skip('the data filter cannot be parsed');
        continue;
      }
      const context = {
        warehouse: this.warehouse,
        source: this.source,
        loader: this.#loader,
        announcer: this.#announcer,
        clock: this.clock,
        nextCheckpoint: (position: number) => this.#checkpoint(position),
        previousReplication: this.#lastReplication.get(database.name) ?? database.createdAt,
      };
      reports.push(await replicateDatabase(context, database, integration, source));
      this.#lastReplication.set(database.name, this.clock.now());
    }
    return reports;
  }
}

/** `schema.table` of every table an ALTER TABLE in `sql` names (unqualified names are in public). */
function alteredTables(sql: string): string[] {
  const pattern = /ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?("?[\w$]+"?(?:\s*\.\s*"?[\w$]+"?)?)/gi;
  return [...sql.matchAll(pattern)]
    .map((m) => (m[1] ?? '').replaceAll('"', '').replace(/\s+/g, ''))
    .map((name) => (name.includes('.') ? name : `public.${name}`));
}
