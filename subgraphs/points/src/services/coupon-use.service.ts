import type { z } from 'zod';
import type { Types } from 'mongoose';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import type { CouponQuote, couponQuoteSchema, reverseSchema, settleSchema } from '@omo/lib/contracts/points';
import type { CouponDoc, CouponEnd, CouponEndDoc, CouponModels } from '../models/coupon.model';
import type { RewardBenefit } from '../models/reward.model';
import type { CouponService } from './coupon.service';
import type { LedgerService } from './ledger.service';
import { forCurrentMember } from './ledger-merges';

type QuoteInput = z.infer<typeof couponQuoteSchema>;
type SettleInput = z.infer<typeof settleSchema>;
type ReverseInput = z.infer<typeof reverseSchema>;

type Refusal = 'NOT_FOUND' | 'COUPON_ALREADY_USED' | 'COUPON_ENDED' | 'COUPON_NOT_APPLICABLE';

/** A coupon that cannot be used in this sale; `couponCode` names it. */
export class CouponRefusedError extends AppError {
  constructor(code: Refusal, couponCode: string, message: string) {
    super(message, code, { couponCode });
  }
}

/** A coupon a RECORD settlement could not consume, and the end that stood in its way. */
export interface UnconsumedCoupon {
  couponId: string;
  code: string;
  state: CouponEnd;
}

const endRefusal = (end: CouponEnd, code: string) =>
  end === 'USED' ? new CouponRefusedError('COUPON_ALREADY_USED', code, 'This coupon was used already') : new CouponRefusedError('COUPON_ENDED', code, `This coupon was ${end.toLowerCase()}`);

/**
 * Coupons in a sale. The quote checks them and says what they take off, writing nothing; the purchase's
 * settlement consumes them: a USED end in coupon_ends per coupon, claimed through CouponService.end (the one
 * place every end goes through) by a unique insert, so of two registers presenting one coupon at the same moment
 * one gets it. A purchase that is voided, or fully refunded under its reward's restoreCouponOnRefund, releases
 * its USED ends and the coupons are ISSUED again.
 */
export class CouponUseService {
  constructor(
    private readonly models: CouponModels,
    private readonly coupons: CouponService,
    private readonly ledger: LedgerService,
    private readonly logger: Logger,
  ) {}

  /**
   * What the codes take off the sale, in the order given, each from what the ones before left; one read of them all.
   * STRICT: a coupon that cannot be used refuses the quote. RECORD (the order was paid with the codes already): only
   * an unknown code refuses; every other coupon is answered with the refusal STRICT would have made, for the
   * settlement's RECORD consumption to account for it. Expiry is by the sale's time, not the quote's: an order's
   * webhook may come after its coupon's expiresAt.
   */
  async quote(input: QuoteInput): Promise<CouponQuote> {
    const found = await this.models.coupons.find({ code: { $in: input.codes } }).lean<CouponDoc[]>().exec();
    const ends = await this.endsOf(found.map((c) => c._id));
    const holders = new Map<string, Promise<string>>();
    const currentOf = (memberId: string) => holders.get(memberId) ?? holders.set(memberId, this.ledger.currentMemberOf(memberId)).get(memberId)!;
    let saleMember = input.memberId ? await currentOf(input.memberId) : null;
    const freeUnits = new Map(input.lines.map((line) => [line.sku, 0]));
    let left = input.amount;
    const quoted: CouponQuote['coupons'] = [];
    for (const code of input.codes) {
      const coupon = found.find((c) => c.code === code);
      if (!coupon) throw new CouponRefusedError('NOT_FOUND', code, 'No coupon has this code');
      const holder = await currentOf(coupon.memberId);
      saleMember ??= holder;
      let refused = quoted.some((q) => q.code === code) ? new CouponRefusedError('COUPON_NOT_APPLICABLE', code, 'This coupon was presented twice') : this.refusalOf(coupon, ends.get(coupon._id.toHexString()), holder, saleMember, input);
      let discount = 0;
      try {
        if (!refused) discount = discountOf(coupon.benefit, left, input.lines, freeUnits, code);
      } catch (error) {
        if (!(error instanceof CouponRefusedError)) throw error;
        refused = error;
      }
      if (refused && input.policy === 'STRICT') throw refused;
      left -= discount;
      quoted.push({ couponId: coupon._id.toHexString(), code, discount, rewardId: coupon.rewardId, refusal: refused ? (refused.extensions.code as Exclude<Refusal, 'NOT_FOUND'>) : null });
    }
    return { memberId: input.memberId ?? saleMember!, coupons: quoted };
  }

