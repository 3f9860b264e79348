import { assertCanReadMember } from '@omo/lib/core/auth';
import { ForbiddenError } from '@omo/lib/core/errors';
import type { MemberResolvers } from '../__generated__/resolvers-types';

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  points: (member, _args, { caller, loaders }) => {
    assertCanReadMember(caller, member.id);
    return loaders.stateByMemberId.load(member.id);
  },
  coupons: (member, { first }, { caller, coupons }) => {
    assertCanReadMember(caller, member.id);
    if (caller.kind === 'pos') throw new ForbiddenError('Registers read a coupon by its code, not a member\'s coupons');
    return coupons.forMember(member.id, first);
  },
};
