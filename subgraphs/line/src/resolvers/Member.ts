import type { MemberResolvers } from '../__generated__/resolvers-types';

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
