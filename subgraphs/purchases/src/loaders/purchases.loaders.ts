import type DataLoader from 'dataloader';
import { batchLoader } from '@omo/lib/core/loader';
import { isObjectId } from '@omo/lib/core/validation';
import { Types } from 'mongoose';
import type { PurchasesModels } from '../models';
import type { PurchaseFactDoc } from '../models/purchase-fact.model';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import type { StoreDoc } from '../models/store.model';
import { statsOf, type PurchaseStats } from '../services/stats';

export interface PurchasesLoaders {
  storeById: DataLoader<string, StoreDoc | null>;
  purchaseById: DataLoader<string, PurchaseDoc | null>;
  refundsByPurchaseId: DataLoader<string, RefundDoc[]>;
  statsByMemberId: DataLoader<string, PurchaseStats>;
}

const objectIds = (ids: readonly string[]) => ids.filter(isObjectId).map((id) => new Types.ObjectId(id));

/** Per request; each loader answers any number of keys with one query, in key order. */
export function createPurchasesLoaders(models: PurchasesModels): PurchasesLoaders {
  return {
    storeById: batchLoader(async (ids) => {
      const docs = await models.stores.find({ _id: { $in: objectIds(ids) } }).lean<StoreDoc[]>().exec();
      const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    purchaseById: batchLoader(async (ids) => {
      const docs = await models.purchases.find({ _id: { $in: objectIds(ids) } }).lean<PurchaseDoc[]>().exec();
      const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    refundsByPurchaseId: batchLoader(async (ids) => {
      const docs = await models.refunds.find({ purchaseId: { $in: [...ids] } }).sort({ seq: 1 }).lean<RefundDoc[]>().exec();
      return ids.map((id) => docs.filter((d) => d.purchaseId === id));
    }),
    statsByMemberId: batchLoader(async (memberIds) => {
      const facts = await models.facts.find({ memberId: { $in: [...memberIds] } }).lean<PurchaseFactDoc[]>().exec();
      return memberIds.map((id) => statsOf(facts.filter((f) => f.memberId === id)));
    }),
  };
}
