import type { PointTransactionResolvers } from '../__generated__/resolvers-types';
import { canSeeActor, canSeeReason } from '../services/history-access';

export const PointTransaction: PointTransactionResolvers = {
  id: (entry) => entry._id.toHexString(),
  storeId: (entry) => entry.storeId ?? null,
  channel: (entry) => entry.channel ?? null,
  purchaseId: (entry) => entry.purchaseId ?? null,
  reason: (entry, _args, { caller }) => (canSeeReason(caller) ? (entry.reason ?? null) : null),
  actor: (entry, _args, { caller }) => (canSeeActor(caller) ? entry.actor : null),
  expiresAt: (entry) => entry.expiresAt ?? null,
  earnBreakdown: (entry) => entry.earnBreakdown ?? null,
};
