import { assertCanReadMember } from '@omo/lib/core/auth';
import type { MemberResolvers } from '../__generated__/resolvers-types';
import { assertCanListCoupons } from '../services/coupon-access';

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  points: (member, _args, { caller, loaders }) => {
    assertCanReadMember(caller, member.id);
    return loaders.stateByMemberId.load(member.id);
  },
  coupons: (member, { first }, { caller, coupons }) => {
    assertCanListCoupons(caller, member.id);
    return coupons.forMember(member.id, first);
  },
};
