import { BadUserInputError } from '@omo/lib/core/errors';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { LedgerAppend } from './ledger-append';
import { digest } from './ledger-digest';
import { clawback, credit, debit } from './lots';
import { lotExpiry } from './points-policy';
import type { PolicyService } from './policy.service';

/**
 * Not the coupon: a twin of the request (same key) draws another coupon id and must get the first one. Not the
 * points either: the reward's cost may be edited between an attempt and its retry.
 */
function couponSpendDigest(memberId: string, rewardId: string): string {
  return digest([memberId, 'reward', rewardId]);
}

function checkoutSpendDigest(memberId: string, points: number): string {
  return digest([memberId, 'checkout', points]);
}

/** The ledger's side of coupons (LedgerService's coupon operations): points spent on them, given back, taken back. */
export class LedgerCouponSpends {
  constructor(
    private readonly ledger: LedgerEntryModel,
    private readonly appender: LedgerAppend,
    private readonly policy: PolicyService,
  ) {}

  /** Spends a reward's points on the coupon it issues (coupon.service.ts); a replay of the key returns the first entry. */
  spendOnCoupon(input: CouponSpend): Promise<LedgerEntryDoc | null> {
    return this.appender.append(
      input.memberId,
      input.key,
      (memberId) => couponSpendDigest(memberId, input.rewardId),
      { type: 'REDEEM', actor: input.actor, couponId: input.couponId, rewardRevision: input.rewardRevision, reason: `Reward ${input.rewardId}` },
      (state, now) => debit(state, input.points, now),
    );
  }

  /** The entry a redemption's key wrote, if any; one written for another reward (the key reused) is refused. */
  couponSpendOf(key: string, memberId: string, rewardId: string): Promise<LedgerEntryDoc | null> {
    return this.spendOf(key, couponSpendDigest(memberId, rewardId));
  }

  /**
   * Spends points on an online checkout code (coupon-online.service.ts); a replay of the key returns the first
   * entry, and the entry a key wrote is refused for another number of points.
   */
  spendOnCheckoutCode(input: CheckoutSpend): Promise<LedgerEntryDoc | null> {
    return this.appender.append(
      input.memberId,
      input.key,
      (memberId) => checkoutSpendDigest(memberId, input.points),
      { type: 'REDEEM', actor: input.actor, couponId: input.couponId, reason: 'Online checkout code' },
      (state, now) => debit(state, input.points, now),
    );
  }

  /** The entry a checkout code's key wrote, if any; one written for another request (the key reused) is refused. */
  checkoutSpendOf(key: string, memberId: string, points: number): Promise<LedgerEntryDoc | null> {
    return this.spendOf(key, checkoutSpendDigest(memberId, points));
  }

  /** Gives a cancelled or expired coupon's points back, once per coupon, as a new lot valid from now under the policy. */
  async returnCouponPoints(input: CouponReturn): Promise<LedgerEntryDoc | null> {
    const policy = await this.policy.getPolicy();
    return this.appender.append(
      input.memberId,
      `coupon:${input.couponId}:return`,
      (memberId) => digest([memberId, input.couponId, input.points]),
      { type: 'REVERSAL', reverses: 'REDEEM', actor: input.actor, couponId: input.couponId, reason: input.reason },
      (state, now, entryId) =>
        credit(state, { lotId: entryId.toHexString(), amount: input.points, earnedAt: now, availableAt: now, expiresAt: lotExpiry(policy, now, state.lastPurchaseAt) }, false),
    );
  }

  /**
   * An online order used a coupon whose points had come back (it was cancelled or expired first; Shopify gave the
   * discount all the same): the returned points are taken back as an ADJUST of the order, a debt if they are spent
   * already, like a refund of spent points. Not earned points: lifetimeEarned stays. Once per coupon, not per order,
   * as they came back once: its code is single use in each shop, but several shops may each take it once.
   */
  takeBackCouponReturn(input: CouponReturn & { purchaseId: string }): Promise<LedgerEntryDoc | null> {
    return this.appender.append(
      input.memberId,
      `coupon:${input.couponId}:used-after-end`,
      // without the order: a second order's take-back is the first one's replay, not a different request
      (memberId) => digest([memberId, input.couponId, input.points]),
      { type: 'ADJUST', actor: input.actor, couponId: input.couponId, purchaseId: input.purchaseId, reason: input.reason },
      (state, now) => ({ ...clawback(state, input.points, now, input.purchaseId), lifetimeEarned: state.lifetimeEarned }),
    );
  }

  /** The coupon spend a key wrote, if any; refused when the key wrote anything else. */
  private async spendOf(key: string, requestDigest: string): Promise<LedgerEntryDoc | null> {
    const entry = await this.appender.findByKey(key);
    if (!entry) return null;
    if (entry.type !== 'REDEEM' || !entry.couponId || entry.requestDigest !== requestDigest) {
      throw new BadUserInputError('This idempotencyKey was already used for a different request', { field: 'idempotencyKey' });
    }
    return entry;
  }

  /** The REDEEM entry that paid for a coupon, if any (the expiry job's sweep of units left by a crash). */
  spendOfCoupon(couponId: string): Promise<LedgerEntryDoc | null> {
    return this.ledger.findOne({ couponId, type: 'REDEEM' }).lean<LedgerEntryDoc>().exec();
  }
}

/** A reward's points spent on the coupon it issues. */
export interface CouponSpend {
  memberId: string;
  points: number;
  key: string;
  actor: string;
  rewardId: string;
  rewardRevision: number;
  couponId: string;
}

/** Points spent on an online checkout code. */
export interface CheckoutSpend {
  memberId: string;
  points: number;
  key: string;
  actor: string;
  couponId: string;
}

/** A coupon's points coming back, or taken back again once they had. */
export interface CouponReturn {
  memberId: string;
  points: number;
  couponId: string;
  actor: string;
  reason: string;
}
