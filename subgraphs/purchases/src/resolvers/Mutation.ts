import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  // a purchase recorded (or resent) before any refund says so itself (neverRefunded): its refunds are not read
  recordPurchase: async (_parent, { input }, { caller, purchases }) => (await purchases.recordOrReplay(caller, input)).purchase,
  refundPurchase: (_parent, { input }, { caller, refunds }) => refunds.refund(caller, input),
  claimPurchase: async (_parent, { code }, { caller, receiptClaims }) => (await receiptClaims.claimAsCustomer(caller, code)).purchase,
  createStore: (_parent, { input }, { caller, stores }) => stores.create(caller, input),
  updateStore: (_parent, { id, input }, { caller, stores }) => stores.update(caller, id, input),
  pushSmaregiPointsAgain: (_parent, { contractId, customerId }, { caller, smaregiMirror }) => smaregiMirror.pushAgain(caller, contractId, customerId),
};
