import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  adjustPoints: (_parent, args, { caller, ledger }) => ledger.adjust(caller, args),
  createCampaign: (_parent, { input }, { caller, rules }) => rules.createCampaign(caller, input),
  updateCampaign: (_parent, { id, input }, { caller, rules }) => rules.updateCampaign(caller, id, input),
  endCampaign: (_parent, { id }, { caller, rules }) => rules.endCampaign(caller, id),
  setStoreEarnRate: (_parent, { input }, { caller, rules }) => rules.setStoreEarnRate(caller, input),
  setTierRules: (_parent, { tiers }, { caller, rules }) => rules.setTierRules(caller, tiers),
  setPointsPolicy: (_parent, { input }, { caller, rules }) => rules.setPointsPolicy(caller, input),
};
