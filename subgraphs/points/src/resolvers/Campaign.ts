import type { CampaignResolvers } from '../__generated__/resolvers-types';

export const Campaign: CampaignResolvers = {
  __resolveReference: (reference, { caller, campaigns }) => campaigns.byId(caller, reference.id),
  id: (campaign) => campaign.campaignId.toHexString(),
  pointResults: (campaign, _args, { caller, campaignPoints }) => campaignPoints.results(caller, campaign),
};
