import { requireAuthenticated } from '@omo/lib/auth';
import { NotFoundError } from '@omo/lib/errors';
import type { QueryResolvers } from '../__generated__/resolvers-types';

export const Query: QueryResolvers = {
  stores: (_parent, _args, { caller, stores }) => {
    requireAuthenticated(caller);
    return stores.list();
  },
  store: async (_parent, { id }, { caller, loaders }) => {
    requireAuthenticated(caller);
    const store = await loaders.storeById.load(id);
    if (!store) throw new NotFoundError('Store');
    return store;
  },
};
