import type DataLoader from 'dataloader';
import { batchLoader } from '@omo/lib/core/loader';
import type { BaseContext } from '@omo/lib/server/subgraph-server';
import { createPointsLoaders, type PointsLoaders } from './loaders/points.loaders';
import type { CouponOnlineCodeDoc } from './models/coupon-online-code.model';
import type { LedgerEntryModel } from './models/ledger-entry.model';
import type { PointAccountModel } from './models/point-account.model';
import type { CampaignService } from './services/campaign.service';
import type { CouponOnlineService } from './services/coupon-online.service';
import type { CouponShopifySync } from './services/coupon-shopify-sync';
import type { CouponUseService } from './services/coupon-use.service';
import type { CouponService } from './services/coupon.service';
import type { EarnCalculator } from './services/earn-calculator';
import type { KnownHeads } from './services/known-heads';
import type { ItemRuleService } from './services/item-rule.service';
import { currentEarnRules, earnRulesFor, type EarnRules } from './services/earn-rules';
import type { LedgerService } from './services/ledger.service';
import type { MembersClient } from './services/members.client';
import type { PolicyService } from './services/policy.service';
import type { RewardService } from './services/reward.service';
import type { ImportBalances } from './services/import-balances';
import type { LiabilityReport } from './services/liability-report';
import type { ActivityReport } from './services/activity-report';
import type { CampaignPoints } from './services/campaign-points';
import type { RuleAudit } from './services/rule-audit';
import type { SmaregiBalanceSync } from './services/smaregi-balance-sync';
import type { StoreRateService } from './services/store-rate.service';
import type { TierService } from './services/tier.service';

/** What every points resolver receives. `now` is read once per request from the injected clock. */
export interface PointsContext extends BaseContext, Omit<PointsDeps, 'models'> {
  now: Date;
  loaders: PointsLoaders;
  /** What each coupon's Shopify code has come to (coupon-shopify-sync.ts), for any number of coupons in one query. */
  onlineCodeOutcomes: DataLoader<string, CouponOnlineCodeDoc[]>;
  /** The earn rules for this request's caller, read once however many fields (or aliases) ask for them. */
  earnRules: () => Promise<EarnRules>;
  /** The earn rules as they are now: what a rule mutation answers, read again after each. */
  currentEarnRules: () => Promise<EarnRules>;
}

export interface PointsDeps {
  models: { ledger: LedgerEntryModel; accounts: PointAccountModel };
  clock: () => Date;
  ledger: LedgerService;
  policy: PolicyService;
  storeRates: StoreRateService;
  campaigns: CampaignService;
  itemRules: ItemRuleService;
  tiers: TierService;
  calculator: EarnCalculator;
  members: MembersClient;
  rewards: RewardService;
  coupons: CouponService;
  checkoutCodes: CouponOnlineService;
  shopifySync: CouponShopifySync;
  couponUse: CouponUseService;
  smaregiBalance: SmaregiBalanceSync;
  imports: ImportBalances;
  liability: LiabilityReport;
  activity: ActivityReport;
  campaignPoints: CampaignPoints;
  ruleAudit: RuleAudit;
  /** The ledger seqs this process has written or read, for one-query balances. */
  heads: KnownHeads;
}

export function createPointsContext(deps: PointsDeps, base: BaseContext): PointsContext {
  const now = deps.clock();
  let earnRules: Promise<EarnRules> | undefined;
  const { models, ...services } = deps;
  return {
    ...base,
    ...services,
    now,
    loaders: createPointsLoaders({ ...models, heads: deps.heads, tiers: deps.tiers, coupons: deps.coupons, now }),
    onlineCodeOutcomes: batchLoader((couponIds) => deps.shopifySync.outcomes(couponIds)),
    earnRules: () => (earnRules ??= earnRulesFor(base.caller, deps)),
    currentEarnRules: () => currentEarnRules(deps),
  };
}
