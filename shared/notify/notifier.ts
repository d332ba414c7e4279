import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { boundNotification } from './bounded.js';

/** Source of every event the orchestrator puts on the default EventBridge bus. */
export const EVENT_SOURCE = 'zero-etl-orchestrator';

export const DETAIL_TYPES = [
  'Curated Table Refreshed',
  'Curated Refresh Completed',
  'Curated Refresh Failed',
  'Curated Models Deferred',
  'Curated Model Schema Drift',
  'Source Tables Resynced',
  'Resync Timed Out',
  'Integration Recreated',
  'Integration Recovery Blocked',
  'Integration Recovery Failed',
  'Reconcile Event Ignored',
] as const;
export type DetailType = (typeof DETAIL_TYPES)[number];

export interface Notification {
  detailType: DetailType;
  /** info: event only; warning/error: also SNS when a topic is configured. */
  severity: 'info' | 'warning' | 'error';
  subject: string;
  detail: Record<string, unknown>;
}

export interface NotifierDeps {
  eventBridge: Pick<EventBridgeClient, 'send'>;
  sns: Pick<SNSClient, 'send'>;
  snsTopicArn?: string;
}

const PUT_EVENTS_BATCH = 10;

/** Announces what the orchestrator did: always on EventBridge, and by SNS for what needs a human. */
export class Notifier {
  constructor(private readonly deps: NotifierDeps) {}

  async notify(all: readonly Notification[]): Promise<void> {
    const notifications = all.map(boundNotification);
    for (let i = 0; i < notifications.length; i += PUT_EVENTS_BATCH) {
      const batch = notifications.slice(i, i + PUT_EVENTS_BATCH);
      const result = await this.deps.eventBridge.send(
        new PutEventsCommand({
          Entries: batch.map((n) => ({
            Source: EVENT_SOURCE,
            DetailType: n.detailType,
            Detail: JSON.stringify({ severity: n.severity, subject: n.subject, ...n.detail }),
            EventBusName: 'default',
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        throw new Error(`EventBridge rejected ${result.FailedEntryCount} of ${batch.length} events`);
      }
    }
    const topic = this.deps.snsTopicArn;
    if (!topic) return;
    for (const n of notifications.filter((x) => x.severity !== 'info')) {
      await this.deps.sns.send(
        new PublishCommand({
          TopicArn: topic,
          // SNS subjects: ≤ 100 printable ASCII characters.
          Subject: `[zeo] ${n.subject}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
          Message: JSON.stringify({ detailType: n.detailType, severity: n.severity, ...n.detail }, null, 2),
        }),
      );
    }
  }
}
