import { actorOf, requireStaff } from '@omo/lib/core/auth';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { deliveryMessagesOf } from '../segments/segment-message.input';

export const Mutation: MutationResolvers = {
  issueLineLinkCode: (_parent, _args, { caller, linking }) => linking.issueCode(caller),
  unlinkLineAccount: (_parent, { memberId }, { caller, linking }) => linking.unlink(caller, memberId),
  createSegment: (_parent, { input }, { caller, segments }) => segments.create(caller, input),
  updateSegment: (_parent, { id, input }, { caller, segments }) => segments.update(caller, id, input),
  deleteSegment: (_parent, { id }, { caller, segments }) => segments.delete(caller, id),
  sendSegmentMessage: async (_parent, { input }, { caller, segments, deliveries }) => {
    const staff = requireStaff(caller);
    const messages = deliveryMessagesOf(input.messages);
    return deliveries.create({
      spec: await segments.audienceSpec(input),
      messages,
      idempotencyKey: input.idempotencyKey,
      scheduledAt: input.scheduledAt,
      dryRun: input.dryRun,
      actor: actorOf(staff),
    });
  },
  cancelDelivery: (_parent, { id }, { caller, deliveries }) => deliveries.cancel(id, actorOf(requireStaff(caller))),
  setNotificationRule: (_parent, { input }, { caller, notifications }) => {
    requireStaff(caller);
    return notifications.set(caller, {
      ...input,
      messages: input.messages ? deliveryMessagesOf(input.messages) : input.messages,
      messagesEn: input.messagesEn ? deliveryMessagesOf(input.messagesEn) : input.messagesEn,
    });
  },
};
