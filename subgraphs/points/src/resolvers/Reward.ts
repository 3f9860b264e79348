import type { RewardResolvers } from '../__generated__/resolvers-types';

export const Reward: RewardResolvers = {
  id: (reward) => reward.rewardId.toHexString(),
  name: (reward) => ({ ja: reward.nameJa, en: reward.nameEn }),
  description: (reward) => ({ ja: reward.descriptionJa, en: reward.descriptionEn }),
  restoreCouponOnRefund: (reward) => reward.restoreCouponOnRefund ?? false,
};
