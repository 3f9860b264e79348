import type { Connection } from 'mongoose';
import type { Logger } from '@omo/lib/core/logger';
import { PartnerEventPublisher } from '@omo/lib/events/partner-event-publisher';
import type { Outbox, OutboxHandler } from '@omo/lib/outbox/outbox';
import type { MemberModel } from '../models/member.model';
import { MemberEvents } from './member-events';
import { PartnerEventInbox } from './partner-event-inbox';
import { partnerEventModels, type PartnerEventModels } from './partner-events.models';
import { WebhookDeliveryLog } from './webhook-delivery-log';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSubscriptionService } from './webhook-subscription.service';

/** Partner events in members (docs/events.md): subscriptions, the event inbox, the dispatcher and the delivery log. */
export interface PartnerEvents {
  models: PartnerEventModels;
  subscriptions: WebhookSubscriptionService;
  deliveries: WebhookDeliveryLog;
  inbox: PartnerEventInbox;
  memberEvents: MemberEvents;
  /** The members outbox handlers: members' own events, and the deliveries' lanes. */
  handlers(): Record<string, OutboxHandler>;
}

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
  const inbox = new PartnerEventInbox(models, options.outbox, options.clock);
  // members publishes to its own inbox: the same outbox item as other owners', without the HTTP hop
  const publisher = new PartnerEventPublisher({ topics: () => inbox.topics(), publish: (event) => inbox.receive(event) }, options.clock, options.logger);
  const memberEvents = new MemberEvents(options.members, publisher, options.outbox, options.clock);
  const dispatcher = new WebhookDispatcher(models, { clock: options.clock, logger: options.logger, timeoutMs: options.timeoutMs });
  return {
    models,
    subscriptions: new WebhookSubscriptionService(models, options.clock, options.production),
    deliveries: new WebhookDeliveryLog(models, options.outbox, options.clock),
    inbox,
    memberEvents,
    handlers: () => ({ ...publisher.handlers(), ...memberEvents.handlers((event) => inbox.receive(event)), ...dispatcher.handlers() }),
  };
}
