import { z } from 'zod';

/**
 * What partners (a marketing tool, a CRM, a POS keeping its own copy of the balance) can subscribe to. Each event is
 * published by the service that owns the change (members, points, purchases) and delivered by members
 * (subgraphs/members/src/partner-events/); docs/events.md gives every payload and the verification code.
 */
export const PARTNER_EVENT_TOPICS = [
  'member.registered',
  'member.merged',
  'member.withdrawn',
  'points.changed',
  'tier.changed',
  'coupon.used',
  'purchase.recorded',
  'purchase.refunded',
] as const;
export const partnerEventTopic = z.enum(PARTNER_EVENT_TOPICS);
export type PartnerEventTopic = z.infer<typeof partnerEventTopic>;

const id = z.string().min(1).max(100);
const isoInstant = z.iso.datetime();

/** The data of each topic: ids are our ids (lower-case hex), amounts integers (yen, points), instants ISO 8601 UTC. */
export const partnerEventData = {
  'member.registered': z.object({ memberId: id, memberCode: z.string(), registeredVia: z.enum(['STORE', 'ONLINE']), registeredAt: isoInstant }),
  /** The merged member's points, purchases and LINE link now belong to the survivor. */
  'member.merged': z.object({ memberId: id, survivorId: id, mergedId: id }),
  'member.withdrawn': z.object({ memberId: id, withdrawnAt: isoInstant }),
  /** One ledger entry: `seq` is the member's ledger position, so a partner keeping the balance keeps the highest. */
  'points.changed': z.object({
    memberId: id,
    seq: z.number().int().positive(),
    type: z.enum(['EARN', 'REDEEM', 'ADJUST', 'EXPIRE', 'REVERSAL', 'BONUS', 'MERGE_OUT', 'MERGE_IN', 'IMPORT']),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
    purchaseId: id.nullable(),
  }),
  /**
   * A member's tier moved (points' tier-changes.ts): `reason` PURCHASE / REFUND / IMPORT / MERGE (a spend record
   * written) or EXPIRY (the tier job: spend left the window, or the tier rules changed); `ledgerSeq` is the member's
   * ledger head when it was seen, so it follows that points.changed; `at` is points' clock.
   */
  'tier.changed': z.object({
    memberId: id,
    from: z.enum(['REGULAR', 'SILVER', 'GOLD', 'PLATINUM']),
    to: z.enum(['REGULAR', 'SILVER', 'GOLD', 'PLATINUM']),
    reason: z.enum(['PURCHASE', 'REFUND', 'IMPORT', 'MERGE', 'EXPIRY']),
    qualifyingSpend: z.number().int(),
    ledgerSeq: z.number().int().nonnegative(),
    at: isoInstant,
  }),
  'coupon.used': z.object({ memberId: id, couponId: id, purchaseId: id }),
  /** A member's purchase whose points are settled (COMPLETED); guests' purchases are not published. */
  'purchase.recorded': z.object({
    memberId: id,
    purchaseId: id,
    storeId: id,
    channel: z.enum(['STORE', 'ONLINE']),
    total: z.number().int(),
    amountPaid: z.number().int(),
    pointsRedeemed: z.number().int(),
    occurredAt: isoInstant,
  }),
  /** One refund of a member's purchase, its points reversed; `refundedTotal` is the purchase's refunds so far. */
  'purchase.refunded': z.object({
    memberId: id,
    purchaseId: id,
    refundId: id,
    amount: z.number().int(),
    refundedTotal: z.number().int(),
    refundedAt: isoInstant,
  }),
} satisfies Record<PartnerEventTopic, z.ZodType>;

export type PartnerEventDataOf<T extends PartnerEventTopic> = z.infer<(typeof partnerEventData)[T]>;

/**
 * Where an event stands in its publisher's own order of the member's events of its topic, which the publisher's
 * outbox does not keep (an item whose first try failed runs after a later one). `position` rises with the change:
 * a sequence the publisher keeps for the member where it has one (points: the ledger entry's `seq`; a tier change:
 * the member's change number `n`), else the change's time from the publisher's injectable clock
 * in ms, `tiebreak` (the event id) ordering equal times.
 *
 * `previous`, given only by a publisher whose positions of this topic have no holes (every position is published:
 * points.changed, tier.changed), is the position just before this one and when that change happened (null: this is the first).
 * members then holds this event while that one may still come (docs/events.md, "Order"): a publisher that cannot
 * say leaves it out, and its events are placed as they arrive.
 */
export const publisherOrder = z.object({
  position: z.number().int().nonnegative(),
  tiebreak: z.string().max(200).default(''),
  previous: z.object({ position: z.number().int().nonnegative(), at: isoInstant }).nullable().optional(),
});
export type PublisherOrder = z.input<typeof publisherOrder>;

/**
 * An event as a publisher hands it to members. `id` is derived from the change (`purchase.recorded:<purchaseId>`,
 * `points.changed:<memberId>:<seq>`), so publishing twice is one event. `order` is optional only so that an item
 * queued by a publisher older than it still goes through (placed as it arrives).
 */
export const partnerEventSchema = z
  .object({
    id: z.string().min(1).max(200),
    topic: partnerEventTopic,
    memberId: id,
    occurredAt: isoInstant,
    data: z.record(z.string(), z.unknown()),
    order: publisherOrder.optional(),
  })
  .superRefine((event, ctx) => {
    const parsed = partnerEventData[event.topic].safeParse(event.data);
    if (!parsed.success) ctx.addIssue({ code: 'custom', path: ['data'], message: `is not a ${event.topic} payload: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
  });
export type PartnerEvent = z.infer<typeof partnerEventSchema>;

/**
 * Builds an event of a topic, its data typed by the topic. Without an `order`, its position is `occurredAt` (which
 * the caller takes from its injectable clock, or from the record the change wrote), the id breaking ties.
 */
export function partnerEvent<T extends PartnerEventTopic>(topic: T, id: string, occurredAt: Date, data: PartnerEventDataOf<T>, order?: PublisherOrder): PartnerEvent {
  const placed = publisherOrder.parse(order ?? { position: occurredAt.getTime(), tiebreak: id });
  return { id, topic, memberId: data.memberId, occurredAt: occurredAt.toISOString(), data, order: placed };
}

/**
 * The JSON body partners receive. `sequence` is the event's position among this member's events (1, 2, ...), the
 * order members delivers them in to each subscription.
 */
export interface PartnerDeliveryBody {
  id: string;
  topic: PartnerEventTopic;
  memberId: string;
  sequence: number;
  occurredAt: string;
  data: Record<string, unknown>;
}
