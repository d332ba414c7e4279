import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.js';
import { IntegrationFault } from './integration-faults.js';

/**
 * The RDS side of zero-ETL integrations (facts §4): what CreateIntegration / DescribeIntegrations /
 * DeleteIntegration / ModifyIntegration see. Statuses move with the simulator clock — `creating` turns
 * `active` after `createMs`, `deleting` disappears after `deleteMs` — when `advance()` runs; every change
 * is queued as a transition for the replication simulator, which turns them into Redshift events and
 * warehouse state.
 */

export type IntegrationStatus =
  | 'creating'
  | 'active'
  | 'modifying'
  | 'failed'
  | 'deleting'
  | 'syncing'
  | 'needs_attention';

export interface IntegrationError {
  ErrorCode: string;
  ErrorMessage?: string;
}

export interface Tag {
  Key: string;
  Value?: string;
}

export interface Integration {
  /** The UUID at the end of the ARN; Redshift's `integration_id` (CREATE DATABASE … FROM INTEGRATION). */
  id: string;
  arn: string;
  name: string;
  sourceArn: string;
  targetArn: string;
  kmsKeyId?: string;
  additionalEncryptionContext: Record<string, string>;
  tags: Tag[];
  dataFilter?: string;
  description?: string;
  status: IntegrationStatus;
  createTime: Date;
  errors: IntegrationError[];
  statusSince: Date;
  /** Kept in `creating` (fault injection) until `release()`. */
  held: boolean;
}

export interface CreateIntegrationInput {
  SourceArn?: string;
  TargetArn?: string;
  IntegrationName?: string;
  KMSKeyId?: string;
  AdditionalEncryptionContext?: Record<string, string>;
  Tags?: Tag[];
  DataFilter?: string;
  Description?: string;
}

export interface ModifyIntegrationInput {
  IntegrationName?: string;
  DataFilter?: string;
  Description?: string;
}

export interface IntegrationTimings {
  /** Simulated ms from `creating` to `active`. */
  createMs: number;
  /** Simulated ms from `deleting` to gone. */
  deleteMs: number;
  /** Simulated ms from `modifying` back to `active`. */
  modifyMs: number;
  /** Simulated ms from `syncing` back to `active`. */
  syncingMs: number;
}

export const DEFAULT_INTEGRATION_TIMINGS: IntegrationTimings = {
  createMs: 60_000,
  deleteMs: 30_000,
  modifyMs: 10_000,
  syncingMs: 60_000,
};

export interface IntegrationTransition {
  integration: Integration;
  from: IntegrationStatus | undefined;
  to: IntegrationStatus | 'deleted';
  /** The REDSHIFT-INTEGRATION-EVENT code behind a failure set by the simulator. */
  eventCode?: string;
  at: Date;
}

