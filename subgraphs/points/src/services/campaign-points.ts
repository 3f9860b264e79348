import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { campaignPeriods, changeRatio, type Period } from '@omo/lib/core/time';
import type { CampaignDoc } from '../models/campaign.model';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';

export interface CampaignPointPeriod extends Period {
  earned: number;
}

export interface CampaignPointResults {
  during: CampaignPointPeriod;
  before: CampaignPointPeriod;
  earnedChange: number | null;
  campaignPurchases: number;
  pointsOnCampaignPurchases: number;
}

type Entry = Pick<LedgerEntryDoc, 'type' | 'amount' | 'createdAt' | 'earnBreakdown'>;

/**
 * A campaign's points against the period of the same length just before it: one streamed pass over both periods'
 * EARN and BONUS entries at the campaign's stores and channels, summed as they come. An EARN entry's breakdown names
 * the campaigns that applied to it (the winning multiplier, the fixed bonuses) but not each one's share, so what the
 * campaign added on its own is not known: the entries it applied to are counted with all they earned.
 */
export class CampaignPoints {
  constructor(
    private readonly ledger: LedgerEntryModel,
    private readonly clock: () => Date,
  ) {}

  async results(caller: Caller, campaign: CampaignDoc): Promise<CampaignPointResults> {
    requireStaff(caller);
    const campaignId = campaign.campaignId.toHexString();
    const { during, before } = campaignPeriods(campaign.startsAt, campaign.endsAt, this.clock());
    const totals = { before: 0, during: 0, campaignPurchases: 0, pointsOnCampaignPurchases: 0 };
    const entries = this.ledger
      .find(
        {
          createdAt: { $gte: before.from, $lt: during.to },
          type: { $in: ['EARN', 'BONUS'] },
          // campaign scopes hold store ids as lower-case hex, as the ledger does
          ...(campaign.storeIds.length ? { storeId: { $in: campaign.storeIds } } : {}),
          ...(campaign.channels.length ? { channel: { $in: campaign.channels } } : {}),
        },
        { _id: 0, type: 1, amount: 1, createdAt: 1, 'earnBreakdown.campaignIds': 1 },
      )
      .lean<Entry[]>()
      .cursor({ batchSize: 1_000 });
    for await (const entry of entries) {
      if (entry.createdAt.getTime() < during.from.getTime()) {
        totals.before += entry.amount;
        continue;
      }
      totals.during += entry.amount;
      if (entry.type === 'EARN' && entry.earnBreakdown?.campaignIds?.includes(campaignId)) {
        totals.campaignPurchases += 1;
        totals.pointsOnCampaignPurchases += entry.amount;
      }
    }
    return {
      during: { ...during, earned: totals.during },
      before: { ...before, earned: totals.before },
      earnedChange: changeRatio(totals.during, totals.before),
      campaignPurchases: totals.campaignPurchases,
      pointsOnCampaignPurchases: totals.pointsOnCampaignPurchases,
    };
  }
}
