import { requireAuthenticated } from '@omo/lib/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/errors';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { assertCanReadPurchase } from '../services/purchase-access';

const isObjectId = (id: string) => /^[0-9a-f]{24}$/i.test(id);

export const Query: QueryResolvers = {
  stores: (_parent, _args, { caller, stores }) => stores.list(caller),
  store: async (_parent, { id }, { caller, loaders }) => {
    requireAuthenticated(caller);
    if (!isObjectId(id)) throw new BadUserInputError('Not a store id', { field: 'id' });
    const store = await loaders.storeById.load(id);
    if (!store) throw new NotFoundError('Store');
    return store;
  },
  purchase: async (_parent, { id }, { caller, loaders }) => {
    requireAuthenticated(caller);
    if (!isObjectId(id)) throw new BadUserInputError('Not a purchase id', { field: 'id' });
    const purchase = await loaders.purchaseById.load(id);
    if (!purchase) throw new NotFoundError('Purchase');
    assertCanReadPurchase(caller, purchase);
    return purchase;
  },
};
