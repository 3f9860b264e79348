import type { SmaregiEventResolvers } from '../__generated__/resolvers-types';

export const SmaregiEvent: SmaregiEventResolvers = {
  id: (entry) => entry._id,
  purchase: (entry, _args, { loaders }) => (entry.purchaseId ? loaders.purchaseById.load(entry.purchaseId) : null),
};
