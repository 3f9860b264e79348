import type { MemberResolvers } from '../__generated__/resolvers-types';
import { assertCanReadHistory } from '../services/purchase-access';
import { pageOfPurchases } from '../services/purchase-pages';

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  purchases: (member, { first, after, channel, storeId }, { caller, models }) => {
    assertCanReadHistory(caller, member.id);
    const filter: Record<string, unknown> = { memberId: member.id, state: { $ne: 'REJECTED' } };
    if (channel) filter.channel = channel;
    if (storeId) filter.storeId = storeId;
    return pageOfPurchases(models.purchases, filter, 'occurredAt', { first, after });
  },
  purchaseSummary: async (member, _args, { caller, loaders }) => {
    assertCanReadHistory(caller, member.id);
    return loaders.statsByMemberId.load(member.id);
  },
};
