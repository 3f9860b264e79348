import { requireAuthenticated } from '@omo/lib/auth';
import { ForbiddenError } from '@omo/lib/errors';
import type { MemberResolvers } from '../__generated__/resolvers-types';

/** A reference to a member owned by the members service: the LINE service only knows the id. */
export interface MemberRef {
  id: string;
}

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  lineAccount: (member, _args, { caller, loaders }) => {
    const actor = requireAuthenticated(caller);
    const self = actor.kind === 'customer' && actor.memberId === member.id;
    if (!self && actor.kind !== 'staff') throw new ForbiddenError('Only staff and the member see the linked LINE account');
    return loaders.linkByMemberId.load(member.id);
  },
};
