import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  adjustPoints: (_parent, args, { caller, ledger }) => ledger.adjust(caller, args),
  createCampaign: (_parent, { input }, { caller, campaigns }) => campaigns.createCampaign(caller, input),
  updateCampaign: (_parent, { id, input }, { caller, campaigns }) => campaigns.updateCampaign(caller, id, input),
  endCampaign: (_parent, { id }, { caller, campaigns }) => campaigns.endCampaign(caller, id),
  createItemRule: (_parent, { input }, { caller, itemRules }) => itemRules.create(caller, input),
  updateItemRule: (_parent, { id, input }, { caller, itemRules }) => itemRules.update(caller, id, input),
  endItemRule: (_parent, { id }, { caller, itemRules }) => itemRules.end(caller, id),
  createReward: (_parent, { input }, { caller, rewards }) => rewards.create(caller, input),
  updateReward: (_parent, { id, input }, { caller, rewards }) => rewards.update(caller, id, input),
  redeemReward: (_parent, args, { caller, coupons }) => coupons.redeem(caller, args),
  redeemPointsForCheckout: (_parent, args, { caller, checkoutCodes }) => checkoutCodes.redeemPointsForCheckout(caller, args),
  cancelCoupon: (_parent, { couponId }, { caller, coupons }) => coupons.cancel(caller, couponId),
  // each answers with the earn rules after the change
  setStoreEarnRate: (_parent, { input }, { caller, storeRates, currentEarnRules }) => storeRates.setStoreEarnRate(caller, input).then(currentEarnRules),
  setTierRules: (_parent, { tiers }, { caller, policy, currentEarnRules }) => policy.setTierRules(caller, tiers).then(currentEarnRules),
  setPointsPolicy: (_parent, { input }, { caller, policy, currentEarnRules }) => policy.setPointsPolicy(caller, input).then(currentEarnRules),
};
