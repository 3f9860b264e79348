import type { QueryResolvers } from '../__generated__/resolvers-types';
import { earnPreview } from '../services/earn-preview';

export const Query: QueryResolvers = {
  earnPreview: (_parent, args, { caller, calculator, members }) => earnPreview(caller, args, { calculator, members }),
  campaigns: (_parent, { activeAt, all }, { caller, campaigns }) => campaigns.list(caller, { activeAt, all }),
  campaign: (_parent, { id }, { caller, campaigns }) => campaigns.byId(caller, id),
  earnRules: (_parent, _args, { earnRules }) => earnRules(),
  itemRules: (_parent, { activeAt, all }, { caller, itemRules }) => itemRules.list(caller, { activeAt, all }),
  rewards: (_parent, _args, { caller, rewards }) => rewards.list(caller),
  rewardChanges: (_parent, { rewardId }, { caller, rewards }) => rewards.changes(caller, rewardId),
  ruleChanges: (_parent, { first }, { caller, ruleAudit }) => ruleAudit.recent(caller, first),
  couponByCode: (_parent, { code }, { caller, coupons }) => coupons.byCode(caller, code),
  pointsLiability: (_parent, { asOf }, { caller, liability }) => liability.asOf(caller, asOf),
  pointsActivity: (_parent, { from, to }, { caller, activity }) => activity.between(caller, from, to),
};
