import { insertOnce } from '@omo/lib/core/claims';
import { TOPICS_CACHE_MS } from '@omo/lib/events/partner-event-publisher';
import type { PartnerEvent } from '@omo/lib/events/partner-events';
import type { Outbox, OutboxHandler } from '@omo/lib/outbox/outbox';
import { followedSince, type PartnerEventDoc, type PartnerEventModels, type WebhookDeliveryDoc, type WebhookSubscriptionDoc } from './partner-events.models';

export const LANE_ITEM = 'webhook-lane';
/** One outbox item per subscription and member: its runner sends that member's deliveries in order. */
export const laneKey = (subscriptionId: string, memberId: string): string => `${LANE_ITEM}:${subscriptionId}:${memberId}`;
/** The members outbox item that places a held event once its wait is over (PartnerEventInbox). */
export const RELEASE_ITEM = 'partner-event-release';

/** Enough for many publishers racing on one member's next place: each round, one of them wins. */
const MAX_ORDER_ATTEMPTS = 100;
/**
 * How long an event is held for the one before it in its publisher's order (docs/events.md, "Order"). That one is
 * on its publisher's outbox, retried at most 10 minutes apart (the outbox's longest back-off), so a members outage
 * of any length is covered once members answers again; past this the held event is placed without it (a publisher
 * whose item is stuck, or a lost one), and the earlier event, if it comes, after it.
 */
export const HOLD_FOR_EARLIER_MS = 15 * 60_000;

/**
 * Where published events arrive (members' route `/internal/partner-events`, and members' own outbox). Every step
 * is an insert keyed by the event, so a publisher's retry after any crash point finishes what the first try began:
 * 1. the event, `_id` its id (a second publish finds it);
 * 2. its place in the member's order, the unique `<memberId>:<seq>` of the next place (a clash: another event took
 *    it, or this one did in an earlier try, found by its unique eventId);
 * 3. a delivery per active subscription of its topic, `<subscriptionId>:<eventId>`, and its lane rearmed.
 * Between steps 1 and 2 an event whose publisher says which position came before it (points.changed) is held while
 * that one is not placed yet and may still come: it is placed when that one is (its step 3 places the events
 * waiting behind it), or by its release item after HOLD_FOR_EARLIER_MS. Both sides write before they look (the held
 * event is stored, then looks for its predecessor's place; the predecessor is placed, then looks for who waits), so
 * of two arriving at once one sees the other; a crash after step 1 leaves the release item, or the publisher's
 * retry, to finish it.
 * Between steps 2 and 3 a later event of the member may already have its deliveries: the lane waits for an
 * earlier place without its delivery (WebhookDispatcher, EARLIER_PLACE_WAIT_MS). A crash after step 2 and before 3
 * leaves the place without deliveries until the publisher's retry makes them; past that wait a later event goes
 * first (the one order a crash can change).
 */
export class PartnerEventInbox {
  constructor(
    private readonly models: PartnerEventModels,
    private readonly outboxes: { members: () => Outbox; deliveries: () => Outbox },
    private readonly clock: () => Date,
  ) {}

  /** The topics at least one active subscription listens to. */
  async topics(): Promise<string[]> {
    const active = await this.models.subscriptions.find({ active: true }, { topics: 1 }).lean<Pick<WebhookSubscriptionDoc, 'topics'>[]>().exec();
    return [...new Set(active.flatMap((s) => s.topics))].sort();
  }

