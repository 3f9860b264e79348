import { requireAdmin } from '@omo/lib/core/auth';
import { NotFoundError } from '@omo/lib/core/errors';
import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  registerMember: (_parent, { input }, { caller, members }) => members.register(caller, input),
  updateMember: (_parent, { id, input }, { caller, members }) => members.update(caller, id, input),
  withdrawMember: (_parent, { id }, { caller, members }) => members.withdraw(caller, id),
  mergeMembers: (_parent, { survivorId, mergedId }, { caller, merges }) => merges.merge(caller, survivorId, mergedId),
  importMembers: (_parent, { input }, { caller, members }) => members.importMembers(caller, input),
  dismissMemberDuplicate: (_parent, { id }, { caller, members }) => members.dismissDuplicate(caller, id),
  createApiKey: (_parent, { input }, { caller, apiKeys, stores }) => {
    requireAdmin(caller);
    return apiKeys.createForStores({ name: input.label, stores: input.storeIds }, stores);
  },
  revokeApiKey: async (_parent, { id }, { caller, apiKeys }) => {
    requireAdmin(caller);
    const revoked = await apiKeys.revoke(id);
    if (!revoked) throw new NotFoundError('API key');
    return revoked;
  },
};
