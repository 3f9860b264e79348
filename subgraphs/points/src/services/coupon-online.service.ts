import { Types } from 'mongoose';
import { z } from 'zod';
import { actorOf, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { AppError, BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import { parseInput } from '@omo/lib/core/validation';
import { RetryLater, type Outbox, type OutboxHandler } from '@omo/lib/outbox/outbox';
import type { CouponOnlineCodeDoc } from '../models/coupon-online-code.model';
import type { CouponDoc, CouponModels } from '../models/coupon.model';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';
import { newCouponCode } from './coupon-code';
import { offeredOnline, type CouponShopifySync } from './coupon-shopify-sync';
import type { LedgerService } from './ledger.service';
import { InsufficientPointsError, viewAt } from './lots';

/** A point is worth a yen at the online checkout as at the register (recordPurchase's pointsToRedeem). */
const YEN_PER_POINT = 1;
const HOUR_MS = 3_600_000;
export const ISSUE_ITEM = 'checkout-code-issue';
/** An issue item whose key never spent points (refused, or the request died before) is dropped after this. */
const ABANDONED_MS = 60_000;

export interface CheckoutCodeRules {
  /** Points one code may take, at least and at most. */
  minPoints: number;
  maxPoints: number;
  /** Hours a code is valid after it is issued; unused, it expires and its points come back. */
  validityHours: number;
}

export type OnlineCodeState = 'NONE' | 'NOT_OFFERED' | 'PENDING' | 'ACTIVE' | 'FAILED' | 'DEACTIVATED';

export interface OnlineCodeView {
  state: OnlineCodeState;
  reason: string | null;
  storeIds: string[];
}

/**
 * A coupon's Shopify discount code as the customer and staff see it: NONE (not valid online), NOT_OFFERED (valid
 * online, but its benefit cannot be a Shopify basic code, or no ONLINE store has a shop to make it in), then PENDING until Shopify answers, ACTIVE or FAILED,
 * and DEACTIVATED (or FAILED) once its deactivation ran, which then is what shows.
 */
export function onlineCodeView(coupon: CouponDoc, outcomes: CouponOnlineCodeDoc[]): OnlineCodeView {
  if (!coupon.online) return { state: 'NONE', reason: null, storeIds: [] };
  if (!offeredOnline(coupon)) {
    const what = coupon.benefit.kind === 'FREE_ITEM' ? 'A free item' : 'A percentage off with a cap';
    return { state: 'NOT_OFFERED', reason: `${what} cannot be a Shopify discount code: not available online`, storeIds: [] };
  }
  const latest = outcomes.find((o) => o.stage === 'DEACTIVATE') ?? outcomes.find((o) => o.stage === 'CREATE');
  if (!latest) return { state: 'PENDING', reason: null, storeIds: [] };
  // made in no shop at all: there is nowhere online to use it, whatever Shopify said
  if (latest.stage === 'CREATE' && latest.outcome === 'ACTIVE' && latest.shops.length === 0) {
    return { state: 'NOT_OFFERED', reason: 'No online shop is configured: not available online', storeIds: [] };
  }
  return { state: latest.outcome, reason: latest.reason, storeIds: latest.shops };
}

/**
 * "Use N points" at the online checkout: the member turns N points into a one-time Shopify discount code worth N
 * yen, valid online only. The points are one REDEEM entry keyed by the member's idempotency key (the same key again
 * answers the same coupon); the coupon is an ordinary one without a reward, so it is cancelled, expires and gives
 * its points back like a reward's (coupon.service.ts, coupon-expiry.job.ts), and its code is made and deactivated
 * by the same outbox items. The redemption never waits for Shopify.
 */
export class CouponOnlineService {
  private readonly input;

  constructor(
    private readonly models: CouponModels,
    private readonly ledger: LedgerService,
    private readonly sync: CouponShopifySync,
    private readonly rules: CheckoutCodeRules,
    private readonly clock: () => Date,
    /** Points' outbox, made with these handlers. */
    private readonly outbox: () => Outbox,
  ) {
    if (rules.minPoints > rules.maxPoints) throw new Error('CHECKOUT_CODE_MIN_POINTS is above CHECKOUT_CODE_MAX_POINTS');
    this.input = z.object({
      points: z.number().int().min(rules.minPoints, `must be at least ${rules.minPoints}`).max(rules.maxPoints, `must be at most ${rules.maxPoints}`),
      idempotencyKey: z.string().trim().min(1).max(200),
    });
  }

  async redeemPointsForCheckout(caller: Caller, input: { points: number; idempotencyKey: string }): Promise<CouponDoc> {
    const customer = requireAuthenticated(caller);
    if (customer.kind !== 'customer') throw new ForbiddenError('Members turn their own points into checkout codes');
    const { points, idempotencyKey } = parseInput(this.input, input);
    const memberId = customer.memberId;
    const redeemKey = `checkout:${memberId}:${idempotencyKey}`;
    const replay = await this.models.coupons.findOne({ redeemKey }).lean<CouponDoc>().exec();
    if (replay) return sameRequest(replay, points);
    const entry = await this.spend(memberId, points, redeemKey, actorOf(caller)).catch(async (error: unknown) => {
      // refused, yet this key's points may be spent: by a twin still storing its coupon, or an attempt that died before it
      if (!(error instanceof AppError)) throw error;
      const spent = await this.ledger.checkoutSpendOf(redeemKey, memberId, points);
      if (!spent) throw error;
      return spent;
    });
    return sameRequest(await this.issue(entry), points);
  }

  /**
   * `checkout-code-issue`, queued before the points are spent: a request that died after the REDEEM entry and
   * before its coupon leaves points spent for nothing, unless the key is resent, and the customer may never resend
   * it. This item finds the entry and stores its coupon (normally the request has, and it does nothing).
   */
  handlers(): Record<string, OutboxHandler> {
    return {
      [ISSUE_ITEM]: async (payload, item) => {
        const entry = await this.ledger.findByKey(String(payload.redeemKey));
        if (!entry) {
          if (this.clock().getTime() - item.createdAt.getTime() < ABANDONED_MS) throw new RetryLater('no points spent yet');
          return { dropped: 'no points were spent' };
        }
        // the request stored its coupon (the usual case): issuing again would rearm the code's finished create, and
        // a cancel right then would have its deactivation wait on it
        if (entry.couponId && (await this.models.coupons.exists({ _id: entry.couponId }))) return { couponId: entry.couponId };
        return { couponId: (await this.issue(entry))._id.toHexString() };
      },
    };
  }

  /** The coupon a REDEEM entry paid for, stored unless it is: the create item first, so a stored coupon has one. */
  private async issue(entry: LedgerEntryDoc): Promise<CouponDoc> {
    if (!entry.couponId) throw new Error('a checkout code entry always names its coupon');
    const coupon = this.couponOf(new Types.ObjectId(entry.couponId), entry.memberId, entry.idempotencyKey, -entry.amount, entry.createdAt);
    await this.sync.issuing(coupon);
    const claim = await claimOnce(this.models.coupons, coupon);
    if (claim.won) return claim.doc;
    if (!claim.existing) throw new Error(`coupon ${entry.couponId} clashed and is gone`);
    return claim.existing;
  }

  private async spend(memberId: string, points: number, key: string, actor: string) {
    // refused before anything is written; the ledger checks again when it takes the points
    const { balance } = viewAt(await this.ledger.state(memberId), this.clock());
    if (balance < points) throw new InsufficientPointsError(Math.max(balance, 0), points);
    // Outbox first: a crash between the entry and its coupon is put right by this item. A refusal by the ledger
    // after it (a concurrent spend took the points) leaves the item, which finds no entry and is dropped.
    await this.outbox().enqueue(`${ISSUE_ITEM}:${key}`, ISSUE_ITEM, { redeemKey: key });
    const entry = await this.ledger.spendOnCheckoutCode({ memberId, points, key, actor, couponId: new Types.ObjectId().toHexString() });
    if (!entry) throw new Error('a checkout code always writes an entry');
    return entry;
  }

  private couponOf(id: Types.ObjectId, memberId: string, redeemKey: string, points: number, issuedAt: Date): CouponDoc {
    const yen = points * YEN_PER_POINT;
    return {
      _id: id,
      code: newCouponCode(),
      memberId,
      redeemKey,
      rewardId: null,
      rewardRevision: null,
      nameJa: `${points}ポイント利用（${yen}円引き）`,
      nameEn: `${points} points (¥${yen} off)`,
      pointsCost: points,
      benefit: { kind: 'YEN_OFF', yenOff: yen, percentOff: null, capYen: null, sku: null },
      storeIds: [],
      online: true,
      state: 'ISSUED',
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + this.rules.validityHours * HOUR_MS),
      endedAt: null,
      // as a register's refund gives redeemed points back: a fully refunded order makes its code's coupon ISSUED
      // again (its Shopify code spent), and cancelling it, or its expiry, gives the points back
      restoreCouponOnRefund: true,
    };
  }
}

function sameRequest(coupon: CouponDoc, points: number): CouponDoc {
  if (coupon.pointsCost !== points) throw new BadUserInputError('This idempotencyKey was already used for a different request', { field: 'idempotencyKey' });
  return coupon;
}
