import type { PurchaseLineResolvers } from '../__generated__/resolvers-types';

export const PurchaseLine: PurchaseLineResolvers = {
  category: (line) => line.category ?? null,
  lineTotal: (line) => line.unitPrice * line.quantity,
};
