import type { PointTransactionResolvers } from '../__generated__/resolvers-types';

export const PointTransaction: PointTransactionResolvers = {
  id: (entry) => entry._id.toHexString(),
  storeId: (entry) => entry.storeId ?? null,
  channel: (entry) => entry.channel ?? null,
  purchaseId: (entry) => entry.purchaseId ?? null,
  reason: (entry) => entry.reason ?? null,
  expiresAt: (entry) => entry.expiresAt ?? null,
  earnBreakdown: (entry) => entry.earnBreakdown ?? null,
};
