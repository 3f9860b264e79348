import { Types } from 'mongoose';
import { z } from 'zod';
import { actorOf, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import { DAY_MS } from '@omo/lib/core/time';
import { objectIdSchema, parseInput } from '@omo/lib/core/validation';
import type { CouponDoc, CouponEnd, CouponEndDoc, CouponModels } from '../models/coupon.model';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';
import type { Tier } from '../models/points-policy.model';
import type { RewardDoc } from '../models/reward.model';
import { newCouponCode } from './coupon-code';
import { CouponSlots } from './coupon-slots';
import type { CouponShopifySync } from './coupon-shopify-sync';
import type { LedgerService } from './ledger.service';
import { InsufficientPointsError, viewAt } from './lots';
import { RewardUnavailableError, unavailability, type RewardService } from './reward.service';

const redeemInput = z.object({ rewardId: objectIdSchema().transform((id) => id.toLowerCase()), idempotencyKey: z.string().trim().min(1).max(200) });
const couponIdInput = objectIdSchema();
const MAX_COUPONS = 100;

/**
 * Coupons: a member spends a reward's points (one REDEEM entry keyed by their idempotency key) for a single-use
 * code. A coupon is ISSUED until its one end, decided by a unique insert into coupon_ends: CANCELLED (by the
 * member or staff) or EXPIRED (the job) give the points back once (a REVERSAL keyed by the coupon) and free its
 * stock and limit units. A sale using it (next) will be one more kind of end, without the give-back.
 */
export class CouponService {
  private readonly slots: CouponSlots;

  constructor(
    private readonly models: CouponModels,
    private readonly rewards: RewardService,
    private readonly ledger: LedgerService,
    private readonly tierOf: (memberId: string, at: Date) => Promise<Tier>,
    private readonly clock: () => Date,
    /** The Shopify discount code of a coupon valid online: queued before the coupon is stored and before it ends. */
    private readonly online: Pick<CouponShopifySync, 'issuing' | 'ending'>,
  ) {
    this.slots = new CouponSlots(models.slots);
  }

  /**
   * The customer buys a reward's coupon with points. The same key again answers the same coupon; a twin request
   * racing with it reserves its own units, loses the ledger's key to the first and frees them.
   */
  async redeem(caller: Caller, input: { rewardId: string; idempotencyKey: string }): Promise<CouponDoc> {
    const customer = requireAuthenticated(caller);
    // a member's points are theirs to spend: staff and registers sell with coupons, they do not buy them
    if (customer.kind !== 'customer') throw new ForbiddenError('Members redeem rewards themselves');
    const { rewardId, idempotencyKey } = parseInput(redeemInput, input);
    const memberId = customer.memberId;
    const redeemKey = `reward:${memberId}:${idempotencyKey}`;
    const replay = await this.models.coupons.findOne({ redeemKey }).lean<CouponDoc>().exec();
    if (replay) return this.sameRequest(replay, rewardId);
    const reward = await this.rewards.head(rewardId);
    const entry = await this.spend(reward, memberId, redeemKey, actorOf(caller)).catch(async (error: unknown) => {
      // A refusal may only mean this key's points are spent already: by a twin still issuing its coupon, or by an
      // attempt that died before it did. Then the coupon is that entry's.
      if (!(error instanceof AppError)) throw error;
      const spent = await this.ledger.couponSpendOf(redeemKey, memberId, rewardId);
      if (!spent) throw error;
      return spent;
    });
    if (!entry.couponId) throw new Error('a redemption entry always names its coupon');
    // a resent key after an edit of the reward: the coupon is what the entry paid for, not the reward as it is now
    const paidFor = entry.rewardRevision && entry.rewardRevision !== reward.revision ? await this.rewards.revision(rewardId, entry.rewardRevision) : reward;
    const coupon = { ...couponOf(new Types.ObjectId(entry.couponId), paidFor, memberId, redeemKey, entry.createdAt), pointsCost: -entry.amount };
    await this.online.issuing(coupon);
    const claim = await claimOnce(this.models.coupons, coupon);
    if (claim.won) return claim.doc;
    if (!claim.existing) throw new Error(`coupon ${entry.couponId} clashed and is gone`);
    return this.sameRequest(claim.existing, rewardId);
  }

  /** The checks, the units, then the points: a refusal at any step leaves nothing reserved. */
  private async spend(reward: RewardDoc, memberId: string, redeemKey: string, actor: string): Promise<LedgerEntryDoc> {
    const now = this.clock();
    const why = unavailability(reward, now, await this.tierOf(memberId, now));
    if (why) throw new RewardUnavailableError(why);
    // refused before any unit is reserved; the ledger checks again when it takes the points
    const { balance } = viewAt(await this.ledger.state(memberId), now);
    if (balance < reward.pointsCost) throw new InsufficientPointsError(Math.max(balance, 0), reward.pointsCost);
    const couponId = new Types.ObjectId().toHexString();
    await this.slots.reserve(reward, memberId, couponId);
    try {
      const entry = await this.ledger.spendOnCoupon({ memberId, points: reward.pointsCost, key: redeemKey, actor, rewardId: reward.rewardId.toHexString(), rewardRevision: reward.revision, couponId });
      if (!entry) throw new Error('a redemption always writes an entry');
      if (entry.couponId !== couponId) await this.slots.release(couponId);
      return entry;
    } catch (error) {
      await this.slots.release(couponId);
      throw error;
    }
  }

  /** The customer cancels their own ISSUED coupon, or staff any; cancelling again answers the same. */
  async cancel(caller: Caller, id: string): Promise<CouponDoc> {
    const who = requireAuthenticated(caller);
    if (who.kind !== 'customer' && who.kind !== 'staff') throw new ForbiddenError('Members and staff cancel coupons');
    const coupon = await this.find(parseInput(couponIdInput, id));
    if (who.kind === 'customer' && coupon.memberId !== who.memberId) throw new ForbiddenError('A customer can only cancel their own coupons');
    const end: CouponEnd = coupon.expiresAt.getTime() <= this.clock().getTime() ? 'EXPIRED' : 'CANCELLED';
    return (await this.end(coupon, end, actorOf(caller))).coupon;
  }

  /** The member's coupons, newest first. */
  forMember(memberId: string, first: number): Promise<CouponDoc[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_COUPONS) throw new BadUserInputError(`first must be 1-${MAX_COUPONS}`, { field: 'first' });
    return this.models.coupons.find({ memberId }).sort({ issuedAt: -1, _id: -1 }).limit(first).lean<CouponDoc[]>().exec();
  }

  /**
   * Claims the coupon's end, or reads the end another got first, then finishes it (points back, units freed,
   * state written), whoever claimed it: every step is idempotent, so a retry finishes what a crash left half done.
   */
  async end(coupon: CouponDoc, state: CouponEnd, actor: string): Promise<{ coupon: CouponDoc; claimed: boolean }> {
    await this.online.ending(coupon);
    const claim = await claimOnce<CouponEndDoc>(this.models.ends, { _id: coupon._id, state, actor, at: this.clock() });
    const ended = claim.won ? claim.doc : claim.existing;
    if (!ended) throw new Error(`the end of coupon ${coupon._id.toHexString()} clashed and is gone`);
    const couponId = coupon._id.toHexString();
    await this.ledger.returnCouponPoints({
      memberId: coupon.memberId,
      points: coupon.pointsCost,
      couponId,
      actor: ended.actor,
      reason: ended.state === 'EXPIRED' ? 'Coupon expired' : 'Coupon cancelled',
    });
    await this.slots.release(couponId);
    // derived from the end claim, never deciding anything: a plain update is enough
    await this.models.coupons.updateOne({ _id: coupon._id }, { $set: { state: ended.state, endedAt: ended.at } }).exec();
    return { coupon: { ...coupon, state: ended.state, endedAt: ended.at }, claimed: claim.won };
  }

  private async find(id: string): Promise<CouponDoc> {
    const coupon = await this.models.coupons.findById(id).lean<CouponDoc>().exec();
    if (!coupon) throw new NotFoundError('Coupon');
    return coupon;
  }

  private sameRequest(coupon: CouponDoc, rewardId: string): CouponDoc {
    if (coupon.rewardId !== rewardId) throw new BadUserInputError('This idempotencyKey was already used for a different request', { field: 'idempotencyKey' });
    return coupon;
  }
}

/** The coupon a redemption issues: the reward's benefit and validity as they are now, valid couponValidityDays. */
function couponOf(id: Types.ObjectId, reward: RewardDoc, memberId: string, redeemKey: string, issuedAt: Date): CouponDoc {
  return {
    _id: id,
    code: newCouponCode(),
    memberId,
    redeemKey,
    rewardId: reward.rewardId.toHexString(),
    rewardRevision: reward.revision,
    nameJa: reward.nameJa,
    nameEn: reward.nameEn,
    pointsCost: reward.pointsCost,
    benefit: reward.benefit,
    storeIds: reward.storeIds,
    online: reward.online,
    state: 'ISSUED',
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + reward.couponValidityDays * DAY_MS),
    endedAt: null,
  };
}
