import { assertCanReadMember } from '@omo/lib/core/auth';
import type { MemberResolvers } from '../__generated__/resolvers-types';

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  points: (member, _args, { caller, loaders }) => {
    assertCanReadMember(caller, member.id);
    return loaders.stateByMemberId.load(member.id);
  },
};
