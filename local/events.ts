import { randomUUID } from 'node:crypto';

/** An event as EventBridge would deliver it to a rule target. */
export interface LocalEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EventListener = (event: LocalEvent) => void;

export interface EventOrigin {
  account: string;
  region: string;
}

/**
 * The local stand-in for the default event bus: keeps every event (tests and the scenario summary
 * read the log) and hands each one to the subscribers, e.g. the local EventBridge rule matcher.
 */
export class EventHub {
  readonly log: LocalEvent[] = [];
  #listeners = new Set<EventListener>();

  constructor(readonly origin: EventOrigin) {}

  onEvent(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(input: {
    source: string;
    detailType: string;
    time: Date;
    resources: string[];
    detail: Record<string, unknown>;
  }): LocalEvent {
    const event: LocalEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': input.detailType,
      source: input.source,
      account: this.origin.account,
      time: `${input.time.toISOString().slice(0, 19)}Z`,
      region: this.origin.region,
      resources: input.resources,
      detail: input.detail,
    };
    this.log.push(event);
    for (const listener of this.#listeners) {
      // A failing subscriber must not break the service that emitted the event (EventBridge is async).
      try {
        listener(event);
      } catch (error) {
        console.error('local event listener failed', error);
      }
    }
    return event;
  }
}
