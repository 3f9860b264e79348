import type { PurchaseFactDoc } from '../models/purchase-fact.model';

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
