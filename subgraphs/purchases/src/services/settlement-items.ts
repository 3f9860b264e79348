import type { Types } from 'mongoose';

/**
 * The outbox items that carry a purchase or a refund to the points service, keyed by the record's id so each
 * exists once. Recording, refunding and the sweep name them; the handlers in points-settlement.ts run them.
 */
export interface SettlementItem {
  key: string;
  type: 'settle' | 'reverse';
  payload: Record<string, string>;
}

export function settleItem(purchaseId: Types.ObjectId): SettlementItem {
  return { key: `settle:${purchaseId.toHexString()}`, type: 'settle', payload: { purchaseId: purchaseId.toHexString() } };
}

export function reverseItem(refundId: Types.ObjectId): SettlementItem {
  return { key: `reverse:${refundId.toHexString()}`, type: 'reverse', payload: { refundId: refundId.toHexString() } };
}
