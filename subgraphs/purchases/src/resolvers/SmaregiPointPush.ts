import type { SmaregiPointPushResolvers } from '../__generated__/resolvers-types';

export const SmaregiPointPush: SmaregiPointPushResolvers = {
  id: (push) => push._id,
  pushedPoint: (push) => push.pushed?.point ?? null,
};
