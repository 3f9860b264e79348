import type { StoreResolvers } from '../__generated__/resolvers-types';

export const Store: StoreResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.storeById.load(reference.id),
  id: (store) => store._id.toHexString(),
  prefecture: (store) => store.prefecture ?? null,
  city: (store) => store.city ?? null,
  opensAt: (store) => store.opensAt ?? null,
  closesAt: (store) => store.closesAt ?? null,
  shopifyShopDomain: (store, _args, { caller }) => (caller.kind === 'staff' ? (store.shopifyShopDomain ?? null) : null),
  shopifyLocationIds: (store, _args, { caller }) => (caller.kind === 'staff' ? (store.shopifyLocationIds ?? []) : []),
};
