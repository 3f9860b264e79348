import { requireAuthenticated, requireStaff } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { isObjectId } from '@omo/lib/core/validation';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { assertCanReadPurchase } from '../services/purchase-access';
import { pageOfPurchases } from '../services/purchase-pages';

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
  purchasesNeedingAttention: (_parent, { first, after }, { caller, models }) => {
    requireStaff(caller);
    // purchase ids are digests of the register's key, not in time order
    return pageOfPurchases(models.purchases, { state: 'SETTLEMENT_FAILED' }, 'createdAt', { first, after });
  },
  smaregiEvents: (_parent, { outcome, first, after }, { caller, smaregiEvents }) => smaregiEvents.page(caller, { outcome, first, after }),
  smaregiPointPushesOutOfStep: (_parent, { contractId }, { caller, smaregiMirror }) => smaregiMirror.outOfStep(caller, contractId ?? null),
  membersByChannel: (_parent, { from, to }, { caller, channelReport }) => channelReport.between(caller, from, to),
};
