import { requireAuthenticated } from '@omo/lib/core/auth';
import { ForbiddenError } from '@omo/lib/core/errors';
import type { PurchaseResolvers } from '../__generated__/resolvers-types';
import { purchasePoints } from '../services/settlement.service';

export const Purchase: PurchaseResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  pointsEarned: async (purchase, _args, { loaders }) => purchasePoints(await loaders.entriesByPurchaseId.load(purchase.id)).pointsEarned,
  pointsRedeemed: async (purchase, _args, { loaders }) => purchasePoints(await loaders.entriesByPurchaseId.load(purchase.id)).pointsRedeemed,
  pointTransactions: async (purchase, _args, { caller, loaders }) => {
    const entries = await loaders.entriesByPurchaseId.load(purchase.id);
    const actor = requireAuthenticated(caller);
    if (actor.kind === 'customer' && entries.some((e) => e.memberId !== actor.memberId)) {
      throw new ForbiddenError('A customer can only see their own purchases');
    }
    return entries;
  },
};
