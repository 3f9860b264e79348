import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox, OutboxHandler } from '@omo/lib/outbox/outbox';
import { isRetryable } from '@omo/lib/server/internal-api';
import { partnerEventSchema, type PartnerEvent, type PartnerEventTopic } from './partner-events';

/** The outbox item type every publisher registers: its key `partner-event:<event id>`, its payload the event. */
export const PARTNER_EVENT_ITEM = 'partner-event';

/**
 * How long a publisher trusts members' answer that nobody listens to a topic. Past it (or before any answer) every
 * topic counts as wanted, so a subscription made now hears the changes made from at most this long after it, also
 * while members cannot answer (docs/events.md).
 */
export const TOPICS_CACHE_MS = 30_000;

/** Members not answering: asked again at most this often, so a sale path does not start a doomed call each time. */
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
  /** Members' last answer, `at` the clock when it came (not when it was asked: a slow answer is that much older). */
  private known: { topics: ReadonlySet<string>; at: number } | null = null;
  private refreshing: Promise<void> | null = null;
  private notBefore = 0;

  constructor(
    private readonly sink: PartnerEventSink,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {}

  /**
   * Whether to queue an event of the topic, answered at once from what members last said: it never waits on
   * members, because it sits in the sale path (a ledger append, a settlement, a refund, a sign-up). Only a fresh
   * "nobody listens" skips the write; no answer yet, or one older than TOPICS_CACHE_MS, counts as wanted (members'
   * receive checks the subscriptions again and drops what nobody follows), so an outage or a restart while members
   * is down loses no event. A stale or missing answer starts one refresh in the background.
   */
  wants(topic: PartnerEventTopic): boolean {
    const now = this.clock().getTime();
    const fresh = this.known !== null && now - this.known.at < TOPICS_CACHE_MS;
    if (!fresh) this.refresh(now);
    return !fresh || this.known!.topics.has(topic);
  }

  /** Resolves once the refresh under way (if any) has ended; for callers that want the answer before going on. */
  async settled(): Promise<void> {
    await this.refreshing;
  }

  /** Queues the event on the owner's outbox (once per event id); false when nobody subscribes or it was queued before. */
  async publish(outbox: Outbox, event: PartnerEvent): Promise<boolean> {
    if (!this.wants(event.topic)) return false;
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

  private refresh(now: number): void {
    if (this.refreshing || now < this.notBefore) return;
    this.refreshing = this.ask().finally(() => {
      this.refreshing = null;
    });
  }

  private async ask(): Promise<void> {
    try {
      const topics = new Set(await this.sink.topics());
      this.known = { topics, at: this.clock().getTime() };
    } catch (error) {
      this.notBefore = this.clock().getTime() + UNREACHABLE_RETRY_MS;
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not ask members which partner event topics are subscribed');
    }
  }
}
