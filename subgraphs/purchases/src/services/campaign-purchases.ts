import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { campaignPeriods, changeRatio, type Period } from '@omo/lib/core/time';
import type { Channel, PurchaseDoc, PurchaseModel } from '../models/purchase.model';

/** The campaign (owned by points) as purchaseResults needs it: its window and scope. */
export interface CampaignScope {
  startsAt: Date;
  endsAt: Date;
  storeIds: readonly string[];
  channels: readonly Channel[];
}

export interface CampaignPurchasePeriod extends Period {
  purchases: number;
  sales: number;
  members: number;
}

export interface CampaignPurchaseResults {
  during: CampaignPurchasePeriod;
  before: CampaignPurchasePeriod;
  purchasesChange: number | null;
  salesChange: number | null;
  membersChange: number | null;
}

type Sale = Pick<PurchaseDoc, 'memberId' | 'total' | 'occurredAt'>;

/**
 * A campaign's purchases against the period of the same length just before it: one streamed pass over both
 * periods' purchases at the campaign's stores and channels (memberId, total and occurredAt only), summed as they
 * come, with each period's members in a set. REJECTED purchases were never sales; refunds are not taken off.
 */
export class CampaignPurchases {
  constructor(
    private readonly purchases: PurchaseModel,
    private readonly clock: () => Date,
  ) {}

  async results(caller: Caller, campaign: CampaignScope): Promise<CampaignPurchaseResults> {
    requireStaff(caller);
    const { during, before } = campaignPeriods(campaign.startsAt, campaign.endsAt, this.clock());
    const periods = [
      { ...before, purchases: 0, sales: 0, members: 0, seen: new Set<string>() },
      { ...during, purchases: 0, sales: 0, members: 0, seen: new Set<string>() },
    ];
    const sales = this.purchases
      .find(
        {
          occurredAt: { $gte: before.from, $lt: during.to },
          state: { $ne: 'REJECTED' },
          // campaign scopes hold store ids as lower-case hex, as purchases do
          ...(campaign.storeIds.length ? { storeId: { $in: campaign.storeIds.map((id) => id.toLowerCase()) } } : {}),
          ...(campaign.channels.length ? { channel: { $in: campaign.channels } } : {}),
        },
        { _id: 0, memberId: 1, total: 1, occurredAt: 1 },
      )
      .lean<Sale[]>()
      .cursor({ batchSize: 1_000 });
    for await (const sale of sales) {
      const period = sale.occurredAt.getTime() < during.from.getTime() ? periods[0]! : periods[1]!;
      period.purchases += 1;
      period.sales += sale.total;
      if (sale.memberId) period.seen.add(sale.memberId);
    }
    const [b, d] = periods.map(({ seen, ...period }) => ({ ...period, members: seen.size })) as [CampaignPurchasePeriod, CampaignPurchasePeriod];
    return {
      during: d,
      before: b,
      purchasesChange: changeRatio(d.purchases, b.purchases),
      salesChange: changeRatio(d.sales, b.sales),
      membersChange: changeRatio(d.members, b.members),
    };
  }
}
