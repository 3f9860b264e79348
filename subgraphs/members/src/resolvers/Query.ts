import { assertCanReadMember, requireAdmin, requireAuthenticated } from '@omo/lib/core/auth';
import { ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { parseMemberId } from '../services/member.service';

export const Query: QueryResolvers = {
  member: async (_parent, { id }, { caller, loaders }) => {
    const actor = requireAuthenticated(caller);
    if (actor.kind === 'pos') throw new ForbiddenError('POS keys look members up by code');
    const memberId = parseMemberId(id).toHexString();
    assertCanReadMember(actor, memberId);
    const member = await loaders.byId.load(memberId);
    if (!member) throw new NotFoundError('Member');
    return member;
  },
  memberByCode: (_parent, { code }, { caller, loaders, members }) => members.resolveCode(caller, code, loaders),
  me: async (_parent, _args, { caller, loaders }) => {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'customer') return null;
    const member = await loaders.byId.load(actor.memberId);
    if (!member) throw new NotFoundError('Member');
    return member;
  },
  findMembers: (_parent, { email, phone, namePrefix }, { caller, members }) => members.findByContact(caller, email, phone, namePrefix),
  memberDuplicates: (_parent, { state, first }, { caller, members }) => members.listDuplicates(caller, state, first),
  apiKeys: (_parent, _args, { caller, apiKeys }) => {
    requireAdmin(caller);
    return apiKeys.list();
  },
};
