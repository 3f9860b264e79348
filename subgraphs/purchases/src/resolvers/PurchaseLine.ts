import type { PurchaseLineResolvers } from '../__generated__/resolvers-types';
import type { PurchaseLineDoc } from '../models/purchase.model';

/** A stored line with how much of it has been refunded. */
export interface PurchaseLineView extends PurchaseLineDoc {
  refundedQuantity: number;
}

export const PurchaseLine: PurchaseLineResolvers = {
  category: (line) => line.category ?? null,
  lineTotal: (line) => line.unitPrice * line.quantity,
};
