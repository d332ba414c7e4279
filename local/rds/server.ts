import { type Clock, systemClock } from '../clock.js';
import { type LocalEndpoint, serveLocal } from '../http.js';
import { IntegrationFault, type IntegrationFaultCode } from '../zero-etl/integration-faults.js';
import type { IntegrationRegistry } from '../zero-etl/integrations.js';
import { hasFilters, readCreateIntegration, readOptional } from './query-protocol.js';
import { checkQueryRequest } from './request-validation.js';
import { errorResponse, integrationXml, response, text } from './xml.js';

/**
 * The RDS integration API on 127.0.0.1 (query protocol: form-encoded `Action=…&Version=2014-10-31`
 * in, XML out), over an `IntegrationRegistry`. The unchanged `@aws-sdk/client-rds` talks to it through
 * `endpoint` or `AWS_ENDPOINT_URL_RDS`. Every mutating call is logged (also the refused ones), so a test
 * can assert that a dry run made none; faults can be injected per action.
 */

export type RdsAction =
  | 'CreateIntegration'
  | 'DescribeIntegrations'
  | 'DeleteIntegration'
  | 'ModifyIntegration';

const MUTATING: readonly RdsAction[] = ['CreateIntegration', 'DeleteIntegration', 'ModifyIntegration'];

export interface MutatingCall {
  action: RdsAction;
  /** The request parameters as sent (without Action and Version). */
  params: Record<string, string>;
  at: Date;
  /** `ok`, or the fault code the call was answered with. */
  outcome: string;
}

export interface RdsFault {
  action: RdsAction | '*';
  code: IntegrationFaultCode;
  /** How many calls fail (default 1). */
  times?: number;
  message?: string;
}

export interface LocalRdsOptions {
  integrations: IntegrationRegistry;
  clock?: Clock;
  /**
   * Runs before every request so time-driven status changes are visible; the local stack passes the
   * simulator's `advance()` (which also turns them into events), standalone it is the registry's.
   */
  beforeRequest?: () => Promise<void>;
}

const XML = 'text/xml';

export class LocalRds {
  readonly integrations: IntegrationRegistry;
  readonly log: MutatingCall[] = [];
  readonly #clock: Clock;
  readonly #beforeRequest: () => Promise<void>;
  #faults: (RdsFault & { remaining: number })[] = [];

  constructor(options: LocalRdsOptions) {
    this.integrations = options.integrations;
    this.#clock = options.clock ?? options.integrations.clock ?? systemClock;
    this.#beforeRequest = options.beforeRequest ?? (async () => options.integrations.advance());
  }

  start(): Promise<LocalEndpoint> {
    return serveLocal(async (request) => {
      const params = new URLSearchParams(
        request.method === 'POST' ? request.body : (request.url.split('?')[1] ?? ''),
      );
      const { status, body } = await this.handle(params);
      return { status, contentType: XML, body };
    });
  }

  /** The next `times` calls of `action` (or any) fail with `code`. */
  injectFault(fault: RdsFault): void {
    this.#faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** Mutating calls so far (Create/Delete/Modify), optionally of one action. */
  mutatingCalls(action?: RdsAction): MutatingCall[] {
    return this.log.filter((call) => action === undefined || call.action === action);
  }

  async handle(params: URLSearchParams): Promise<{ status: number; body: string }> {
    const action = params.get('Action') ?? '';
    const known: RdsAction[] = [
      'CreateIntegration',
      'DescribeIntegrations',
      'DeleteIntegration',
      'ModifyIntegration',
    ];
    const op = known.find((k) => k === action);
    if (!op)
      return {
        status: 400,
        body: errorResponse('InvalidAction', `local stack: action ${action} is not implemented`),
      };
    const call: MutatingCall | undefined = MUTATING.includes(op)
      ? {
          action: op,
          params: Object.fromEntries([...params].filter(([k]) => k !== 'Action' && k !== 'Version')),
          at: this.#clock.now(),
          outcome: 'ok',
        }
      : undefined;
    if (call) this.log.push(call);
    try {
      await this.#beforeRequest();
      const fault = this.#faults.find((f) => f.remaining > 0 && (f.action === '*' || f.action === op));
      if (fault) {
        fault.remaining--;
        throw new IntegrationFault(fault.code, fault.message ?? `injected ${fault.code}`);
      }
      // Every parameter against the service model's constraints before the action looks at any.
      const rejected = checkQueryRequest(op, params);
      if (rejected) {
        if (call) call.outcome = rejected.code;
        return { status: 400, body: errorResponse(rejected.code, rejected.message) };
      }
      return { status: 200, body: response(op, this.#perform(op, params)) };
    } catch (error) {
      if (!(error instanceof IntegrationFault)) throw error;
      if (call) call.outcome = error.code;
      return { status: error.httpStatus, body: errorResponse(error.code, error.message) };
    }
  }

  #perform(action: RdsAction, params: URLSearchParams): string {
    // Required by Delete/ModifyIntegration, which checkQueryRequest has made sure of.
    const identifier = () => params.get('IntegrationIdentifier') ?? '';
    switch (action) {
      case 'CreateIntegration':
        return integrationXml(this.integrations.create(readCreateIntegration(params)));
      case 'DeleteIntegration':
        return integrationXml(this.integrations.delete(identifier()));
      case 'ModifyIntegration': {
        const changes = {
          ...(params.has('IntegrationName')
            ? { IntegrationName: readOptional(params, 'IntegrationName') }
            : {}),
          ...(params.has('DataFilter') ? { DataFilter: readOptional(params, 'DataFilter') } : {}),
          ...(params.has('Description') ? { Description: readOptional(params, 'Description') } : {}),
        };
        return integrationXml(this.integrations.modify(identifier(), changes));
      }
      case 'DescribeIntegrations': {
        if (hasFilters(params)) {
          throw new IntegrationFault(
            'InvalidParameterValue',
            'local stack: DescribeIntegrations Filters are not supported',
          );
        }
        const all = this.integrations.describe(params.get('IntegrationIdentifier') ?? undefined);
        const max = Number(params.get('MaxRecords') ?? 100);
        const offset = Number(params.get('Marker') ?? 0);
        const page = all.slice(offset, offset + max);
        const marker = offset + page.length < all.length ? String(offset + page.length) : undefined;
        return `<Integrations>${page.map((i) => `<Integration>${integrationXml(i)}</Integration>`).join('')}</Integrations>${text('Marker', marker)}`;
      }
    }
  }
}
