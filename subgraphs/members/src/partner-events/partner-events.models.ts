import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { PartnerEventTopic } from '@omo/lib/events/partner-events';

/**
 * A partner's webhook endpoint and the topics it hears. Changed only by ADMIN mutations (plain updates: two admins
 * editing at once, the later edit stands). `secret` signs deliveries, so it is kept as given out (it is never
 * shown again); `previousSecret` is still signed with until `previousSecretUntil`, so a partner can switch over.
 */
export interface WebhookSubscriptionDoc {
  _id: Types.ObjectId;
  url: string;
  topics: PartnerEventTopic[];
  /**
   * When each of its topics became followed (at the creation, or the update that added it): an event of a topic is
   * only expected to have been published since then. Absent on subscriptions made before it: their createdAt.
   */
  followedSince?: { topic: PartnerEventTopic; since: Date }[];
  description: string | null;
  active: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string;
}

/** Where the event stands in its publisher's order of the member's events of its topic (lib/events/partner-events.ts). */
export interface StoredPublisherOrder {
  position: number;
  tiebreak: string;
  /** Given by a publisher without holes in its positions: the position before this one, and when it happened. */
  previousPosition: number | null;
  previousAt: Date | null;
}

/**
 * An event as it arrived, once per id; `seq` its place among its member's events (partner_event_sequence), null
 * while it is held for an earlier event of its publisher (PartnerEventInbox) or between the inbox's steps.
 */
export interface PartnerEventDoc {
  _id: string;
  topic: PartnerEventTopic;
  memberId: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  receivedAt: Date;
  seq: number | null;
  /** null: from a publisher older than the field, placed as it arrived. */
  order?: StoredPublisherOrder | null;
}

/** One event's place in its member's order: `_id` `<memberId>:<seq>`, so each place is taken once; `eventId` unique. */
export interface PartnerEventSequenceDoc {
  _id: string;
  memberId: string;
  seq: number;
  eventId: string;
}

export type DeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One try of a delivery: the receiver's HTTP status, or why there was none. No headers, secrets or bodies. */
export interface DeliveryAttempt {
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One event for one subscription, `_id` `<subscriptionId>:<eventId>` (made once). Written only by the runner of its
 * lane (the outbox item of its subscription and member, under the outbox's lease) and by a replay of a finished one.
 */
export interface WebhookDeliveryDoc {
  _id: string;
  subscriptionId: string;
  eventId: string;
  topic: PartnerEventTopic;
  memberId: string;
  seq: number;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  /** When the current round of tries began (created or replayed): given up GIVE_UP_MS after it. */
  since: Date;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
  failureReason: string | null;
}

const subscriptionSchema = new Schema<WebhookSubscriptionDoc>(
  {
    url: { type: String, required: true },
    topics: { type: [String], required: true },
    followedSince: { type: [{ _id: false, topic: { type: String, required: true }, since: { type: Date, required: true } }], default: undefined },
    description: { type: String, default: null },
    active: { type: Boolean, required: true },
    secret: { type: String, required: true },
    previousSecret: { type: String, default: null },
    previousSecretUntil: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
  },
  { versionKey: false },
);

const eventSchema = new Schema<PartnerEventDoc>(
  {
    _id: { type: String, required: true },
    topic: { type: String, required: true },
    memberId: { type: String, required: true },
    occurredAt: { type: Date, required: true },
    data: { type: Schema.Types.Mixed, required: true },
    receivedAt: { type: Date, required: true },
    seq: { type: Number, default: null },
    order: {
      type: new Schema<StoredPublisherOrder>(
        { position: { type: Number, required: true }, tiebreak: { type: String, default: '' }, previousPosition: { type: Number, default: null }, previousAt: { type: Date, default: null } },
        { _id: false },
      ),
      default: null,
    },
  },
  { versionKey: false, minimize: false },
);
// the publisher's order of a member's events of a topic: an event's predecessor, and the events held behind it
eventSchema.index({ memberId: 1, topic: 1, 'order.position': 1 });
eventSchema.index({ memberId: 1, topic: 1, 'order.previousPosition': 1 });

const sequenceSchema = new Schema<PartnerEventSequenceDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    seq: { type: Number, required: true },
    eventId: { type: String, required: true },
  },
  { versionKey: false },
);
sequenceSchema.index({ eventId: 1 }, { unique: true });
sequenceSchema.index({ memberId: 1, seq: -1 });

const attemptSchema = new Schema<DeliveryAttempt>(
  { at: { type: Date, required: true }, statusCode: { type: Number, default: null }, error: { type: String, default: null }, durationMs: { type: Number, required: true } },
  { _id: false },
);

const deliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    _id: { type: String, required: true },
    subscriptionId: { type: String, required: true },
    eventId: { type: String, required: true },
    topic: { type: String, required: true },
    memberId: { type: String, required: true },
    seq: { type: Number, required: true },
    state: { type: String, required: true },
    attempts: { type: [attemptSchema], default: [] },
    since: { type: Date, required: true },
    nextAttemptAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    deliveredAt: { type: Date, default: null },
    failedAt: { type: Date, default: null },
    failureReason: { type: String, default: null },
  },
  { versionKey: false },
);
deliverySchema.index({ subscriptionId: 1, memberId: 1, state: 1, seq: 1 });
deliverySchema.index({ subscriptionId: 1, createdAt: -1 });

export interface PartnerEventModels {
  subscriptions: Model<WebhookSubscriptionDoc>;
  events: Model<PartnerEventDoc>;
  sequence: Model<PartnerEventSequenceDoc>;
  deliveries: Model<WebhookDeliveryDoc>;
}

export function partnerEventModels(connection: Connection): PartnerEventModels {
  return {
    subscriptions: connection.model<WebhookSubscriptionDoc>('WebhookSubscription', subscriptionSchema, 'partner_webhook_subscriptions'),
    events: connection.model<PartnerEventDoc>('PartnerEvent', eventSchema, 'partner_events'),
    sequence: connection.model<PartnerEventSequenceDoc>('PartnerEventSequence', sequenceSchema, 'partner_event_sequence'),
    deliveries: connection.model<WebhookDeliveryDoc>('WebhookDelivery', deliverySchema, 'partner_webhook_deliveries'),
  };
}

/** When the subscription began to follow `topic` (docs/events.md, "Order"). */
export function followedSince(subscription: WebhookSubscriptionDoc, topic: string): Date {
  return subscription.followedSince?.find((f) => f.topic === topic)?.since ?? subscription.createdAt;
}
