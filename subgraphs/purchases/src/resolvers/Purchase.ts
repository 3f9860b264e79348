import type { PurchaseResolvers } from '../__generated__/resolvers-types';
import { assertCanReadPurchase } from '../services/purchase-access';
import { refundStateOf } from '../services/refund-amounts';

export const Purchase: PurchaseResolvers = {
  __resolveReference: async (reference, { caller, loaders }) => {
    const purchase = await loaders.purchaseById.load(reference.id);
    if (purchase) assertCanReadPurchase(caller, purchase);
    return purchase;
  },
  id: (purchase) => purchase._id.toHexString(),
  externalId: (purchase) => purchase.externalId ?? null,
  couponDiscount: (purchase) => purchase.couponDiscount ?? 0,
  pointsOverdrawn: (purchase) => purchase.pointsOverdrawn ?? 0,
  coupons: (purchase) => (purchase.coupons ?? []).map((c) => ({ coupon: { id: c.couponId }, code: c.code, discount: c.discount })),
  member: (purchase) => (purchase.memberId ? { id: purchase.memberId } : null),
  store: async (purchase, _args, { loaders }) => {
    const store = await loaders.storeById.load(purchase.storeId);
    if (!store) throw new Error(`store ${purchase.storeId} of purchase ${purchase._id.toHexString()} is missing`);
    return store;
  },
  lines: async (purchase, _args, { loaders }) => {
    const { refundedQuantities } = refundStateOf(purchase, await loaders.refundsByPurchaseId.load(purchase._id.toHexString()));
    return purchase.lines.map((line) => ({ ...line, refundedQuantity: refundedQuantities[line.sku] ?? 0 }));
  },
  refundedAmount: async (purchase, _args, { loaders }) =>
    refundStateOf(purchase, await loaders.refundsByPurchaseId.load(purchase._id.toHexString())).refundedAmount,
  status: async (purchase, _args, { loaders }) => {
    if (purchase.state !== 'COMPLETED') return purchase.state;
    const refunds = await loaders.refundsByPurchaseId.load(purchase._id.toHexString());
    const { fullyRefunded } = refundStateOf(purchase, refunds);
    return fullyRefunded ? 'REFUNDED' : refunds.length ? 'PARTIALLY_REFUNDED' : 'COMPLETED';
  },
  receiptClaim: (purchase, _args, { caller, receiptClaims }) => receiptClaims.viewOf(caller, purchase),
  statusReason: (purchase, _args, { caller }) =>
    caller.kind === 'staff' && (purchase.state === 'REJECTED' || purchase.state === 'SETTLEMENT_FAILED') ? (purchase.rejectionReason ?? null) : null,
  refunds: (purchase, _args, { loaders }) => loaders.refundsByPurchaseId.load(purchase._id.toHexString()),
};
