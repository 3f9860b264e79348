import { z } from 'zod';
import { requireAdmin, requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { objectIdSchema, parseInput } from '@omo/lib/core/validation';
import type { Outbox } from '@omo/lib/outbox/outbox';
import { LANE_ITEM, laneKey } from './partner-event-inbox';
import type { DeliveryAttempt, DeliveryState, PartnerEventModels, WebhookDeliveryDoc, WebhookSubscriptionDoc } from './partner-events.models';
import { enumOfTopic, type TopicEnum } from './webhook-subscription.service';

/** A delivery as staff read it in the log. */
export interface WebhookDeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  topic: TopicEnum;
  memberId: string;
  sequence: number;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
  failureReason: string | null;
}

const pageInput = z.object({
  subscriptionId: objectIdSchema(),
  state: z.enum(['PENDING', 'DELIVERED', 'FAILED']).nullish(),
  first: z.number().int().min(1, 'must be 1-100').max(100, 'must be 1-100'),
  after: z
    .string()
    .regex(/^\d{1,15}\|.{1,300}$/, 'is not a cursor of this list')
    .nullish(),
});

/** The delivery log (STAFF and ADMIN) and its replay (ADMIN). */
export class WebhookDeliveryLog {
  constructor(
    private readonly models: PartnerEventModels,
    private readonly outbox: () => Outbox,
    private readonly clock: () => Date,
  ) {}

  /** A subscription's deliveries, newest first, `first` at a time; `nextCursor` is the next page's `after` (null: the last page). */
  async page(
    caller: Caller,
    request: { subscriptionId: string; state?: DeliveryState | null; first: number; after?: string | null },
  ): Promise<{ deliveries: WebhookDeliveryView[]; nextCursor: string | null }> {
    requireStaff(caller);
    const { subscriptionId, state, first, after } = parseInput(pageInput, request);
    const filter: Record<string, unknown> = { subscriptionId };
    if (state) filter.state = state;
    if (after) {
      const at = after.indexOf('|');
      const createdAt = new Date(Number(after.slice(0, at)));
      const id = after.slice(at + 1);
      filter.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
    }
    const found = await this.models.deliveries.find(filter).sort({ createdAt: -1, _id: -1 }).limit(first + 1).lean<WebhookDeliveryDoc[]>().exec();
    const deliveries = found.slice(0, first);
    const last = deliveries.at(-1);
    return { deliveries: deliveries.map(view), nextCursor: found.length > first && last ? `${last.createdAt.getTime()}|${last._id}` : null };
  }

  /**
   * Sends a finished delivery again, the same event id and body (receivers dedupe by the id), ahead of the lane's
   * later pending ones (it is the lowest of them). A delivery still PENDING is tried now instead of after its
   * back-off (also how a replay that died before rearming its lane is finished: called again).
   */
  async replay(caller: Caller, id: string): Promise<WebhookDeliveryView> {
    requireAdmin(caller);
    const delivery = await this.models.deliveries.findById(String(id)).lean<WebhookDeliveryDoc>().exec();
    if (!delivery) throw new NotFoundError('Webhook delivery');
    const subscription = await this.models.subscriptions.findById(delivery.subscriptionId).lean<WebhookSubscriptionDoc>().exec();
    if (!subscription?.active) throw new BadUserInputError('This delivery’s subscription is disabled', { field: 'id' });
    const now = this.clock();
    const again = delivery.state === 'PENDING' ? { nextAttemptAt: now } : { state: 'PENDING', since: now, nextAttemptAt: now, deliveredAt: null, failedAt: null, failureReason: null };
    await this.models.deliveries.updateOne({ _id: delivery._id, state: delivery.state }, { $set: again });
    // Crash point: PENDING written and the lane not rearmed: the lane's next run (the member's next event) sends
    // it, and staff, seeing it PENDING, can replay it again, which rearms the lane.
    await this.outbox().rearm(laneKey(delivery.subscriptionId, delivery.memberId), LANE_ITEM, { subscriptionId: delivery.subscriptionId, memberId: delivery.memberId });
    const after = await this.models.deliveries.findById(delivery._id).lean<WebhookDeliveryDoc>().exec();
    return view(after!);
  }
}

function view(doc: WebhookDeliveryDoc): WebhookDeliveryView {
  return {
    id: doc._id,
    subscriptionId: doc.subscriptionId,
    eventId: doc.eventId,
    topic: enumOfTopic(doc.topic),
    memberId: doc.memberId,
    sequence: doc.seq,
    state: doc.state,
    attempts: doc.attempts,
    nextAttemptAt: doc.state === 'PENDING' ? doc.nextAttemptAt : null,
    createdAt: doc.createdAt,
    deliveredAt: doc.deliveredAt,
    failedAt: doc.failedAt,
    failureReason: doc.failureReason,
  };
}
