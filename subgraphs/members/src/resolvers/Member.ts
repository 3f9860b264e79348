import { assertCanReadMember } from '@omo/lib/core/auth';
import type { MemberResolvers } from '../__generated__/resolvers-types';
import { canSeeContactDetails } from '../services/member.service';
import { consentOf } from '../services/member-profile';
import { toMemberMergeView } from './member-merge-view';

export const Member: MemberResolvers = {
  __resolveReference: async (reference, { caller, loaders }) => {
    assertCanReadMember(caller, reference.id);
    return loaders.byId.load(reference.id);
  },
  id: (member) => member._id.toHexString(),
  email: (member, _args, { caller }) => (canSeeContactDetails(caller, member) ? (member.email ?? null) : null),
  phone: (member, _args, { caller }) => (canSeeContactDetails(caller, member) ? (member.phone ?? null) : null),
  birthday: (member, _args, { caller }) => (canSeeContactDetails(caller, member) ? (member.birthday ?? null) : null),
  marketingConsent: (member, _args, { caller }) => (canSeeContactDetails(caller, member) ? consentOf(member) : null),
  registeredStoreId: (member) => member.registeredStoreId ?? null,
  mergedIntoId: (member) => member.mergedIntoId?.toHexString() ?? null,
  card: (member) => member,
  merges: async (member, _args, { caller, mergeLoaders }) =>
    canSeeContactDetails(caller, member) ? (await mergeLoaders.bySurvivor.load(member._id.toHexString())).map(toMemberMergeView) : [],
};
