import { insertOnce } from '@omo/lib/core/claims';
import type { PartnerEvent } from '@omo/lib/events/partner-events';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { PartnerEventDoc, PartnerEventModels, WebhookDeliveryDoc, WebhookSubscriptionDoc } from './partner-events.models';

export const LANE_ITEM = 'webhook-lane';
/** One outbox item per subscription and member: its runner sends that member's deliveries in order. */
export const laneKey = (subscriptionId: string, memberId: string): string => `${LANE_ITEM}:${subscriptionId}:${memberId}`;

/** Enough for many publishers racing on one member's next place: each round, one of them wins. */
const MAX_ORDER_ATTEMPTS = 100;

/**
 * Where published events arrive (members' route `/internal/partner-events`, and members' own outbox). Every step
 * is an insert keyed by the event, so a publisher's retry after any crash point finishes what the first try began:
 * 1. the event, `_id` its id (a second publish finds it);
 * 2. its place in the member's order, the unique `<memberId>:<seq>` of the next place (a clash: another event took
 *    it, or this one did in an earlier try, found by its unique eventId);
 * 3. a delivery per active subscription of its topic, `<subscriptionId>:<eventId>`, and its lane rearmed.
 * Between steps 2 and 3 a later event of the member may already have its deliveries: the lane waits for an
 * earlier place without its delivery (WebhookDispatcher, EARLIER_PLACE_WAIT_MS). A crash after step 2 and before 3
 * leaves the place without deliveries until the publisher's retry makes them; past that wait a later event goes
 * first (the one order a crash can change).
 */
export class PartnerEventInbox {
  constructor(
    private readonly models: PartnerEventModels,
    private readonly outbox: () => Outbox,
    private readonly clock: () => Date,
  ) {}

  /** The topics at least one active subscription listens to. */
  async topics(): Promise<string[]> {
    const active = await this.models.subscriptions.find({ active: true }, { topics: 1 }).lean<Pick<WebhookSubscriptionDoc, 'topics'>[]>().exec();
    return [...new Set(active.flatMap((s) => s.topics))].sort();
  }

  async receive(event: PartnerEvent): Promise<{ accepted: boolean; deliveries: number }> {
    const subscriptions = await this.models.subscriptions
      .find({ active: true, topics: event.topic })
      .lean<WebhookSubscriptionDoc[]>()
      .exec();
    if (subscriptions.length === 0) return { accepted: false, deliveries: 0 };
    const now = this.clock();
    await insertOnce(this.models.events, {
      _id: event.id,
      topic: event.topic,
      memberId: event.memberId,
      occurredAt: new Date(event.occurredAt),
      data: event.data,
      receivedAt: now,
      seq: null,
    } satisfies PartnerEventDoc);
    const seq = await this.place(event.id, event.memberId);
    for (const subscription of subscriptions) {
      const subscriptionId = subscription._id.toHexString();
      const delivery: WebhookDeliveryDoc = {
        _id: `${subscriptionId}:${event.id}`,
        subscriptionId,
        eventId: event.id,
        topic: event.topic,
        memberId: event.memberId,
        seq,
        state: 'PENDING',
        attempts: [],
        since: now,
        nextAttemptAt: now,
        createdAt: now,
        deliveredAt: null,
        failedAt: null,
        failureReason: null,
      };
      await insertOnce(this.models.deliveries, delivery);
      // also for a delivery written by an earlier try: that try may have died before this
      await this.outbox().rearm(laneKey(subscriptionId, event.memberId), LANE_ITEM, { subscriptionId, memberId: event.memberId });
    }
    return { accepted: true, deliveries: subscriptions.length };
  }

  /** The event's place among its member's events, taken by inserting the next one; found again on a retry. */
  private async place(eventId: string, memberId: string): Promise<number> {
    for (let attempt = 0; attempt < MAX_ORDER_ATTEMPTS; attempt += 1) {
      const mine = await this.models.sequence.findOne({ eventId }).lean().exec();
      if (mine) {
        await this.models.events.updateOne({ _id: eventId, seq: null }, { $set: { seq: mine.seq } });
        return mine.seq;
      }
      const head = await this.models.sequence.findOne({ memberId }).sort({ seq: -1 }).lean().exec();
      const seq = (head?.seq ?? 0) + 1;
      // a clash is another event taking this place, or this event's own place taken by a concurrent try of the
      // same publish (FerretDB does not say which index): the next round's read tells
      await insertOnce(this.models.sequence, { _id: `${memberId}:${seq}`, memberId, seq, eventId });
    }
    throw new Error(`Could not place partner event ${eventId} in its member's order after ${MAX_ORDER_ATTEMPTS} attempts`);
  }
}
