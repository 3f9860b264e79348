import { assertCanReadMember } from '@omo/lib/core/auth';
import type { MemberResolvers } from '../__generated__/resolvers-types';

/** A reference to a member owned by the members service: the points service only knows the id. */
export interface MemberRef {
  id: string;
}

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  points: (member, _args, { caller, loaders }) => {
    assertCanReadMember(caller, member.id);
    return loaders.stateByMemberId.load(member.id);
  },
};
