import type { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { pointsContract, type MemberRewards, type RedeemedCoupon } from '@omo/lib/contracts/points';
import { internalRouter } from '@omo/lib/server/internal-api';
import type { PointsDeps } from '../context';
import { accountSummary } from '../services/account-summary';
import { viewAt } from '../services/lots';
import type { SettlementService } from '../services/settlement.service';
import { pointsSegmentFilter } from './segment-filter.routes';

/** A member holds few coupons at once; the chat shows the newest of these. */
const CHAT_COUPONS = 20;

/** The points contract's routes (lib/contracts/points.ts): purchases quotes coupons, settles and reads Smaregi balances here, members merges, line reads accounts and redeems. */
export function pointsRoutes(deps: PointsDeps, settlement: SettlementService, options: { internalSecret: string; logger: Logger }): Router {
  return internalRouter(pointsContract, {
    settle: (input) => settlement.settle(input),
    couponQuote: (input) => deps.couponUse.quote(input),
    redemption: (input) => settlement.redemption(input),
    reverse: (input) => settlement.reverse(input),
    merge: (input) => settlement.merge(input),
    signupBonus: (input) => settlement.signupBonus(input),
    importBalances: (input) => deps.imports.importBalances(input),
    accountSummary: (input) => accountSummary(deps, input),
    memberRewards: (input) => memberRewards(deps, input.memberId.toLowerCase()),
    redeemForMember: (input) => redeemForMember(deps, input),
    balanceState: (input) => deps.smaregiBalance.balanceState(input.memberId.toLowerCase()),
    segmentFilter: pointsSegmentFilter(deps),
  }, options);
}

/** What the member would see through GraphQL as themselves: Query.rewards and their ISSUED Member.coupons. */
async function memberRewards(deps: PointsDeps, memberId: string): Promise<MemberRewards> {
  const [rewards, coupons] = await Promise.all([deps.rewards.list({ kind: 'customer', memberId }), deps.coupons.forMember(memberId, CHAT_COUPONS)]);
  return {
    rewards: rewards.map((r) => ({ rewardId: r.rewardId.toHexString(), nameJa: r.nameJa, nameEn: r.nameEn, pointsCost: r.pointsCost, benefit: r.benefit })),
    coupons: coupons
      .filter((c) => c.state === 'ISSUED')
      .map((c) => ({ couponId: c._id.toHexString(), code: c.code, nameJa: c.nameJa, nameEn: c.nameEn, expiresAt: c.expiresAt })),
  };
}

/** The chat's redemption is the customer's own, by the operation redeemReward uses: same checks, same key rules. */
async function redeemForMember(deps: PointsDeps, input: { memberId: string; rewardId: string; idempotencyKey: string }): Promise<RedeemedCoupon> {
  const memberId = input.memberId.toLowerCase();
  const coupon = await deps.coupons.redeem({ kind: 'customer', memberId }, { rewardId: input.rewardId, idempotencyKey: input.idempotencyKey });
  const { balance } = viewAt(await deps.ledger.state(memberId), deps.clock());
  return { couponId: coupon._id.toHexString(), code: coupon.code, nameJa: coupon.nameJa, nameEn: coupon.nameEn, pointsCost: coupon.pointsCost, expiresAt: coupon.expiresAt, balance };
}
