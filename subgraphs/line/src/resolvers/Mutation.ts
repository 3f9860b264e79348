import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  issueLineLinkCode: (_parent, _args, { caller, linking }) => linking.issueCode(caller),
  unlinkLineAccount: (_parent, { memberId }, { caller, linking }) => linking.unlink(caller, memberId),
};
