import { Schema, type Connection, type Model } from 'mongoose';

/** `member-*`: a customers/* event, by what members did with the customer (lib/contracts/members.ts upsertOnlineCustomer). */
export type WebhookDeliveryOutcome =
  | 'recorded'
  | 'refunded'
  | 'cancelled'
  | 'ignored'
  | 'awaiting-order'
  | 'awaiting-payment'
  | 'member-created'
  | 'member-linked'
  | 'member-updated'
  | 'member-unchanged'
  | 'member-withdrawn'
  | 'member-stale';

/** A refund or cancellation that arrived before its order's purchase existed: carried out when the order is recorded. */
export interface AwaitingRefundDoc {
  orderExternalId: string;
  /** The refunds/create or orders/cancelled body as it was signed, mapped again when the order's purchase exists. */
  body: string;
  appliedAt: Date | null;
}

/**
 * One Shopify webhook event per store, claimed by inserting its `_id` (`<storeId>:event:<X-Shopify-Event-Id>`),
 * plus one document per delivery that completed (`<storeId>:webhook:<X-Shopify-Webhook-Id>`), so a repeat of
 * either id is recognised. Ids are scoped by store so that one shop cannot block another's events by sending
 * their ids. An event whose delivery failed is released and Shopify's retry runs it again; one whose delivery
 * died is taken over by a lease in `webhook_delivery_leases` once `leaseUntil` has passed
 * (webhooks/shopify-delivery.service.ts).
 */
export interface WebhookDeliveryDoc {
  _id: string;
  storeId: string;
  topic: string;
  eventId: string | null;
  webhookId: string | null;
  triggeredAt: Date | null;
  receivedAt: Date;
  /** While set and in the future, a delivery is working on the event (the first, or one that took it over); another waits (409). */
  leaseUntil: Date | null;
  processedAt: Date | null;
  outcome: WebhookDeliveryOutcome | null;
  /** Why an event was ignored, for operators reading the log. */
  reason: string | null;
  purchaseId: string | null;
  /** The member a customers/* event was applied to. */
  memberId?: string | null;
  awaiting: AwaitingRefundDoc | null;
}

const deliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    _id: { type: String, required: true },
    storeId: { type: String, required: true },
    topic: { type: String, required: true },
    eventId: { type: String, default: null },
    webhookId: { type: String, default: null },
    triggeredAt: { type: Date, default: null },
    receivedAt: { type: Date, required: true },
    leaseUntil: { type: Date, default: null },
    processedAt: { type: Date, default: null },
    outcome: { type: String, default: null },
    reason: { type: String, default: null },
    purchaseId: { type: String, default: null },
    memberId: { type: String, default: null },
    awaiting: {
      type: new Schema<AwaitingRefundDoc>(
        {
          orderExternalId: { type: String, required: true },
          body: { type: String, required: true },
          appliedAt: { type: Date, default: null },
        },
        { _id: false, minimize: false },
      ),
      default: null,
    },
  },
  { versionKey: false, minimize: false },
);
// the refunds waiting for an order are looked up by it when the order's purchase is recorded
deliverySchema.index({ 'awaiting.orderExternalId': 1 });

export type WebhookDeliveryModel = Model<WebhookDeliveryDoc>;

export function webhookDeliveryModel(connection: Connection): WebhookDeliveryModel {
  return connection.model<WebhookDeliveryDoc>('WebhookDelivery', deliverySchema, 'webhook_deliveries');
}
