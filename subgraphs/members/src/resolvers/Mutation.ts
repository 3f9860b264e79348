import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  registerMember: (_parent, { input }, { caller, members }) => members.register(caller, input),
  updateMember: (_parent, { id, input }, { caller, members }) => members.update(caller, id, input),
  withdrawMember: (_parent, { id }, { caller, members }) => members.withdraw(caller, id),
  mergeMembers: (_parent, { survivorId, mergedId }, { caller, merges }) => merges.merge(caller, survivorId, mergedId),
};
