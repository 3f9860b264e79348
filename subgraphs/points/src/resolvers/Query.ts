import type { QueryResolvers } from '../__generated__/resolvers-types';

export const Query: QueryResolvers = {
  earnPreview: (_parent, args, { caller, calculator }) => calculator.preview(caller, args),
  campaigns: (_parent, { activeAt, all }, { caller, rules }) => rules.campaigns(caller, { activeAt, all }),
  earnRules: (_parent, _args, { earnRules }) => earnRules(),
};
