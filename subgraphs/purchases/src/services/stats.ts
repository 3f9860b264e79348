import { insertOnce } from '@omo/lib/core/claims';
import type { PurchaseFactDoc, PurchaseFactModel } from '../models/purchase-fact.model';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import { paidShare } from './refund-amounts';

/**
 * Members' purchase stats: the facts a completed purchase or a refund writes, once each under its unique id (so a
 * retried handler counts nothing twice), and their sum.
 */
export interface PurchaseStats {
  count: number;
  totalSpent: number;
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  storeCount: number;
  storeSpent: number;
  onlineCount: number;
  onlineSpent: number;
  storeIds: string[];
}

/** A member's purchase stats from their facts (purchases add 1 and what was paid, refunds take their share off). */
export function statsOf(facts: PurchaseFactDoc[]): PurchaseStats {
  const stats: PurchaseStats = { count: 0, totalSpent: 0, firstPurchaseAt: null, lastPurchaseAt: null, storeCount: 0, storeSpent: 0, onlineCount: 0, onlineSpent: 0, storeIds: [] };
  const stores = new Set<string>();
  for (const fact of facts) {
    stats.count += fact.count;
    stats.totalSpent += fact.amount;
    if (fact.channel === 'ONLINE') {
      stats.onlineCount += fact.count;
      stats.onlineSpent += fact.amount;
    } else {
      stats.storeCount += fact.count;
      stats.storeSpent += fact.amount;
    }
    if (fact.count > 0) {
      stores.add(fact.storeId);
      if (!stats.firstPurchaseAt || fact.occurredAt < stats.firstPurchaseAt) stats.firstPurchaseAt = fact.occurredAt;
      if (!stats.lastPurchaseAt || fact.occurredAt > stats.lastPurchaseAt) stats.lastPurchaseAt = fact.occurredAt;
    }
  }
  stats.storeIds = [...stores].sort();
  return stats;
}

/** A completed purchase counts once, with what was paid (points used are not spend). A guest's counts for no one. */
export async function recordPurchaseFact(facts: PurchaseFactModel, purchase: PurchaseDoc): Promise<void> {
  if (!purchase.memberId) return;
  await insertOnce(facts, { _id: `purchase:${purchase._id.toHexString()}`, memberId: purchase.memberId, storeId: purchase.storeId, channel: purchase.channel, count: 1, amount: purchase.amountPaid, occurredAt: purchase.occurredAt });
}

/** Spend falls by the refunded share of the money paid (points used are not spend). */
export async function recordRefundFact(facts: PurchaseFactModel, purchase: PurchaseDoc, refund: RefundDoc): Promise<void> {
  if (!purchase.memberId) return;
  await insertOnce(facts, { _id: `refund:${refund._id.toHexString()}`, memberId: purchase.memberId, storeId: purchase.storeId, channel: purchase.channel, count: 0, amount: -paidShare(purchase, refund), occurredAt: purchase.occurredAt });
}
