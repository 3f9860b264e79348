import type { MergedLineAccountResolvers } from '../__generated__/resolvers-types';

export const MergedLineAccount: MergedLineAccountResolvers = {
  displayName: (record) => record.displayName,
  mergedMemberId: (record) => record.fromMemberId,
  mergeId: (record) => record._id,
  unlinkedAt: (record) => record.decidedAt,
};