const NAME_PATTERN = /^[a-zA-Z](?:-?[a-zA-Z0-9]+)*$/;
const SOURCE_ARN_PATTERN =
  /^arn:aws[a-z-]*:rds(-[a-z]*)?:[a-z0-9-]*:[0-9]*:(cluster|db):[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const DATA_FILTER_PATTERN = /^[a-zA-Z0-9_ "\\\-$,*.:?+/]*$/;
const MAX_PER_SOURCE = 5;

/** "You can only delete an integration when it has a status of Active, Failed, Syncing, or Needs attention." */
const DELETABLE: readonly IntegrationStatus[] = ['active', 'failed', 'syncing', 'needs_attention'];

export interface IntegrationRegistryOptions {
  clock?: Clock;
  region?: string;
  account?: string;
  timings?: Partial<IntegrationTimings>;
}

export class IntegrationRegistry {
  readonly clock: Clock;
  readonly region: string;
  readonly account: string;
  readonly timings: IntegrationTimings;
  readonly #integrations = new Map<string, Integration>();
  #pending: IntegrationTransition[] = [];
  #holdNextCreates = 0;

  constructor(options: IntegrationRegistryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    this.timings = { ...DEFAULT_INTEGRATION_TIMINGS, ...options.timings };
  }

  /** All integrations (or the one `identifier` names: ARN or id), oldest first. */
  describe(identifier?: string): Integration[] {
    if (identifier === undefined) {
      return [...this.#integrations.values()].sort((a, b) => a.createTime.getTime() - b.createTime.getTime());
    }
    return [this.#require(identifier)];
  }

  get(identifier: string): Integration | undefined {
    const id = identifier.startsWith('arn:') ? identifier.slice(identifier.lastIndexOf(':') + 1) : identifier;
    const found = this.#integrations.get(id);
    return found && (identifier === found.id || identifier === found.arn) ? found : undefined;
  }

  create(input: CreateIntegrationInput, options: { id?: string } = {}): Integration {
    const name = input.IntegrationName;
    if (!input.SourceArn) throw new IntegrationFault('MissingParameter', 'SourceArn is required.');
    if (!input.TargetArn) throw new IntegrationFault('MissingParameter', 'TargetArn is required.');
    if (!name) throw new IntegrationFault('MissingParameter', 'IntegrationName is required.');
    if (name.length > 63 || !NAME_PATTERN.test(name)) {
      throw new IntegrationFault('InvalidParameterValue', `Invalid IntegrationName: ${name}`);
    }
    if (!SOURCE_ARN_PATTERN.test(input.SourceArn)) {
      throw new IntegrationFault('InvalidParameterValue', `Invalid SourceArn: ${input.SourceArn}`);
    }
    if (input.TargetArn.length < 20 || input.TargetArn.length > 2048) {
      throw new IntegrationFault('InvalidParameterValue', `Invalid TargetArn: ${input.TargetArn}`);
    }
    if (
      input.AdditionalEncryptionContext &&
      Object.keys(input.AdditionalEncryptionContext).length > 0 &&
      !input.KMSKeyId
    ) {
      throw new IntegrationFault(
        'InvalidParameterCombination',
        'You can only include AdditionalEncryptionContext if you specify KMSKeyId.',
      );
    }
    if (
      input.DataFilter !== undefined &&
      (input.DataFilter.length > 25_600 || !DATA_FILTER_PATTERN.test(input.DataFilter))
    ) {
      throw new IntegrationFault('InvalidParameterValue', 'Invalid DataFilter.');
    }
    const existing = [...this.#integrations.values()];
    if (existing.some((i) => i.name === name)) {
      throw new IntegrationFault('IntegrationAlreadyExistsFault', `Integration ${name} already exists.`);
    }
    const samePair = existing.find((i) => i.sourceArn === input.SourceArn && i.targetArn === input.TargetArn);
    if (samePair) {
      throw samePair.status === 'deleting'
        ? new IntegrationFault(
            'IntegrationConflictOperationFault',
            `Integration ${samePair.name} between the same source and target is still being deleted.`,
          )
        : new IntegrationFault(
            'IntegrationAlreadyExistsFault',
            `An integration between ${input.SourceArn} and ${input.TargetArn} already exists: ${samePair.name}.`,
          );
    }
    const sameSource = existing.filter((i) => i.sourceArn === input.SourceArn);
    if (sameSource.some((i) => i.status === 'creating')) {
      throw new IntegrationFault(
        'IntegrationConflictOperationFault',
        'Another integration for this source is being created.',
      );
    }
    if (sameSource.length >= MAX_PER_SOURCE) {
      throw new IntegrationFault('IntegrationQuotaExceededFault', 'Too many integrations for this source.');
    }
    const id = options.id ?? randomUUID();
    if (this.#integrations.has(id))
      throw new IntegrationFault('IntegrationAlreadyExistsFault', `Integration ${id} already exists.`);
    const now = this.clock.now();
    const integration: Integration = {
      id,
      arn: `arn:aws:rds:${this.region}:${this.account}:integration:${id}`,
      name,
      sourceArn: input.SourceArn,
      targetArn: input.TargetArn,
      ...(input.KMSKeyId === undefined ? {} : { kmsKeyId: input.KMSKeyId }),
      additionalEncryptionContext: { ...input.AdditionalEncryptionContext },
      tags: [...(input.Tags ?? [])],
      ...(input.DataFilter === undefined ? {} : { dataFilter: input.DataFilter }),
      ...(input.Description === undefined ? {} : { description: input.Description }),
      status: 'creating',
      createTime: now,
      errors: [],
      statusSince: now,
      held: this.#holdNextCreates > 0,
    };
    if (this.#holdNextCreates > 0) this.#holdNextCreates--;
    this.#integrations.set(id, integration);
    this.#pending.push({ integration, from: undefined, to: 'creating', at: now });
    return integration;
  }

  delete(identifier: string): Integration {
    const integration = this.#require(identifier);
    if (!DELETABLE.includes(integration.status)) {
      throw new IntegrationFault(
        'InvalidIntegrationStateFault',
        `Integration ${integration.name} is ${integration.status}. You can only delete an integration when it has a status of Active, Failed, Syncing, or Needs attention.`,
      );
    }
    this.#move(integration, 'deleting');
    return integration;
  }

  modify(identifier: string, changes: ModifyIntegrationInput): Integration {
    const integration = this.#require(identifier);
    if (integration.status !== 'active') {
      throw new IntegrationFault(
        'InvalidIntegrationStateFault',
        `Integration ${integration.name} is ${integration.status}; it can only be modified when it is active.`,
      );
    }
    const { IntegrationName: name, DataFilter: filter, Description: description } = changes;
    if (name !== undefined) {
      if (name.length > 63 || !NAME_PATTERN.test(name)) {
        throw new IntegrationFault('InvalidParameterValue', `Invalid IntegrationName: ${name}`);
      }
      if ([...this.#integrations.values()].some((i) => i.name === name && i !== integration)) {
        throw new IntegrationFault('IntegrationAlreadyExistsFault', `Integration ${name} already exists.`);
      }
      integration.name = name;
    }
    if (filter !== undefined) {
      if (!DATA_FILTER_PATTERN.test(filter))
        throw new IntegrationFault('InvalidParameterValue', 'Invalid DataFilter.');
      integration.dataFilter = filter;
    }
    if (description !== undefined) integration.description = description;
    // Only a filter change makes the integration reprocess; name and description apply at once.
    if (filter !== undefined) this.#move(integration, 'modifying');
    return integration;
  }

  /** Sets a status from outside the API (the simulator: failures, syncing, recovery). */
  setStatus(
    identifier: string,
    status: IntegrationStatus,
    options: { errors?: IntegrationError[]; eventCode?: string } = {},
  ): Integration {
    const integration = this.#require(identifier);
    integration.errors =
      options.errors ?? (status === 'failed' || status === 'needs_attention' ? integration.errors : []);
    this.#move(integration, status, options.eventCode);
    return integration;
  }

  /** The next `count` created integrations stay `creating` until `release()`. */
  holdCreating(count = 1): void {
    this.#holdNextCreates += count;
  }

  release(identifier: string): void {
    this.#require(identifier).held = false;
  }

  /** Applies the time-driven status changes that are due now. */
  advance(): void {
    const now = this.clock.now();
    for (const integration of [...this.#integrations.values()]) {
      const elapsed = now.getTime() - integration.statusSince.getTime();
      const t = this.timings;
      if (integration.status === 'creating' && !integration.held && elapsed >= t.createMs) {
        this.#move(integration, 'active');
      } else if (integration.status === 'modifying' && elapsed >= t.modifyMs) {
        this.#move(integration, 'active');
      } else if (integration.status === 'syncing' && elapsed >= t.syncingMs) {
        this.#move(integration, 'active');
      } else if (integration.status === 'deleting' && elapsed >= t.deleteMs) {
        this.#integrations.delete(integration.id);
        this.#pending.push({ integration, from: 'deleting', to: 'deleted', at: now });
      }
    }
  }

  /** Status changes since the last call, in order. */
  drainTransitions(): IntegrationTransition[] {
    const drained = this.#pending;
    this.#pending = [];
    return drained;
  }

  #move(integration: Integration, to: IntegrationStatus, eventCode?: string): void {
    const from = integration.status;
    const at = this.clock.now();
    integration.status = to;
    integration.statusSince = at;
    this.#pending.push({ integration, from, to, at, ...(eventCode === undefined ? {} : { eventCode }) });
  }

  #require(identifier: string): Integration {
    const found = this.get(identifier);
    if (!found)
      throw new IntegrationFault('IntegrationNotFoundFault', `Integration ${identifier} not found.`);
    return found;
  }
}
