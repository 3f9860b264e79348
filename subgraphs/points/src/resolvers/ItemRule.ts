import type { EarnBreakdownResolvers, ItemRuleResolvers } from '../__generated__/resolvers-types';

export const ItemRule: ItemRuleResolvers = {
  id: (rule) => rule.itemRuleId.toHexString(),
};

/** EARN entries written before item rules have neither field: all of their amount counted, as one line. */
export const EarnBreakdown: EarnBreakdownResolvers = {
  earningAmount: (breakdown) => breakdown.earningAmount ?? breakdown.amount,
  lines: (breakdown) => breakdown.lines ?? [],
};
