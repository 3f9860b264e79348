import type { MemberResolvers } from '../__generated__/resolvers-types';

/** A reference to a member owned by the members service: the LINE service only knows the id. */
export interface MemberRef {
  id: string;
}

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  lineAccount: (member, _args, { caller, loaders, linking }) => {
    linking.assertCanSeeLink(caller, member.id);
    return loaders.linkByMemberId.load(member.id);
  },
  mergedLineAccounts: (member, _args, { caller, loaders, linking }) => {
    linking.assertCanSeeLink(caller, member.id);
    return loaders.mergedLinksBySurvivor.load(member.id);
  },
};
