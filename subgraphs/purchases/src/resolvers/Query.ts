import { Types } from 'mongoose';
import { requireAuthenticated, requireStaff } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { isObjectId } from '@omo/lib/core/validation';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import type { PurchaseDoc } from '../models/purchase.model';
import { assertCanReadPurchase } from '../services/purchase-access';

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
  purchasesNeedingAttention: async (_parent, { first, after }, { caller, models }) => {
    requireStaff(caller);
    if (first < 1 || first > 100) throw new BadUserInputError('first must be 1-100', { field: 'first' });
    const filter: Record<string, unknown> = { state: 'SETTLEMENT_FAILED' };
    if (after) {
      const [at, id] = Buffer.from(after, 'base64url').toString().split('|');
      const date = new Date(at ?? '');
      if (!id || !isObjectId(id) || Number.isNaN(date.getTime())) throw new BadUserInputError('Invalid cursor', { field: 'after' });
      filter.$or = [{ createdAt: { $lt: date } }, { createdAt: date, _id: { $lt: new Types.ObjectId(id) } }];
    }
    // purchase ids are digests of the register's key, not in time order
    const rows = await models.purchases.find(filter).sort({ createdAt: -1, _id: -1 }).limit(first + 1).lean<PurchaseDoc[]>().exec();
    const nodes = rows.slice(0, first);
    const last = nodes.at(-1);
    return {
      nodes,
      hasNextPage: rows.length > first,
      endCursor: last ? Buffer.from(`${last.createdAt.toISOString()}|${last._id.toHexString()}`).toString('base64url') : null,
    };
  },
};