  async receive(event: PartnerEvent): Promise<{ accepted: boolean; deliveries: number }> {
    const subscriptions = await this.subscriptionsOf(event.topic);
    if (subscriptions.length === 0) return { accepted: false, deliveries: 0 };
    const order = event.order;
    const doc: PartnerEventDoc = {
      _id: event.id,
      topic: event.topic,
      memberId: event.memberId,
      occurredAt: new Date(event.occurredAt),
      data: event.data,
      receivedAt: this.clock(),
      seq: null,
      order: order
        ? { position: order.position, tiebreak: order.tiebreak, previousPosition: order.previous?.position ?? null, previousAt: order.previous ? new Date(order.previous.at) : null }
        : null,
    };
    await insertOnce(this.models.events, doc);
    const stored = (await this.models.events.findById(event.id).lean<PartnerEventDoc>().exec()) ?? doc;
    if (await this.waitsForEarlier(stored, subscriptions)) {
      // Crash point: held and no release item: the publisher's item is not done, and its retry comes here again
      await this.outboxes.members().enqueue(`${RELEASE_ITEM}:${event.id}`, RELEASE_ITEM, { eventId: event.id }, { notBefore: new Date(stored.receivedAt.getTime() + HOLD_FOR_EARLIER_MS) });
      return { accepted: true, deliveries: 0 };
    }
    return { accepted: true, deliveries: await this.settle(stored, subscriptions) };
  }

  /** The members outbox handler placing a held event whose wait is over (or that was placed meanwhile: a no-op rerun). */
  handlers(): Record<string, OutboxHandler> {
    return {
      [RELEASE_ITEM]: async (payload) => {
        const held = await this.models.events.findById(String(payload.eventId)).lean<PartnerEventDoc>().exec();
        return { deliveries: held ? await this.settle(held, await this.subscriptionsOf(held.topic)) : 0 };
      },
    };
  }

  private subscriptionsOf(topic: string): Promise<WebhookSubscriptionDoc[]> {
    return this.models.subscriptions.find({ active: true, topics: topic }).lean<WebhookSubscriptionDoc[]>().exec();
  }

  /**
   * Whether the event before this one in its publisher's order may still come: the publisher names it, it happened
   * once the topic's subscriptions had been heard of by publishers (TOPICS_CACHE_MS after the first of them began to
   * follow the topic, at its creation or the update adding it; before that it may never have been queued), it is not placed yet, and this event has waited less than
   * HOLD_FOR_EARLIER_MS.
   */
  private async waitsForEarlier(event: PartnerEventDoc, subscriptions: WebhookSubscriptionDoc[]): Promise<boolean> {
    const { previousPosition, previousAt } = event.order ?? {};
    if (event.seq !== null || previousPosition == null || !previousAt) return false;
    if (this.clock().getTime() - event.receivedAt.getTime() >= HOLD_FOR_EARLIER_MS) return false;
    const heardOf = Math.min(...subscriptions.map((s) => followedSince(s, event.topic).getTime())) + TOPICS_CACHE_MS;
    if (previousAt.getTime() < heardOf) return false;
    const placed = await this.models.events.exists({ memberId: event.memberId, topic: event.topic, 'order.position': previousPosition, seq: { $ne: null } });
    return !placed;
  }

  /** Steps 2 and 3, then the same for the events held behind this one. */
  private async settle(event: PartnerEventDoc, subscriptions: WebhookSubscriptionDoc[]): Promise<number> {
    const seq = await this.place(event._id, event.memberId);
    const now = this.clock();
    for (const subscription of subscriptions) {
      const subscriptionId = subscription._id.toHexString();
      const delivery: WebhookDeliveryDoc = {
        _id: `${subscriptionId}:${event._id}`,
        subscriptionId,
        eventId: event._id,
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
      await this.outboxes.deliveries().rearm(laneKey(subscriptionId, event.memberId), LANE_ITEM, { subscriptionId, memberId: event.memberId });
    }
    if (event.order) {
      const waiting = await this.models.events
        .find({ memberId: event.memberId, topic: event.topic, 'order.previousPosition': event.order.position, seq: null })
        .sort({ 'order.position': 1, 'order.tiebreak': 1 })
        .lean<PartnerEventDoc[]>()
        .exec();
      for (const next of waiting) await this.settle(next, subscriptions);
    }
    return subscriptions.length;
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
