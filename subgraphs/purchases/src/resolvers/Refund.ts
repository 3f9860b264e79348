import type { RefundResolvers } from '../__generated__/resolvers-types';

export const Refund: RefundResolvers = {
  id: (refund) => refund._id.toHexString(),
  pointsSettled: (refund) => Boolean(refund.pointsSettledAt),
};