  /** Why a STRICT sale could not use the coupon (its end, its expiry at the sale's time, its member, where it is valid), or null. */
  private refusalOf(coupon: CouponDoc, end: CouponEndDoc | undefined, holder: string, saleMember: string, input: QuoteInput): CouponRefusedError | null {
    const code = coupon.code;
    if (end) return endRefusal(end.state, code);
    if (coupon.expiresAt.getTime() <= input.occurredAt.getTime()) return endRefusal('EXPIRED', code);
    if (holder !== saleMember) return new CouponRefusedError('COUPON_NOT_APPLICABLE', code, "This coupon is another member's");
    if (input.channel === 'ONLINE' ? !coupon.online : !coupon.storeIds.includes(input.storeId)) {
      return new CouponRefusedError('COUPON_NOT_APPLICABLE', code, `This coupon is not valid ${input.channel === 'ONLINE' ? 'online' : 'at this store'}`);
    }
    return null;
  }

  /**
   * The purchase's coupons, each consumed by a USED end naming it; an end this purchase holds already (a retry, a
   * second attempt) counts as its own. STRICT: one that cannot be consumed refuses the settlement with its code,
   * and this purchase's claims are undone first, so a refusal leaves nothing. RECORD: the sale happened whatever
   * points think; what could not be consumed is returned (and logged), and a coupon that had ended, its points
   * given back, has those points taken back (LedgerService.takeBackCouponReturn).
   *
   * Crash points: after some claims and before the rest, or before the undo of a refusal, the claims stand with
   * the purchase unsettled; purchases retries the settlement until it answers, and the retry counts them as its
   * own and goes on (to the same refusal and its undo, or to the end). Between a claim and its mirror on the
   * coupon, the retry writes the mirror again (end() mirrors whoever claimed). Between an ended coupon's give-back
   * and its take-back, the retry takes back once (keyed by coupon and order).
   */
  async consume(input: SettleInput, memberId: string): Promise<UnconsumedCoupon[]> {
    if (!input.coupons.length) return [];
    const ids = input.coupons.map((c) => c.couponId.toLowerCase());
    const docs = await this.models.coupons.find({ _id: { $in: ids } }).lean<CouponDoc[]>().exec();
    const unconsumed: UnconsumedCoupon[] = [];
    const saleMember = input.couponPolicy === 'STRICT' ? await this.ledger.currentMemberOf(memberId) : null;
    for (const couponId of ids) {
      const coupon = docs.find((c) => c._id.toHexString() === couponId);
      // purchases quoted it before it asked: a coupon that is not there is a bug, not a refusal to record
      if (!coupon) throw new Error(`coupon ${couponId} of purchase ${input.purchaseId} does not exist`);
      if (saleMember !== null && (await this.ledger.currentMemberOf(coupon.memberId)) !== saleMember) {
        await this.undo(input);
        throw new CouponRefusedError('COUPON_NOT_APPLICABLE', coupon.code, "This coupon is another member's");
      }
      const { end } = await this.coupons.end(coupon, 'USED', input.actor, input.purchaseId);
      if (end.state === 'USED' && end.purchaseId === input.purchaseId) {
        if (saleMember !== null) continue;
        // RECORD: the order was paid with it (a code made for any buyer), so it is used, whoever held it
        if (coupon.memberId !== memberId && (await this.ledger.currentMemberOf(coupon.memberId)) !== memberId) {
          this.logger.warn({ purchaseId: input.purchaseId, couponId, holder: coupon.memberId, memberId }, "an online order used another member's coupon");
        }
        // a STRICT settlement's claims stand once it consumes them again under RECORD at its end (SettlementService)
        await this.coupons.codeUsed(coupon);
        continue;
      }
      if (input.couponPolicy === 'STRICT') {
        await this.undo(input);
        throw endRefusal(end.state, coupon.code);
      }
      unconsumed.push({ couponId, code: coupon.code, state: end.state });
      await this.recordLateUse(input, coupon, end);
    }
    return unconsumed;
  }

  /**
   * A STRICT settlement refused after its coupons were claimed: deletes this purchase's USED ends of them. Safe
   * without an atomic conditional delete: the filter names this purchase, and only attempts at this purchase ever
   * write or delete an end naming it; they all run one settlement whose outcome purchases decides once, and an
   * attempt that settled after another was refused re-asserts its claims (SettlementService).
   */
  async undo(input: SettleInput): Promise<void> {
    const ids = input.coupons.map((c) => c.couponId.toLowerCase());
    await this.releaseEnds(ids, input.purchaseId);
  }

