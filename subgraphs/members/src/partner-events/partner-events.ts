import type { Connection } from 'mongoose';
import type { Logger } from '@omo/lib/core/logger';
import { PartnerEventPublisher } from '@omo/lib/events/partner-event-publisher';
import { Outbox, type OutboxHandler } from '@omo/lib/outbox/outbox';
import type { BackgroundTask } from '@omo/lib/server/background';
import type { MemberModel } from '../models/member.model';
import { MemberEvents } from './member-events';
import { LANE_ITEM, laneKey, PartnerEventInbox } from './partner-event-inbox';
import { partnerEventModels, type PartnerEventModels } from './partner-events.models';
import { WebhookDeliveryLog } from './webhook-delivery-log';
import { SubscriptionPause } from './subscription-pause';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSubscriptionService } from './webhook-subscription.service';

/** Partner events in members (docs/events.md): subscriptions, the event inbox, the dispatcher and the delivery log. */
export interface PartnerEvents {
  models: PartnerEventModels;
  subscriptions: WebhookSubscriptionService;
  deliveries: WebhookDeliveryLog;
  inbox: PartnerEventInbox;
  memberEvents: MemberEvents;
  /** The deliveries' own outbox (`partner_webhooks_outbox`): one item per lane, DELIVERY_CONCURRENCY at once. */
  deliveryOutbox: Outbox;
  /** The members outbox handlers: members' own events (and lanes queued there before deliveries had their own outbox). */
  handlers(): Record<string, OutboxHandler>;
  /** Drains the delivery outbox on an interval, beside (never inside) members' outbox. */
  start(intervalMs: number): BackgroundTask;
}

/**
 * Lanes sent at once by one process. They never hold members' own outbox (sign-up bonuses, Smaregi customers,
 * merges), which drains apart.
 */
export const DELIVERY_CONCURRENCY = 4;
/**
 * Of those, the most one subscription's lanes take in a drain: a receiver answering slowly for many members keeps
 * two slots for one lane run each, and the other subscriptions' lanes go in the others meanwhile.
 */
export const LANES_PER_SUBSCRIPTION = 2;

export function buildPartnerEvents(options: {
  connection: Connection;
  members: MemberModel;
  outbox: () => Outbox;
  clock: () => Date;
  logger: Logger;
  production: boolean;
  timeoutMs: number;
}): PartnerEvents {
  const models = partnerEventModels(options.connection);
  const dispatcher = new WebhookDispatcher(models, {
    clock: options.clock,
    logger: options.logger,
    timeoutMs: options.timeoutMs,
    production: options.production,
    pause: new SubscriptionPause(options.connection, options.clock),
  });
  const deliveryOutbox = new Outbox(options.connection, 'partner_webhooks', dispatcher.handlers(), options.logger, options.clock, {
    concurrency: DELIVERY_CONCURRENCY,
    fairBy: { field: 'payload.subscriptionId', atOnce: LANES_PER_SUBSCRIPTION },
  });
  const inbox = new PartnerEventInbox(models, { members: options.outbox, deliveries: () => deliveryOutbox }, options.clock);
  // members publishes to its own inbox: the same outbox item as other owners', without the HTTP hop
  const publisher = new PartnerEventPublisher({ topics: () => inbox.topics(), publish: (event) => inbox.receive(event) }, options.clock, options.logger);
  const memberEvents = new MemberEvents(options.members, publisher, options.outbox, options.clock);
  // a lane item left in members' outbox by a process from before the split moves over, pending deliveries and all
  const movedLanes: Record<string, OutboxHandler> = {
    [LANE_ITEM]: (payload) => deliveryOutbox.rearm(laneKey(String(payload.subscriptionId), String(payload.memberId)), LANE_ITEM, payload),
  };
  return {
    models,
    subscriptions: new WebhookSubscriptionService(models, options.clock, options.production),
    deliveries: new WebhookDeliveryLog(models, () => deliveryOutbox, options.clock),
    inbox,
    memberEvents,
    deliveryOutbox,
    handlers: () => ({ ...publisher.handlers(), ...memberEvents.handlers((event) => inbox.receive(event)), ...inbox.handlers(), ...movedLanes }),
    start: (intervalMs) => deliveryOutbox.start(intervalMs),
  };
}
