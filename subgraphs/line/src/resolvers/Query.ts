import { requireStaff } from '@omo/lib/core/auth';
import type { QueryResolvers } from '../__generated__/resolvers-types';

export const Query: QueryResolvers = {
  segment: (_parent, { id }, { caller, segments }) => segments.get(caller, id),
  segments: (_parent, _args, { caller, segments }) => segments.list(caller),
  segmentPreview: (_parent, { segmentId, definition }, { caller, segments }) => segments.preview(caller, { segmentId, definition }),
  notificationRules: (_parent, _args, { caller, notifications }) => notifications.list(caller),
  messageDelivery: (_parent, { id }, { caller, deliveries }) => {
    requireStaff(caller);
    return deliveries.get(id);
  },
};
