import type { StoreResolvers } from '../__generated__/resolvers-types';

export const Store: StoreResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.storeById.load(reference.id),
  id: (store) => store._id.toHexString(),
  prefecture: (store) => store.prefecture ?? null,
  city: (store) => store.city ?? null,
};
