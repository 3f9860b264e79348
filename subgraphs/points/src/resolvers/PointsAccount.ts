import type { PointsAccountResolvers } from '../__generated__/resolvers-types';
import { historyStoresFor } from '../services/history-access';
import { viewAt } from '../services/lots';

export const PointsAccount: PointsAccountResolvers = {
  balance: (account, _args, { clock }) => viewAt(account, clock()).balance,
  pendingBalance: (account, _args, { clock }) => viewAt(account, clock()).pending,
  lifetimeEarned: (account) => account.lifetimeEarned,
  tier: async (account, _args, { loaders }) => (await loaders.tierByMemberId.load(account.memberId)).tier,
  tierProgress: async (account, _args, { loaders }) => {
    const { qualifyingSpend, nextTier, spendToNextTier } = await loaders.tierByMemberId.load(account.memberId);
    return { qualifyingSpend, nextTier, spendToNextTier };
  },
  expiring: (account, _args, { clock }) => viewAt(account, clock()).expiring,
  history: (account, { first, after, type }, { caller, ledger }) => ledger.history(account.memberId, first, after, type, historyStoresFor(caller)),
};
