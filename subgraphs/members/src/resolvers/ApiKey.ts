import type { ApiKeyResolvers } from '../__generated__/resolvers-types';

export const ApiKey: ApiKeyResolvers = {
  id: (key) => key._id,
  label: (key) => key.name,
  stores: (key) => key.storeIds.map((id) => ({ id })),
  lastUsedAt: (key) => key.lastUsedAt ?? null,
  revokedAt: (key) => key.revokedAt ?? null,
};