  /**
   * A voided purchase (the sale never happened) gives up all its coupons; a full refund those whose reward says
   * restoreCouponOnRefund; a partial refund none. Each is ISSUED again (one past its expiresAt then expires by
   * the job, its points back). The candidates are the ends and the coupons' mirrors naming the purchase, so a
   * retry after a crash between the two writes still finds the coupon to put right. The refund's item is retried by
   * purchases' outbox until this answers, so a crash before or within the release only delays it.
   */
  async release(input: ReverseInput): Promise<number> {
    // an older caller says nothing: a refund of the whole amount is full, but not of a total of 0 (every refund would be)
    const full = input.fullyRefunded ?? (input.purchaseAmount > 0 && input.refundedAmountTotal === input.purchaseAmount);
    if (!input.voidsPurchase && !full) return 0;
    const [ends, mirrors] = await Promise.all([
      this.models.ends.find({ purchaseId: input.purchaseId, state: 'USED' }, { _id: 1 }).lean<Pick<CouponEndDoc, '_id'>[]>().exec(),
      this.models.coupons.find({ purchaseId: input.purchaseId }).lean<CouponDoc[]>().exec(),
    ]);
    let ids = [...new Set([...ends, ...mirrors].map((d) => d._id.toHexString()))];
    if (!input.voidsPurchase) {
      const docs = await this.models.coupons.find({ _id: { $in: ids } }).lean<CouponDoc[]>().exec();
      ids = docs.filter((c) => c.restoreCouponOnRefund === true).map((c) => c._id.toHexString());
    }
    await this.releaseEnds(ids, input.purchaseId);
    return ids.length;
  }

  /** A merged member's coupons are the survivor's, like their points: they see, cancel and use them. */
  async repoint(fromMemberId: string, toMemberId: string): Promise<void> {
    await this.models.coupons.updateMany({ memberId: fromMemberId }, { $set: { memberId: toMemberId } }).exec();
  }

  private async releaseEnds(ids: string[], purchaseId: string): Promise<void> {
    if (!ids.length) return;
    await this.models.ends.deleteMany({ _id: { $in: ids }, state: 'USED', purchaseId }).exec();
    // a mirror, after the end it follows: naming the purchase, so a coupon another sale took meanwhile is left alone
    await this.models.coupons.updateMany({ _id: { $in: ids }, purchaseId }, { $set: { state: 'ISSUED', endedAt: null, usedAt: null, purchaseId: null } }).exec();
  }

  /**
   * The points an ended coupon gave back are taken back from whoever holds its member's points now (the coupon's
   * member, or the survivor of their merges), not from the order's member: they are the ones it gave the points to.
   */
  private async recordLateUse(input: SettleInput, coupon: CouponDoc, end: CouponEndDoc): Promise<void> {
    const log = { purchaseId: input.purchaseId, couponId: coupon._id.toHexString(), end: end.state, endedBy: end.purchaseId ?? end.actor };
    if (end.state === 'USED') {
      // its points were spent once, for the other sale: nothing on the ledger to put right, a discount given twice
      this.logger.error(log, 'an online order used a coupon another purchase had used');
      return;
    }
    this.logger.warn(log, 'an online order used a coupon that had ended: its returned points are taken back');
    await forCurrentMember(coupon.memberId, (memberId) =>
      this.ledger.takeBackCouponReturn({
        memberId,
        points: coupon.pointsCost,
        couponId: coupon._id.toHexString(),
        purchaseId: input.purchaseId,
        actor: input.actor,
        reason: `Coupon ${coupon.code} was used online after it was ${end.state.toLowerCase()}: the points it gave back are taken back`,
      }),
    );
  }

  private async endsOf(ids: Types.ObjectId[]): Promise<Map<string, CouponEndDoc>> {
    if (!ids.length) return new Map();
    const ends = await this.models.ends.find({ _id: { $in: ids } }).lean<CouponEndDoc[]>().exec();
    return new Map(ends.map((e) => [e._id.toHexString(), e]));
  }
}

/**
 * What one coupon takes off what is left of the sale. FREE_ITEM: one unit of its line, a unit no earlier coupon
 * of the same item took.
 */
function discountOf(benefit: RewardBenefit, left: number, lines: QuoteInput['lines'], freeUnits: Map<string, number>, code: string): number {
  switch (benefit.kind) {
    case 'YEN_OFF':
      return Math.min(benefit.yenOff ?? 0, left);
    case 'PERCENT_OFF':
      // no cap (capYen null): the percentage of what is left, as a Shopify percentage code gives it
      return Math.min(Math.floor((left * (benefit.percentOff ?? 0)) / 100), benefit.capYen ?? left, left);
    case 'FREE_ITEM': {
      const sku = benefit.sku ?? '';
      const units = lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
      const line = lines.find((l) => l.sku === sku);
      const taken = freeUnits.get(sku) ?? 0;
      if (!line || taken >= units) throw new CouponRefusedError('COUPON_NOT_APPLICABLE', code, `This coupon's item (${sku}) is not in the sale`);
      freeUnits.set(sku, taken + 1);
      return Math.min(line.unitPrice, left);
    }
  }
}
