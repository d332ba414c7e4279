import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { EventHub } from '../events.js';
import { type LocalEndpoint, serveLocal } from '../http.js';

/**
 * The local EventBridge (PutEvents on the default bus) and SNS (Publish) endpoints the orchestrator's
 * notifications reach through AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL_SNS. Events land on the
 * local event hub (so local rules can match them too); SNS messages are kept for inspection.
 */

export interface SnsMessage {
  topicArn: string;
  subject?: string;
  message: string;
  at: Date;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
}

export async function startEventBridgeEndpoint(hub: EventHub, clock: Clock): Promise<LocalEndpoint> {
  return serveLocal(async ({ headers, body }) => {
    const target = String(headers['x-amz-target'] ?? '');
    const json = (status: number, value: unknown) => ({
      status,
      contentType: 'application/x-amz-json-1.1',
      body: JSON.stringify(value),
    });
    if (target !== 'AWSEvents.PutEvents') {
      return json(400, { __type: 'UnknownOperationException', message: `unsupported operation ${target}` });
    }
    const entries = ((JSON.parse(body || '{}') as { Entries?: PutEventsEntry[] }).Entries ?? []).slice(0, 10);
    const results = entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
      }
      if (entry.EventBusName && entry.EventBusName !== 'default') {
        return {
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `event bus ${entry.EventBusName} does not exist`,
        };
      }
      let detail: Record<string, unknown>;
      try {
        detail = JSON.parse(entry.Detail) as Record<string, unknown>;
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      const event = hub.emit({
        source: entry.Source,
        detailType: entry.DetailType,
        time: clock.now(),
        resources: entry.Resources ?? [],
        detail,
      });
      return { EventId: event.id };
    });
    return json(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  });
}

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startSnsEndpoint(messages: SnsMessage[], clock: Clock): Promise<LocalEndpoint> {
  return serveLocal(async ({ body }) => {
    const form = new URLSearchParams(body);
    const xml = (status: number, text: string) => ({ status, contentType: 'text/xml', body: text });
    if (form.get('Action') !== 'Publish') {
      return xml(
        400,
        `<ErrorResponse><Error><Code>InvalidAction</Code><Message>${xmlEscape(form.get('Action') ?? '')} is not supported</Message></Error></ErrorResponse>`,
      );
    }
    const topicArn = form.get('TopicArn') ?? '';
    const message = form.get('Message');
    if (!topicArn || message === null) {
      return xml(
        400,
        '<ErrorResponse><Error><Code>InvalidParameter</Code><Message>TopicArn and Message are required</Message></Error></ErrorResponse>',
      );
    }
    const subject = form.get('Subject') ?? undefined;
    messages.push({ topicArn, message, at: clock.now(), ...(subject ? { subject } : {}) });
    return xml(
      200,
      `<PublishResponse><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult></PublishResponse>`,
    );
  });
}
