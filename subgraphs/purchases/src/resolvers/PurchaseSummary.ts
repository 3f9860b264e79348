import type { PurchaseSummaryResolvers } from '../__generated__/resolvers-types';
import type { StoreDoc } from '../models/store.model';

export const PurchaseSummary: PurchaseSummaryResolvers = {
  storesVisited: async (stats, _args, { loaders }) => {
    const stores = await Promise.all(stats.storeIds.map((id) => loaders.storeById.load(id)));
    return stores.filter((store): store is StoreDoc => store !== null);
  },
};
