import type { MutationResolvers, QueryResolvers } from '../__generated__/resolvers-types';

/** The webhook subscription fields of Query and Mutation: each calls one service method, which checks the caller. */
export const partnerEventQuery: Pick<QueryResolvers, 'webhookSubscriptions' | 'webhookDeliveries'> = {
  webhookSubscriptions: (_parent, _args, { caller, partnerEvents }) => partnerEvents.subscriptions.list(caller),
  webhookDeliveries: (_parent, args, { caller, partnerEvents }) => partnerEvents.deliveries.page(caller, args),
};

export const partnerEventMutation: Pick<
  MutationResolvers,
  'createWebhookSubscription' | 'updateWebhookSubscription' | 'disableWebhookSubscription' | 'rotateWebhookSubscriptionSecret' | 'replayWebhookDelivery'
> = {
  createWebhookSubscription: (_parent, args, { caller, partnerEvents }) => partnerEvents.subscriptions.create(caller, args),
  updateWebhookSubscription: (_parent, args, { caller, partnerEvents }) => partnerEvents.subscriptions.update(caller, args),
  disableWebhookSubscription: (_parent, { id }, { caller, partnerEvents }) => partnerEvents.subscriptions.disable(caller, id),
  rotateWebhookSubscriptionSecret: (_parent, { id }, { caller, partnerEvents }) => partnerEvents.subscriptions.rotate(caller, id),
  replayWebhookDelivery: (_parent, { id }, { caller, partnerEvents }) => partnerEvents.deliveries.replay(caller, id),
};
