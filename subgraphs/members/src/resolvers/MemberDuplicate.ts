import type { MemberDuplicateResolvers } from '../__generated__/resolvers-types';

export const MemberDuplicate: MemberDuplicateResolvers = {
  id: (view) => view.doc._id,
  member: (view) => view.member,
  duplicateOf: (view) => view.duplicateOf,
  contacts: (view) => view.doc.contacts.map((contact) => ({ kind: contact.kind === 'email' ? 'EMAIL' : 'PHONE', value: contact.value })),
  source: (view) => view.doc.source,
  state: (view) => view.state,
  flaggedAt: (view) => view.doc.flaggedAt,
  dismissedAt: (view) => view.doc.dismissedAt,
};
