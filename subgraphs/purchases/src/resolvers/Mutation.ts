import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  recordPurchase: async (_parent, { input }, { caller, purchases, loaders }) => {
    const { purchase, created } = await purchases.recordOrReplay(caller, input);
    // the answer is the purchase as this request left it, and a purchase it created has no refund to look for
    if (created) loaders.refundsByPurchaseId.prime(purchase._id.toHexString(), []);
    return purchase;
  },
  refundPurchase: (_parent, { input }, { caller, refunds }) => refunds.refund(caller, input),
  claimPurchase: async (_parent, { code }, { caller, receiptClaims }) => (await receiptClaims.claimAsCustomer(caller, code)).purchase,
  createStore: (_parent, { input }, { caller, stores }) => stores.create(caller, input),
  updateStore: (_parent, { id, input }, { caller, stores }) => stores.update(caller, id, input),
  pushSmaregiPointsAgain: (_parent, { contractId, customerId }, { caller, smaregiMirror }) => smaregiMirror.pushAgain(caller, contractId, customerId),
};
