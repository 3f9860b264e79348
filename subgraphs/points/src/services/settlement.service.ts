import type { z } from 'zod';
import { AppError, BadUserInputError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { mergeSchema, redemptionSchema, reverseSchema, settleSchema, signupBonusSchema } from '@omo/lib/contracts/points';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';
import type { EarnBreakdown, EarnCalculator } from './earn-calculator';
import { lineRefundTarget, quantitiesBefore, type RefundedQuantities } from './item-rule-refund';
import { parseInput } from '@omo/lib/core/validation';
import type { CouponUseService, UnconsumedCoupon } from './coupon-use.service';
import type { LedgerService } from './ledger.service';
import type { KnownHeads } from './known-heads';
import { forCurrentMember } from './ledger-merges';
import type { PolicyService } from './policy.service';
import type { Tier } from '../models/points-policy.model';
import type { TierService } from './tier.service';

export interface SettlementResult {
  pointsEarned: number;
  pointsRedeemed: number;
  /** overdraft ALLOW: the points redeemed beyond what was usable, owed since (0 otherwise), read from the ledger. */
  overdrawn: number;
  transactions: LedgerEntryDoc[];
  /** RECORD only: the coupons the settlement could not consume (coupon-use.service.ts). */
  unconsumedCoupons: UnconsumedCoupon[];
}

const redeemKey = (purchaseId: string) => `purchase:${purchaseId}:redeem`;
/** The sign-up bonus's key is this and the member id: once per member (the account summary knows it by it). */
export const SIGNUP_BONUS_KEY_PREFIX = 'signup:';

const sumOf = (entries: LedgerEntryDoc[], pick: (e: LedgerEntryDoc) => boolean, field: 'amount' | 'overdrawn' = 'amount') =>
  entries.filter(pick).reduce((total, e) => total + (e[field] ?? 0), 0);

/** Net points a purchase earned and spent, from its ledger entries. */
export function purchasePoints(entries: LedgerEntryDoc[]): { pointsEarned: number; pointsRedeemed: number } {
  return {
    pointsEarned: sumOf(entries, (e) => e.type === 'EARN' || (e.type === 'REVERSAL' && e.reverses === 'EARN')),
    pointsRedeemed: 0 - sumOf(entries, (e) => e.type === 'REDEEM' || (e.type === 'REVERSAL' && e.reverses === 'REDEEM')),
  };
}

function resultOf(transactions: LedgerEntryDoc[]): Omit<SettlementResult, 'unconsumedCoupons'> {
  return { ...purchasePoints(transactions), overdrawn: sumOf(transactions, (e) => e.type === 'REDEEM', 'overdrawn'), transactions };
}

/** The yen of a purchase that count as tier spend: all of `amount` for an entry from before item rules. */
function earningAmountOf(breakdown: EarnBreakdown | null | undefined, amount: number): number {
  return breakdown?.earningAmount ?? amount;
}

/** A refund of lines: the units refunded so far per sku; null for a refund of yen (or from an older caller). */
function refundedQuantitiesOf(input: z.infer<typeof reverseSchema>): RefundedQuantities | null {
  return input.lines?.length && input.refundedQuantities ? input.refundedQuantities : null;
}

/**
 * The points side of purchases, refunds and merges, for the purchases and members services (internal API).
 * Every step has its own idempotency key derived from the purchase, refund or merge id, so a caller that retries
 * after a timeout or a crash completes what is missing and repeats nothing.
 */
export class SettlementService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly policy: PolicyService,
    private readonly tiers: TierService,
    private readonly calculator: EarnCalculator,
    /** Null only where a test builds the ledger side alone: then a settlement naming coupons is a bug. */
    private readonly couponUse: CouponUseService | null = null,
    /** Where an overdrawn settlement is reported for staff. */
    private readonly logger: Logger | null = null,
    /** Told of the entries a settlement wrote or found, so the answer's balance that follows is one read. */
    private readonly heads: KnownHeads | null = null,
  ) {}

  /**
   * Consumes the purchase's coupons, redeems the requested points (a STRICT refusal of either writes nothing),
   * then earns by the rules at the purchase time. A member merged since the purchase was made settles on the
   * survivor, who holds their points now.
   */
  async settle(raw: unknown): Promise<SettlementResult> {
    const input = parseInput(settleSchema, raw);
    const { unconsumedCoupons, entries } = await forCurrentMember(input.memberId, (memberId) => this.settleFor(input, memberId));
    // The purchase's entries are the two this settlement wrote or found by their keys: its only others are
    // reversals, which follow a refund (of a purchase already COMPLETED) or a void (of one that will not be), and
    // purchases reads a settlement's result only for the attempt that completes it.
    for (const entry of entries) this.heads?.note(entry);
    const result = resultOf(entries);
    if (result.overdrawn > 0) {
      this.logger?.warn(
        { purchaseId: input.purchaseId, memberId: input.memberId, storeId: input.storeId, pointsToRedeem: input.pointsToRedeem, overdrawn: result.overdrawn },
        'a sale redeemed more points than the member had: the rest is owed, and blocks redemption until earnings pay it off',
      );
    }
    return { ...result, unconsumedCoupons };
  }

  private async settleFor(input: z.infer<typeof settleSchema>, memberId: string): Promise<{ unconsumedCoupons: UnconsumedCoupon[]; entries: LedgerEntryDoc[] }> {
    const base = { memberId, actor: input.actor, purchaseId: input.purchaseId, storeId: input.storeId, channel: input.channel };
    const coupons = input.coupons.length ? this.couponUseOrFail() : null;
    const unconsumed = coupons ? await coupons.consume(input, memberId) : [];
    const redeemed = input.pointsToRedeem > 0 ? await this.redeemAfterCoupons(input, base, coupons) : null;
    // the tier before this purchase's own spend is recorded (spend is recorded after the earn, below); a retried
    // settlement computes it again, and the earn's key answers with the entry written the first time. The policy
    // is read once for the tier, the earn, its lot and the tier change (PolicyService.view).
    const earnKey = `purchase:${input.purchaseId}:earn`;
    const policy = await this.policy.view();
    // the tier the earn used, which the tier change compares with the tier after the spend if the sale settles as
    // it happens under the tier rules of its time (TierService.recordSpendMany decides)
    let tierBefore: Tier | undefined;
    const breakdown = await this.tiers
      .tierFor(memberId, input.occurredAt, policy)
      .then(({ tier }) => {
        tierBefore = tier;
        return this.calculator.calculate({ storeId: input.storeId, channel: input.channel, amount: input.amount, tier, at: input.occurredAt, lines: input.lines }, policy);
      })
      .catch(async (error: unknown) => {
        // a retry may no longer compute (its own spend moved the tier, the rules changed): the earn it wrote stands
        if (error instanceof AppError && (await this.ledger.findByKey(earnKey))) return null;
        throw error;
      });
    const earned = breakdown ? await this.ledger.earn({ ...base, breakdown, key: earnKey, occurredAt: input.occurredAt, policy }) : await this.ledger.findByKey(earnKey);
    // The tier spend is the earning yen of the EARN entry stored (excluded lines left out), not of this attempt's
    // computation: a crash between the earn and the spend is retried with the entry the first attempt wrote, so
    // the two never disagree; the spend's key stores it once.
    const spend = earningAmountOf(earned?.earnBreakdown ?? breakdown, input.amount);
    await this.tiers.recordSpend({ key: `purchase:${input.purchaseId}`, memberId, amountDelta: spend, occurredAt: input.occurredAt, purchaseId: input.purchaseId, reason: 'PURCHASE', tierBefore }, policy);
    // Another attempt at this purchase refused for want of points may have undone the claims after this one made
    // them (its delete names this purchase): claiming again puts them back. What is lost by then was taken by
    // another sale in that moment, and is reported, not refused: this purchase's points are settled.
    const entries = [redeemed, earned].filter((entry): entry is LedgerEntryDoc => entry !== null);
    if (coupons && input.couponPolicy === 'STRICT') return { unconsumedCoupons: await coupons.consume({ ...input, couponPolicy: 'RECORD' }, memberId), entries };
    return { unconsumedCoupons: unconsumed, entries };
  }

  /**
   * The redemption of a sale whose coupons are claimed. A STRICT refusal undoes the claims; if the ledger then
   * holds this purchase's redemption, another attempt at it settled meanwhile, and may have counted on the claims
   * just undone: they are claimed again and this attempt fails to be retried (it will find the redemption).
   */
  private async redeemAfterCoupons(input: z.infer<typeof settleSchema>, base: { memberId: string; actor: string; purchaseId: string; storeId: string; channel: 'STORE' | 'ONLINE' }, coupons: CouponUseService | null): Promise<LedgerEntryDoc | null> {
    try {
      return await this.ledger.redeem({ ...base, points: input.pointsToRedeem, key: redeemKey(input.purchaseId), overdraft: input.overdraft });
    } catch (error) {
      if (!(error instanceof AppError) || input.couponPolicy !== 'STRICT' || !coupons) throw error;
      await coupons.undo(input);
      if (!(await this.ledger.findByKey(redeemKey(input.purchaseId)))) throw error;
      await coupons.consume({ ...input, couponPolicy: 'RECORD' }, base.memberId);
      throw new Error(`purchase ${input.purchaseId} was redeemed by another attempt while this one was refused: retry`);
    }
  }

  private couponUseOrFail(): CouponUseService {
    if (!this.couponUse) throw new Error('this settlement service was built without coupons');
    return this.couponUse;
  }

  /**
   * Whether the ledger holds the purchase's redemption. Purchases asks before it rejects a purchase that was
   * refused for want of points: another attempt at the same settlement may have redeemed since the balance grew.
   */
  async redemption(raw: unknown): Promise<{ redeemed: boolean }> {
    const input = parseInput(redemptionSchema, raw);
    return { redeemed: (await this.ledger.findByKey(redeemKey(input.purchaseId))) !== null };
  }

  /**
   * A refund takes back earned points by the lines refunded so far when it names lines and the EARN entry has its
   * lines (item-rule-refund.ts: a gift card returned takes back nothing), else in proportion to the yen refunded
   * so far, floor(earned × refunded ÷ amount); redeemed points come back by the yen (they paid for every line
   * alike). Either way the figure is what has been taken back in total after it (all of it for a full refund),
   * so several partial refunds never drift from one full refund by more than rounding, nor, running at once, ever
   * reverse more than the purchase earned or redeemed. A purchase refunded both by lines and by yen takes back
   * at each refund what its own rule says is still owed (nothing, never a give-back, when earlier refunds took
   * more), and all of it at the full refund. A merged member's refund lands on the survivor.
   */
  async reverse(raw: unknown): Promise<SettlementResult> {
    const input = parseInput(reverseSchema, raw);
    if (input.refundedAmountTotal > input.purchaseAmount) {
      throw new BadUserInputError('refundedAmountTotal is more than the purchase amount', { field: 'refundedAmountTotal' });
    }
    await forCurrentMember(input.memberId, (memberId) => this.reverseFor(input, memberId));
    await this.couponUse?.release(input);
    return { ...(await this.result(input.purchaseId)), unconsumedCoupons: [] };
  }

  private async reverseFor(input: z.infer<typeof reverseSchema>, memberId: string): Promise<void> {
    const base = { memberId, actor: input.actor, purchaseId: input.purchaseId, reason: `Refund ${input.refundId}`, request: [input.refundedAmountTotal, input.purchaseAmount] };
    // purchases saying the purchase is fully refunded (every unit back) settles all of it, whatever the yen came to
    const full = input.fullyRefunded === true || input.refundedAmountTotal === input.purchaseAmount;
    const proportion = (points: number) => (full ? points : Math.floor((points * input.refundedAmountTotal) / Math.max(input.purchaseAmount, 1)));

    const quantities = refundedQuantitiesOf(input);
    const earnedBack = (entries: LedgerEntryDoc[]) => {
      const earned = sumOf(entries, (e) => e.type === 'EARN');
      const byLines = !full && quantities ? lineRefundTarget(entries.find((e) => e.type === 'EARN')?.earnBreakdown, quantities) : null;
      return byLines ? Math.min(byLines.points, earned) : proportion(earned);
    };
    await this.ledger.takeBack({
      ...base,
      key: `refund:${input.refundId}:earn`,
      owed: (entries) => earnedBack(entries) + sumOf(entries, (e) => e.type === 'REVERSAL' && e.reverses === 'EARN'),
    });
    await this.ledger.giveBack({
      ...base,
      key: `refund:${input.refundId}:redeem`,
      owed: (entries) => proportion(-sumOf(entries, (e) => e.type === 'REDEEM')) - sumOf(entries, (e) => e.type === 'REVERSAL' && e.reverses === 'REDEEM'),
    });
    const spendBack = await this.refundedSpend(input, full);
    if (spendBack > 0) {
      await this.tiers.recordSpend({ key: `refund:${input.refundId}`, memberId, amountDelta: -spendBack, occurredAt: input.purchaseOccurredAt, purchaseId: input.purchaseId, reason: 'REFUND' });
    }
  }

  /**
   * The tier spend a refund takes back. A purchase whose lines all counted (or settled before item rules): the
   * refund's own yen, as always. One with excluded lines counted only their earning share, so a refund of lines
   * takes back what those lines counted (the refunded units' part of their shares: a gift card's nothing; the
   * figure after this refund less the one before it, so a line refunded in pieces adds up to its share), a refund
   * of yen that share of its yen (floored), and the full refund whatever is left of the purchase's spend. No refund
   * takes more than is left, so a purchase's spend never goes below 0 (a refund of yen after refunds of lines may
   * ask for more). A retry records the same (the spend's key stores the first). What is left is read from the
   * earlier refunds: one of them settling at the very same moment (purchases settles a purchase's refunds one
   * outbox item each, at once) may be missed, and a full refund's spend then ends up to that refund's share low.
   */
  private async refundedSpend(input: z.infer<typeof reverseSchema>, full: boolean): Promise<number> {
    if (input.refundAmount === 0) return 0;
    const earn = await this.ledger.findByKey(`purchase:${input.purchaseId}:earn`);
    const amount = earn?.earnBreakdown?.amount;
    const earning = earn?.earnBreakdown?.earningAmount;
    if (amount === undefined || earning === undefined || earning >= amount) return input.refundAmount;
    const left = async () => Math.max(0, earning - (await this.tiers.refundedSpendOf(input.purchaseId, `refund:${input.refundId}`)));
    if (full) return left();
    const quantities = refundedQuantitiesOf(input);
    const after = quantities && lineRefundTarget(earn?.earnBreakdown, quantities);
    const before = quantities && lineRefundTarget(earn?.earnBreakdown, quantitiesBefore(quantities, input.lines ?? []));
    const share = after && before ? after.spend - before.spend : Math.floor((input.refundAmount * earning) / Math.max(amount, 1));
    return share > 0 ? Math.min(share, await left()) : 0;
  }

  /** Moves all of a merged member's points (lots with their expiry, debt) and spend to the survivor. */
  async merge(raw: unknown): Promise<{ moved: number }> {
    const input = parseInput(mergeSchema, raw);
    if (input.fromMemberId === input.toMemberId) throw new BadUserInputError('A member cannot be merged into themself', { field: 'toMemberId' });
    const out = (await this.ledger.moveOut(input)) ?? undefined;
    if (!out) throw new Error('a merge always writes MERGE_OUT');
    await this.ledger.moveIn({ mergeId: input.mergeId, out, toMemberId: input.toMemberId, actor: input.actor });
    await this.tiers.transferSpend({ key: `merge:${input.mergeId}`, fromMemberId: input.fromMemberId, toMemberId: input.toMemberId });
    // after the points: a coupon not re-pointed yet (a crash here; the merge is retried) still gives its points
    // back to the survivor, since the give-back follows the ledger's merges
    await this.couponUse?.repoint(input.fromMemberId, input.toMemberId);
    return { moved: -out.amount };
  }

  /** Once per member, whatever the retries: the bonus in force at the first attempt. */
  async signupBonus(raw: unknown): Promise<{ points: number }> {
    const input = parseInput(signupBonusSchema, raw);
    const key = `${SIGNUP_BONUS_KEY_PREFIX}${input.memberId}`;
    const existing = await this.ledger.findByKey(key);
    if (existing) return { points: existing.amount };
    const { signupBonusPoints } = await this.policy.getPolicy();
    if (signupBonusPoints <= 0) return { points: 0 };
    const entry = await this.ledger.bonus({ memberId: input.memberId, points: signupBonusPoints, key, actor: input.actor, reason: 'Sign-up bonus' });
    return { points: entry?.amount ?? 0 };
  }

  private async result(purchaseId: string): Promise<Omit<SettlementResult, 'unconsumedCoupons'>> {
    return resultOf(await this.ledger.entriesOfPurchase(purchaseId));
  }
}
