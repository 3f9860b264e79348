import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import type { StoreDoc, StoreModel } from '../models/store.model';

export interface PurchasesLoaders {
  storeById: DataLoader<string, StoreDoc | null>;
}

export function createPurchasesLoaders(stores: StoreModel): PurchasesLoaders {
  return {
    storeById: new DataLoader(async (ids) => {
      const objectIds = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
      const docs = await stores.find({ _id: { $in: objectIds } }).lean<StoreDoc[]>();
      const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
