import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  adjustPoints: (_parent, args, { caller, ledger }) => ledger.adjust(caller, args),
  createCampaign: (_parent, { input }, { caller, campaigns }) => campaigns.createCampaign(caller, input),
  updateCampaign: (_parent, { id, input }, { caller, campaigns }) => campaigns.updateCampaign(caller, id, input),
  endCampaign: (_parent, { id }, { caller, campaigns }) => campaigns.endCampaign(caller, id),
  // each answers with the earn rules after the change
  setStoreEarnRate: (_parent, { input }, { caller, storeRates, currentEarnRules }) => storeRates.setStoreEarnRate(caller, input).then(currentEarnRules),
  setTierRules: (_parent, { tiers }, { caller, policy, currentEarnRules }) => policy.setTierRules(caller, tiers).then(currentEarnRules),
  setPointsPolicy: (_parent, { input }, { caller, policy, currentEarnRules }) => policy.setPointsPolicy(caller, input).then(currentEarnRules),
};
