import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { CampaignModel } from '../models/campaign.model';
import type { ItemRuleModel } from '../models/item-rule.model';
import type { PolicyRevisionModel } from '../models/points-policy.model';
import type { RuleChange } from '../models/rule-change.schema';
import type { StoreRateRevisionModel } from '../models/store-earn-rate.model';

export type RuleKind = 'POINTS_POLICY' | 'STORE_EARN_RATE' | 'CAMPAIGN' | 'ITEM_RULE';

/** One rule revision's audit record, with which rule it belongs to. */
export interface RuleChangeView {
  rule: RuleKind;
  /** The campaign's or item rule's id, the store's id for its earn rate; null for the point policy (one for all). */
  ruleId: string | null;
  revision: number;
  change: RuleChange;
}

interface Revision {
  _id: unknown;
  revision?: number;
  storeId?: string;
  campaignId?: { toHexString(): string };
  itemRuleId?: { toHexString(): string };
  change: RuleChange;
}

const MAX_FIRST = 200;

/**
 * The audit of the earn rules staff change (the point policy with its tiers, store rates, campaigns, item rules):
 * every change is a revision carrying its own audit record (rule-change.schema.ts), so the audit is read from the
 * revisions themselves, the newest of each collection, merged. Rewards have theirs per reward (rewardChanges).
 */
export class RuleAudit {
  constructor(private readonly models: { policies: PolicyRevisionModel; storeRates: StoreRateRevisionModel; campaigns: CampaignModel; itemRules: ItemRuleModel }) {}

  async recent(caller: Caller, first: number): Promise<RuleChangeView[]> {
    requireStaff(caller);
    if (!Number.isInteger(first) || first < 1 || first > MAX_FIRST) throw new BadUserInputError(`first must be 1-${MAX_FIRST}`, { field: 'first' });
    // the newest `first` of each collection: together they hold the newest `first` of all
    const newest = { 'change.at': -1 } as const;
    const [policies, storeRates, campaigns, itemRules] = await Promise.all([
      this.models.policies.find({}, { change: 1 }).sort(newest).limit(first).lean<Revision[]>(),
      this.models.storeRates.find({}, { change: 1, revision: 1, storeId: 1 }).sort(newest).limit(first).lean<Revision[]>(),
      this.models.campaigns.find({}, { change: 1, revision: 1, campaignId: 1 }).sort(newest).limit(first).lean<Revision[]>(),
      this.models.itemRules.find({}, { change: 1, revision: 1, itemRuleId: 1 }).sort(newest).limit(first).lean<Revision[]>(),
    ]);
    const views: RuleChangeView[] = [
      ...policies.map((r) => ({ rule: 'POINTS_POLICY' as const, ruleId: null, revision: Number(r._id), change: r.change })),
      ...storeRates.map((r) => ({ rule: 'STORE_EARN_RATE' as const, ruleId: r.storeId ?? null, revision: r.revision ?? 0, change: r.change })),
      ...campaigns.map((r) => ({ rule: 'CAMPAIGN' as const, ruleId: r.campaignId?.toHexString() ?? null, revision: r.revision ?? 0, change: r.change })),
      ...itemRules.map((r) => ({ rule: 'ITEM_RULE' as const, ruleId: r.itemRuleId?.toHexString() ?? null, revision: r.revision ?? 0, change: r.change })),
    ];
    return views.sort((a, b) => b.change.at.getTime() - a.change.at.getTime()).slice(0, first);
  }
}
