import type DataLoader from 'dataloader';
import { batchLoader } from '@omo/lib/core/loader';
import type { CouponDoc } from '../models/coupon.model';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountModel } from '../models/point-account.model';
import { accountStates } from '../services/account-states';
import type { KnownHeads } from '../services/known-heads';
import type { LedgerState } from '../services/lots';
import type { CouponService } from '../services/coupon.service';
import type { TierService } from '../services/tier.service';

type TierInfo = Awaited<ReturnType<TierService['tierFor']>>;

export interface PointsLoaders {
  stateByMemberId: DataLoader<string, LedgerState>;
  entriesByPurchaseId: DataLoader<string, LedgerEntryDoc[]>;
  tierByMemberId: DataLoader<string, TierInfo>;
  couponById: DataLoader<string, CouponDoc | null>;
}

/**
 * Per request. Accounts: two queries for any number of members — the snapshots, then any ledger entries newer
 * than each snapshot (normally none), so a lagging snapshot never shows a stale balance; one when the process
 * knows a seq of each member's (`heads`: account-states.ts).
 */
export function createPointsLoaders(deps: {
  ledger: LedgerEntryModel;
  accounts: PointAccountModel;
  heads?: KnownHeads;
  tiers: TierService;
  coupons: Pick<CouponService, 'byIds'>;
  now: Date;
}): PointsLoaders {
  return {
    stateByMemberId: batchLoader((memberIds) => accountStates(deps, [...memberIds], deps.heads)),
    entriesByPurchaseId: batchLoader(async (purchaseIds) => {
      const entries = await deps.ledger.find({ purchaseId: { $in: [...purchaseIds] } }).sort({ createdAt: 1, seq: 1 }).lean<LedgerEntryDoc[]>().exec();
      return purchaseIds.map((id) => entries.filter((e) => e.purchaseId === id));
    }),
    tierByMemberId: batchLoader(async (memberIds) => {
      const tiers = await deps.tiers.tierForMany(memberIds, deps.now);
      return memberIds.map((id) => {
        const tier = tiers.get(id);
        if (!tier) throw new Error(`no tier computed for ${id}`);
        return tier;
      });
    }),
    couponById: batchLoader((ids) => deps.coupons.byIds(ids)),
  };
}
