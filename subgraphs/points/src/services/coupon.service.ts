import { Types } from 'mongoose';
import { z } from 'zod';
import { actorOf, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import { DAY_MS } from '@omo/lib/core/time';
import { objectIdSchema, parseInput } from '@omo/lib/core/validation';
import type { Outbox, OutboxHandler } from '@omo/lib/outbox/outbox';
import { couponCodeSchema } from '@omo/lib/contracts/points';
import type { CouponDoc, CouponEnd, CouponEndDoc, CouponModels } from '../models/coupon.model';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';
import type { Tier } from '../models/points-policy.model';
import type { RewardDoc } from '../models/reward.model';
import { newCouponCode } from './coupon-code';
import { couponIdFor, CouponRecovery, ISSUE_ITEM, issueKey } from './coupon-recovery';
import { CouponSlots } from './coupon-slots';
import type { CouponShopifySync } from './coupon-shopify-sync';
import type { LedgerService } from './ledger.service';
import { forCurrentMember } from './ledger-merges';
import { InsufficientPointsError, viewAt } from './lots';
import { RewardUnavailableError, unavailability, type RewardService } from './reward.service';

const redeemInput = z.object({ rewardId: objectIdSchema().transform((id) => id.toLowerCase()), idempotencyKey: z.string().trim().min(1).max(200) });
const couponIdInput = objectIdSchema();
const MAX_COUPONS = 100;

/**
 * Coupons: a member spends a reward's points (one REDEEM entry keyed by their idempotency key) for a single-use
 * code. A coupon is ISSUED until its one end, decided by a unique insert into coupon_ends: CANCELLED (by the
 * member or staff) or EXPIRED (the job) give the points back once (a REVERSAL keyed by the coupon) and free its
 * stock and limit units. USED (a purchase, coupon-use.service.ts) is the third kind, without the give-back.
 */
export class CouponService {
  private readonly slots: CouponSlots;
  private readonly recovery: CouponRecovery;

  constructor(
    private readonly models: CouponModels,
    private readonly rewards: RewardService,
    private readonly ledger: LedgerService,
    private readonly tierOf: (memberId: string, at: Date) => Promise<Tier>,
    private readonly clock: () => Date,
    /** The Shopify discount code of a coupon valid online: queued before the coupon is stored and before it ends. */
    private readonly online: Pick<CouponShopifySync, 'issuing' | 'ending'>,
    /** Points' outbox, made with these handlers. */
    private readonly outbox: () => Outbox,
  ) {
    this.slots = new CouponSlots(models.slots, clock);
    this.recovery = new CouponRecovery(models, ledger, this.slots, clock, (entry, rewardId, memberId) => this.issue(entry, rewardId, undefined, memberId));
  }

  /** The outbox item that issues the coupon of a redemption that died after its points (coupon-recovery.ts). */
  handlers(): Record<string, OutboxHandler> {
    return this.recovery.handlers();
  }

  /** The expiry job's sweep of units a redemption died with (coupon-recovery.ts). */
  sweepUnits(now: Date): Promise<{ issued: number; freed: number }> {
    return this.recovery.sweepUnits(now);
  }

  /**
   * The customer buys a reward's coupon with points. The same key again answers the same coupon; a twin request
   * racing with it names the same coupon, so it finds the units the first one holds and the entry it wrote.
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
    const coupon = await this.issue(entry, rewardId, reward);
    // the coupon is stored: its issue item finds it and is done now rather than at the worker's next round
    await this.outbox().process(issueKey(redeemKey, rewardId), { ignoreBackoff: true });
    return this.sameRequest(coupon, rewardId);
  }

  /**
   * The coupon a REDEEM entry paid for, inserted unless it exists: what the entry's reward revision gave (an edit
   * since does not change what was paid for), for the points the entry took.
   */
  private async issue(entry: LedgerEntryDoc, rewardId: string, head?: RewardDoc, memberId = entry.memberId): Promise<CouponDoc> {
    if (!entry.couponId) throw new Error('a redemption entry always names its coupon');
    const reward = head ?? (await this.rewards.head(rewardId));
    const paidFor = entry.rewardRevision && entry.rewardRevision !== reward.revision ? await this.rewards.revision(rewardId, entry.rewardRevision) : reward;
    const coupon = { ...couponOf(new Types.ObjectId(entry.couponId), paidFor, memberId, entry.idempotencyKey, entry.createdAt), pointsCost: -entry.amount };
    await this.online.issuing(coupon);
    const claim = await claimOnce(this.models.coupons, coupon);
    if (claim.won) return claim.doc;
    if (!claim.existing) throw new Error(`coupon ${entry.couponId} clashed and is gone`);
    return claim.existing;
  }

  /** The checks, the units, then the points: a refusal at any step leaves nothing reserved. */
  private async spend(reward: RewardDoc, memberId: string, redeemKey: string, actor: string): Promise<LedgerEntryDoc> {
    const now = this.clock();
    const why = unavailability(reward, now, await this.tierOf(memberId, now));
    if (why) throw new RewardUnavailableError(why);
    // refused before any unit is reserved; the ledger checks again when it takes the points
    const { balance } = viewAt(await this.ledger.state(memberId), now);
    if (balance < reward.pointsCost) throw new InsufficientPointsError(Math.max(balance, 0), reward.pointsCost);
    const couponId = couponIdFor(redeemKey).toHexString();
    const reserved = await this.slots.reserve(reward, memberId, couponId);
    let entry: LedgerEntryDoc | null;
    try {
      // before the points: a crash between the entry and its coupon is put right by this item (coupon-recovery.ts)
      await this.outbox().enqueue(issueKey(redeemKey, reward.rewardId.toHexString()), ISSUE_ITEM, { redeemKey, rewardId: reward.rewardId.toHexString() });
      entry = await this.ledger.spendOnCoupon({ memberId, points: reward.pointsCost, key: redeemKey, actor, rewardId: reward.rewardId.toHexString(), rewardRevision: reward.revision, couponId });
    } catch (error) {
      // Units are freed only when no entry can be paying for them: after a refusal with no entry under the key, or
      // an error after which the key holds none. An error may come after the entry was written (the snapshot's
      // update, a lost reply): freeing then would issue a coupon without its units. If even the look-up fails,
      // the issue item decides later (coupon-recovery.ts). Only the units this call took: a twin's are its own to free.
      // An entry the key wrote for another reward (the key reused) pays for nothing here either.
      const written = await this.ledger.couponSpendOf(redeemKey, memberId, reward.rewardId.toHexString()).catch((e: unknown) => (e instanceof BadUserInputError ? null : undefined));
      if (written === null || (written && written.couponId !== couponId)) await this.slots.free(reserved);
      // a twin that reserved at the same moment may have won the entry: its units and this call's are one coupon's
      else if (written) await this.slots.trim(couponId);
      throw error;
    }
    if (!entry) throw new Error('a redemption always writes an entry');
    // an entry written before coupons were named by their key has another coupon: this reservation is not its
    if (entry.couponId !== couponId) await this.slots.free(reserved);
    else await this.slots.trim(couponId);
    return entry;
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
   * The one way a coupon ends, whatever the kind: claims the end, or reads the end another got first, then
   * finishes it, whoever claimed it. CANCELLED and EXPIRED give the points back (to the survivor of any merge,
   * who holds the member's points now) and free the units; USED (a purchase) keeps both. Every step is
   * idempotent, so a retry finishes what a crash left half done.
   *
   * The online code's deactivation is queued before a CANCELLED or EXPIRED claim (a crash after it must not leave
   * the code usable, and nobody is bound to call again). Not before a USED one: a register's claim may be undone by
   * its refused sale a moment later, and the code of a coupon ISSUED again must stay usable. The settlement queues
   * it once its claims stand (codeUsed); a crash before that is retried by purchases until it answers.
   */
  async end(coupon: CouponDoc, state: CouponEnd, actor: string, purchaseId: string | null = null): Promise<{ coupon: CouponDoc; claimed: boolean; end: CouponEndDoc }> {
    if (state !== 'USED') await this.online.ending(coupon);
    const claim = await claimOnce<CouponEndDoc>(this.models.ends, { _id: coupon._id, state, actor, at: this.clock(), purchaseId });
    const ended = claim.won ? claim.doc : claim.existing;
    if (!ended) throw new Error(`the end of coupon ${coupon._id.toHexString()} clashed and is gone`);
    const couponId = coupon._id.toHexString();
    if (ended.state !== 'USED') {
      const reason = ended.state === 'EXPIRED' ? 'Coupon expired' : 'Coupon cancelled';
      await forCurrentMember(coupon.memberId, (memberId) => this.ledger.returnCouponPoints({ memberId, points: coupon.pointsCost, couponId, actor: ended.actor, reason }));
      await this.slots.release(couponId);
    }
    // Derived from the end claim, never deciding anything: a plain update is enough. Not from another purchase's
    // USED end, which that purchase may delete (a refused sale, a void, a refund) just before this write lands: the
    // coupon would show USED with no end, and the expiry job (which reads ISSUED mirrors) never expire it. That
    // purchase's own settlement writes its mirror (retried until it answers); CANCELLED and EXPIRED are for good.
    const mirror = { state: ended.state, endedAt: ended.at, usedAt: ended.state === 'USED' ? ended.at : null, purchaseId: ended.purchaseId ?? null };
    if (claim.won || ended.state !== 'USED' || ended.purchaseId === purchaseId) await this.models.coupons.updateOne({ _id: coupon._id }, { $set: mirror }).exec();
    return { coupon: { ...coupon, ...mirror }, claimed: claim.won, end: ended };
  }

  /** A coupon a settlement has used for good: its online code is turned off (an online order used it up already). */
  async codeUsed(coupon: CouponDoc): Promise<void> {
    await this.online.ending(coupon);
  }

  /** A register (only a coupon valid at one of its stores) or staff: the coupon of a code, before the sale. */
  async byCode(caller: Caller, code: string): Promise<CouponDoc> {
    const who = requireAuthenticated(caller);
    if (who.kind !== 'pos' && who.kind !== 'staff') throw new ForbiddenError('Registers and staff read coupons by code');
    const coupon = await this.models.coupons.findOne({ code: parseInput(couponCodeSchema, code) }).lean<CouponDoc>().exec();
    // a register is told nothing of coupons it cannot take, not even that they exist
    if (!coupon || (who.kind === 'pos' && !coupon.storeIds.some((id) => who.storeIds.includes(id)))) throw new NotFoundError('Coupon');
    return coupon;
  }

  /** Coupons by id, for the federation references (Purchase.coupons): in the order asked, null where none. */
  async byIds(ids: readonly string[]): Promise<(CouponDoc | null)[]> {
    const found = await this.models.coupons.find({ _id: { $in: ids.filter((id) => Types.ObjectId.isValid(id)) } }).lean<CouponDoc[]>().exec();
    return ids.map((id) => found.find((c) => c._id.toHexString() === id) ?? null);
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
    restoreCouponOnRefund: reward.restoreCouponOnRefund ?? false,
    state: 'ISSUED',
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + reward.couponValidityDays * DAY_MS),
    endedAt: null,
    usedAt: null,
    purchaseId: null,
  };
}
