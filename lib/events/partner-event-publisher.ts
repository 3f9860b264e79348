import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox, OutboxHandler } from '@omo/lib/outbox/outbox';
import { isRetryable } from '@omo/lib/server/internal-api';
import { partnerEventSchema, type PartnerEvent, type PartnerEventTopic } from './partner-events';

/** The outbox item type every publisher registers: its key `partner-event:<event id>`, its payload the event. */
export const PARTNER_EVENT_ITEM = 'partner-event';

/**
 * How long a publisher trusts members' answer to which topics have subscriptions. A subscription made now hears the
 * events of changes made from at most this long after it (docs/events.md).
 */
export const TOPICS_CACHE_MS = 30_000;

/** Members not answering: its last answer (or none) stands this long before it is asked again. */
const UNREACHABLE_RETRY_MS = 5_000;

/** Where events go: members' internal routes for points and purchases, members' own inbox for members. */
export interface PartnerEventSink {
  /** The topics at least one active subscription listens to. */
  topics(): Promise<readonly string[]>;
  publish(event: PartnerEvent): Promise<unknown>;
}

/**
 * An owner's side of partner events: an event is queued on the owner's outbox in the change's path (so a process
 * dying after the change has left the item, and the item is delivered to members when it can be), unless no
 * subscription listens to its topic: then nothing is written at all, so a sale costs no database command for a
 * topic nobody follows.
 */
export class PartnerEventPublisher {
  private known: { topics: ReadonlySet<string>; until: number } | null = null;
  private asking: Promise<ReadonlySet<string>> | null = null;

  constructor(
    private readonly sink: PartnerEventSink,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {}

  /**
   * Whether the topic has subscribers, as members said at most TOPICS_CACHE_MS ago. Members unreachable: its last
   * answer, asked again after UNREACHABLE_RETRY_MS; a process that has never had one publishes nothing until it
   * does (docs/events.md: members down is deliveries down too, and a sale must not wait on it).
   */
  async wants(topic: PartnerEventTopic): Promise<boolean> {
    const now = this.clock().getTime();
    if (this.known && this.known.until > now) return this.known.topics.has(topic);
    this.asking ??= this.ask(now).finally(() => {
      this.asking = null;
    });
    return (await this.asking).has(topic);
  }

  /** Queues the event on the owner's outbox (once per event id); false when nobody subscribes or it was queued before. */
  async publish(outbox: Outbox, event: PartnerEvent): Promise<boolean> {
    if (!(await this.wants(event.topic))) return false;
    return outbox.enqueue(`${PARTNER_EVENT_ITEM}:${event.id}`, PARTNER_EVENT_ITEM, event);
  }

  /** The outbox handler that hands a queued event to members; members stores each event id once, so a rerun is harmless. */
  handlers(): Record<string, OutboxHandler> {
    return {
      [PARTNER_EVENT_ITEM]: async (payload) => {
        try {
          return await this.sink.publish(partnerEventSchema.parse(payload));
        } catch (error) {
          if (isRetryable(error) || !(error instanceof AppError)) throw error;
          // members refusing this event refuses it on every retry: kept on the item and logged, not retried for ever
          this.logger.error({ eventId: payload.id, err: error.message }, 'members refused a partner event');
          return { refused: error.message };
        }
      },
    };
  }

  private async ask(now: number): Promise<ReadonlySet<string>> {
    try {
      const topics = new Set(await this.sink.topics());
      this.known = { topics, until: now + TOPICS_CACHE_MS };
      return topics;
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not ask members which partner event topics are subscribed');
      const topics = this.known?.topics ?? new Set<string>();
      this.known = { topics, until: now + UNREACHABLE_RETRY_MS };
      return topics;
    }
  }
}
