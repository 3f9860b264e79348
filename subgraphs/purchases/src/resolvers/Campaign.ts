import type { CampaignResolvers } from '../__generated__/resolvers-types';

/** A date of the representation the gateway sent (a JSON string: the DateTime scalar does not parse representations). */
function representationDate(value: string | Date, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`The campaign's ${field} is not a date-time: ${String(value)}`);
  return date;
}

export const Campaign: CampaignResolvers = {
  purchaseResults: (campaign, _args, { caller, campaignPurchases }) =>
    campaignPurchases.results(caller, {
      startsAt: representationDate(campaign.startsAt, 'startsAt'),
      endsAt: representationDate(campaign.endsAt, 'endsAt'),
      storeIds: campaign.storeIds,
      channels: campaign.channels,
    }),
};
