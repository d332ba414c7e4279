import type { Clock } from '../clock.js';
import type { EventHub } from '../events.js';
import { EVENT_ID_PREFIX, eventCode, eventSpec } from './event-catalog.js';
import type { Integration } from './integrations.js';

/**
 * Emits Redshift's zero-ETL integration events on the local bus: source `aws.redshift`, detail-type
 * `Redshift Integration <category>`, `resources: [integrationArn]`. AWS does not document the
 * `detail` of these events (facts §1.2, §8.1): the fields below are the local stack's assumption,
 * combining the documented event id, severity and message with the third-party sample's names.
 */
export class IntegrationAnnouncer {
  constructor(
    private readonly events: EventHub,
    private readonly clock: Clock,
  ) {}

  /** The documented message with the integration's name and the current time filled in. */
  message(template: string, integration: Integration): string {
    return template
      .replaceAll('{name}', integration.name)
      .replaceAll('{time}', this.clock.now().toISOString());
  }

  emit(code: string, integration: Integration, status: string, extra: Record<string, unknown> = {}): void {
    const spec = eventSpec(code);
    const message = this.message(spec.message, integration);
    this.events.emit({
      source: 'aws.redshift',
      detailType: `Redshift Integration ${spec.category}`,
      time: this.clock.now(),
      resources: [integration.arn],
      detail: {
        eventId: `${EVENT_ID_PREFIX}${eventCode(code)}`,
        category: spec.category,
        severity: spec.severity,
        message,
        eventDescription: message,
        integrationArn: integration.arn,
        integrationId: integration.id,
        integrationName: integration.name,
        integrationStatus: status.toUpperCase(),
        sourceArn: integration.sourceArn,
        destinationArn: integration.targetArn,
        ...extra,
      },
    });
  }

  /** REDSHIFT-INTEGRATION-EVENT-0004 for each table that cannot replicate for lack of a primary key. */
  missingPrimaryKeys(
    integration: Integration,
    database: string,
    tables: readonly { schema: string; table: string; primaryKey: readonly string[] }[],
  ): void {
    for (const table of tables.filter((t) => t.primaryKey.length === 0)) {
      this.emit('0004', integration, integration.status, {
        databaseName: database,
        schemaName: table.schema,
        tableName: table.table,
      });
    }
  }
}
