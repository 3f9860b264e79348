import type { CampaignResolvers } from '../__generated__/resolvers-types';

export const Campaign: CampaignResolvers = {
  id: (campaign) => campaign.campaignId.toHexString(),
};
