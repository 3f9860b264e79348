import type { FilterQuery } from 'mongoose';
import { inBatch, inRange, segmentFilterHandler, type Period, type PurchasesCondition } from '@omo/lib/contracts/segment-filter';
import { normaliseCategory } from '@omo/lib/contracts/points';
import type { PurchasesModels } from '../models';
import type { PurchaseFactDoc } from '../models/purchase-fact.model';
import type { PurchaseDoc } from '../models/purchase.model';

function periodMatch(period: Period): FilterQuery<PurchaseFactDoc> {
  if (!period.from && !period.to) return {};
  return { occurredAt: { ...(period.from ? { $gte: period.from } : {}), ...(period.to ? { $lt: period.to } : {}) } };
}

/** A purchase fact (not a refund's): `count` is 1. */
const PURCHASED = { count: { $gt: 0 } };

/**
 * Answers each condition with aggregations over purchase_facts (the source of the per-member stats), summed per
 * member on the server: one small result per condition and batch however many purchases the members made.
 */
export function purchasesSegmentFilter(models: Pick<PurchasesModels, 'facts' | 'stores' | 'purchases'>) {
  // one accumulator per $group: FerretDB 1.x answers 0 for every $sum after the first
  const sums = async (memberIds: string[], match: FilterQuery<PurchaseFactDoc>, field: 'count' | 'amount'): Promise<Map<string, number>> => {
    if (memberIds.length === 0) return new Map();
    const rows = await models.facts.aggregate<{ _id: string; total: number }>([
      { $match: { memberId: inBatch(memberIds), ...match } },
      { $group: { _id: '$memberId', total: { $sum: `$${field}` } } },
    ]);
    return new Map(rows.map((row) => [row._id, Number(row.total)]));
  };
  const purchasers = async (memberIds: string[], match: FilterQuery<PurchaseFactDoc>): Promise<Set<string>> =>
    new Set((await sums(memberIds, { ...PURCHASED, ...match }, 'count')).keys());

  /**
   * Members of the batch with a completed purchase in the period holding a line of one of the categories. Lines
   * keep the category as the register sent it, so they are compared after normalising here: the query reads the
   * batch's purchases in the period by the (memberId, occurredAt) index, their lines only.
   */
  const boughtCategory = async (memberIds: string[], categories: string[], period: Period): Promise<Set<string>> => {
    if (memberIds.length === 0) return new Set();
    const wanted = new Set(categories);
    const purchases = await models.purchases
      .find({ memberId: inBatch(memberIds), state: 'COMPLETED', ...periodMatch(period) }, { memberId: 1, lines: 1 })
      .lean<Pick<PurchaseDoc, 'memberId' | 'lines'>[]>()
      .exec();
    return new Set(
      purchases
        .filter((p) => p.lines.some((line) => line.category && wanted.has(normaliseCategory(line.category))))
        .map((p) => p.memberId)
        .filter((id): id is string => typeof id === 'string'),
    );
  };

  const evaluate = async (memberIds: string[], condition: PurchasesCondition): Promise<Set<string>> => {
    switch (condition.kind) {
      case 'lastPurchase': {
        // the latest purchase is in [from, to) when some purchase is and none is at or after `to`
        const inPeriod = await purchasers(memberIds, periodMatch(condition.period));
        if (!condition.period.to) return inPeriod;
        const later = await purchasers([...inPeriod], periodMatch({ from: condition.period.to }));
        return new Set([...inPeriod].filter((id) => !later.has(id)));
      }
      case 'purchaseCount':
      case 'spend': {
        const found = await sums(memberIds, periodMatch(condition.period), condition.kind === 'spend' ? 'amount' : 'count');
        return new Set(memberIds.filter((id) => inRange(found.get(id) ?? 0, condition)));
      }
      case 'channelUsage': {
        const period = periodMatch(condition.period);
        const [store, online] = await Promise.all([
          purchasers(memberIds, { channel: 'STORE', ...period }),
          purchasers(memberIds, { channel: 'ONLINE', ...period }),
        ]);
        const wanted = { STORE_ONLY: [true, false], ONLINE_ONLY: [false, true], BOTH: [true, true] }[condition.usage];
        return new Set(memberIds.filter((id) => store.has(id) === wanted[0] && online.has(id) === wanted[1]));
      }
      case 'storesVisited': {
        const storeIds =
          condition.storeIds ??
          (await models.stores
            .find({ ...(condition.prefecture ? { prefecture: condition.prefecture } : {}), ...(condition.city ? { city: condition.city } : {}) }, { _id: 1 })
            .lean()
            .exec()).map((store) => store._id.toHexString());
        if (storeIds.length === 0) return new Set();
        return purchasers(memberIds, { storeId: { $in: storeIds }, ...periodMatch(condition.period) });
      }
      case 'boughtCategory':
        return boughtCategory(memberIds, condition.categories, condition.period);
    }
  };

  return segmentFilterHandler<PurchasesCondition>(async ({ memberIds, conditions }) => {
    const answers = await Promise.all(conditions.map(async ({ key, condition }) => [key, await evaluate(memberIds, condition)] as const));
    return new Map(answers);
  });
}
