import { Types } from 'mongoose';
import { claimOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import { pointsContract } from '@omo/lib/contracts/points';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import { RetryLater, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseOutcomeDoc } from '../models/purchase-outcome.model';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import { COUPON_REFUSALS, CouponQuotes } from './coupon-quotes';
import type { MembersClient } from './members.client';
import { onlineCoupons } from './online-coupons';
import { purchaseToReverse } from './receipt-claim-refunds';
import { paidShare, refundStateOf } from './refund-amounts';
import { GIVE_UP_MS, RETRIED_CODES } from './retryable';
import { recordPurchaseFact, recordRefundFact } from './stats';
import { partnerEvent, type PartnerEvent } from '@omo/lib/events/partner-events';

/** The purchase recordPurchase stored and hands its settlement (Outbox's `record`), if that is what `record` is. */
function isPurchase(record: unknown, purchaseId: string): record is PurchaseDoc {
  return record instanceof Object && '_id' in record && record._id instanceof Types.ObjectId && record._id.toHexString() === purchaseId;
}

/** An outbox item whose purchase or refund never got stored (the request failed after queueing it) is dropped after this. */
const ABANDONED_MS = 60_000;

/**
 * The outbox handlers that carry purchases and refunds to the points service. Both are safe to run again: points
 * keys every step by the purchase or refund id, and the state changes here only move forward. A settlement ends
 * COMPLETED, REJECTED (points refused the redemption and its ledger holds none) or SETTLEMENT_FAILED (points
 * refused it for another reason, which retrying cannot change, or could not be reached for 24 hours); never in an
 * endless retry. What follows a settlement is written here — the outcome, the purchase's state, the stats fact —
 * so nothing calls back into the service that queued the item.
 */
export function settlementHandlers(deps: {
  models: PurchasesModels;
  members: MembersClient;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  logger: Logger;
  /** Queues a partner event on purchases' outbox (none when nobody subscribes to its topic); none: tests of settlement alone. */
  publish?: (event: PartnerEvent) => Promise<unknown>;
}): Record<string, OutboxHandler> {
  const points = internalClient(pointsContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'purchases' });
  const quotes = new CouponQuotes(deps.services, deps.internalSecret);

  /**
   * An online order whose codes points could not be asked about when it came: asked now, and those that are
   * coupons stored as its coupons (the coupons' member its member, for a guest's order) before it is settled. A
   * crash after the write settles what was written; one before it asks again, which reads nothing but points.
   */
  const quoteWaitingCoupons = async (purchase: PurchaseDoc): Promise<void> => {
    const sale = { storeId: purchase.storeId, lines: purchase.lines, total: purchase.total, occurredAt: purchase.occurredAt, name: purchase.externalId ?? null };
    const used = await onlineCoupons(quotes, sale, purchase.unquotedCoupons ?? [], purchase.memberId ?? null, deps.logger);
    const found = {
      coupons: used.coupons,
      couponDiscount: used.coupons.reduce((sum, c) => sum + c.discount, 0),
      memberId: used.memberId,
      unquotedCoupons: [],
    };
    await deps.models.purchases.updateOne({ _id: purchase._id }, { $set: found });
    Object.assign(purchase, found);
  };
  const missing = (createdAt: Date, what: string) => {
    if (deps.clock().getTime() - createdAt.getTime() < ABANDONED_MS) throw new RetryLater(`${what} not stored yet`);
    return { dropped: `the ${what} was never stored` };
  };

  /**
   * Makes `wanted` the purchase's outcome unless another attempt decided first (see PurchaseOutcomeDoc), and
   * returns the outcome that stands. A purchase that is not COMPLETED holds no points and no coupons: an attempt
   * that settled points but lost to a refusal gives them back, and a purchase with coupons ending REJECTED or
   * SETTLEMENT_FAILED releases them, for an earlier attempt may have claimed them before points failed (its answer
   * lost, or a 5xx after the claims) and the register was told no discount.
   *
   * Crash points: the outcome is claimed first and the purchase's state written last, so a crash in between
   * leaves it PENDING_POINTS and its item retried, and the retry finds the outcome claimed and voids again (keyed
   * by the purchase, so once), or, COMPLETED, records the fact and queues purchase.recorded again (both keyed). A void points cannot answer is retried the same way, the purchase showing
   * PENDING_POINTS until it can; one it refuses for good is logged for staff, not retried for ever.
   */
  const decide = async (
    purchase: PurchaseDoc,
    wanted: Omit<PurchaseOutcomeDoc, '_id' | 'decidedAt'>,
    settled: boolean,
    /** The codes of an online order's coupons points could not consume: not announced as used. */
    unconsumed: readonly string[] = [],
  ): Promise<PurchaseOutcomeDoc> => {
    const claim = await claimOnce(deps.models.outcomes, { _id: purchase._id, ...wanted, decidedAt: deps.clock() });
    const outcome = claim.won ? claim.doc : claim.existing;
    if (!outcome) throw new Error(`the outcome of purchase ${purchase._id.toHexString()} clashed on insert and is gone`);
    if (outcome.state === 'COMPLETED') {
      await recordPurchaseFact(deps.models.facts, purchase);
      if (purchase.memberId) {
        await deps.publish?.(recordedEvent(purchase, outcome.decidedAt));
        for (const coupon of purchase.coupons ?? []) {
          if (!unconsumed.includes(coupon.code)) await deps.publish?.(couponUsedEvent(purchase, coupon.couponId, outcome.decidedAt));
        }
      }
    } else if (purchase.memberId && (settled || (purchase.coupons?.length ?? 0) > 0)) await voidPurchase(purchase, outcome, settled);
    const decided = { state: outcome.state, rejectionReason: outcome.reason, rejectionCode: outcome.code ?? null, rejectionCouponCode: outcome.couponCode ?? null };
    await deps.models.purchases.updateOne({ _id: purchase._id }, { $set: decided });
    // the caller that gave the purchase (recordPurchase) answers from it
    Object.assign(purchase, decided);
    return outcome;
  };
  /**
   * Points' reverse of the whole purchase as a sale that never happened: its coupons released whatever their
   * reward says of refunds, its earned points taken back and its redeemed ones returned (none when nothing was
   * settled). Its spend is lowered only when this attempt settled it: an attempt that did not cannot say points
   * recorded any. The same refund id each time, so a later attempt settling after the void voids what it wrote.
   */
  const voidPurchase = async (purchase: PurchaseDoc, outcome: PurchaseOutcomeDoc, settled: boolean) => {
    const purchaseId = purchase._id.toHexString();
    if (settled) deps.logger.error({ purchaseId, state: outcome.state }, 'points were settled for a purchase another attempt had ended: giving them back');
    try {
      await points.reverse({
        refundId: `outcome:${purchaseId}`,
        purchaseId,
        memberId: purchase.memberId!,
        refundedAmountTotal: purchase.total,
        refundAmount: settled ? purchase.amountPaid : 0,
        purchaseAmount: purchase.total,
        purchaseOccurredAt: purchase.occurredAt.toISOString(),
        actor: purchase.actor,
        voidsPurchase: true,
      });
    } catch (error) {
      if (!(error instanceof AppError) || RETRIED_CODES.has(String(error.extensions.code))) throw error;
      deps.logger.error({ purchaseId, state: outcome.state, code: error.extensions.code, err: error.message }, 'points refused to void a purchase that did not complete: its coupons and points need staff');
    }
  };
  /** What a failed settlement means for the purchase: an outcome, or (thrown) another attempt later. */
  const failure = async (purchase: PurchaseDoc, error: unknown, item: OutboxItemDoc): Promise<Omit<PurchaseOutcomeDoc, '_id' | 'decidedAt'>> => {
    const purchaseId = purchase._id.toHexString();
    if (!(error instanceof AppError) || RETRIED_CODES.has(String(error.extensions.code))) return retryOrGiveUp(purchaseId, error, item);
    const code = String(error.extensions.code);
    if (code === 'INSUFFICIENT_POINTS' || COUPON_REFUSALS.has(code)) {
      // another attempt (a lease taken over, a resend) may have redeemed since the balance grew: only a ledger
      // without this purchase's redemption makes it REJECTED. A STRICT coupon refusal writes nothing either: the
      // coupon was used by another purchase (another register, a moment before) or ended since the quote.
      let redeemed: boolean;
      try {
        ({ redeemed } = await points.redemption({ purchaseId }));
      } catch (askError) {
        return retryOrGiveUp(purchaseId, askError, item);
      }
      if (redeemed) throw new Error('points refused the settlement, yet its ledger holds its redemption: settling again');
      const couponCode = typeof error.extensions.couponCode === 'string' ? error.extensions.couponCode : null;
      return { state: 'REJECTED', reason: error.message, code, couponCode };
    }
    deps.logger.error({ purchaseId, code: error.extensions.code, err: error.message }, 'purchase settlement refused for good');
    return { state: 'SETTLEMENT_FAILED', reason: `Its points were refused: ${error.message}` };
  };
  const retryOrGiveUp = (purchaseId: string, error: unknown, item: OutboxItemDoc): Omit<PurchaseOutcomeDoc, '_id' | 'decidedAt'> => {
    if (deps.clock().getTime() - item.createdAt.getTime() < GIVE_UP_MS) throw error;
    deps.logger.error({ purchaseId, err: error instanceof Error ? error.message : String(error) }, 'purchase settlement given up after 24 hours of failures');
    return { state: 'SETTLEMENT_FAILED', reason: 'Its points could not be settled within 24 hours: the points service did not answer' };
  };

  /** A guest's order whose codes turned out to be no member's coupons: nothing to settle. */
  const guestCompleted = async (purchase: PurchaseDoc) => {
    const outcome = await decide(purchase, { state: 'COMPLETED', reason: null }, false);
    return { state: outcome.state };
  };

  return {
    settle: async (payload, item, record) => {
      const purchase = isPurchase(record, String(payload.purchaseId)) ? record : await deps.models.purchases.findById(String(payload.purchaseId)).lean<PurchaseDoc>().exec();
      if (!purchase) return missing(item.createdAt, 'purchase');
      if (purchase.state !== 'PENDING_POINTS' || (!purchase.memberId && !purchase.unquotedCoupons?.length)) return { state: purchase.state };
      let result: { pointsEarned: number; pointsRedeemed: number; overdrawn: number; unconsumedCoupons: { code: string; state: string }[] } | null = null;
      let wanted: Omit<PurchaseOutcomeDoc, '_id' | 'decidedAt'>;
      try {
        if (purchase.unquotedCoupons?.length) await quoteWaitingCoupons(purchase);
        if (!purchase.memberId) return guestCompleted(purchase);
        // a member merged since the purchase was recorded: its points go to the survivor, whose account the merge
        // has moved (or is moving) the merged member's lots to
        const { memberId } = await deps.members.current(purchase.memberId);
        if (memberId !== purchase.memberId) {
          await deps.models.purchases.updateOne({ _id: purchase._id }, { $set: { memberId } });
          purchase.memberId = memberId;
        }
        result = await points.settle({
          purchaseId: purchase._id.toHexString(),
          memberId: purchase.memberId,
          storeId: purchase.storeId,
          channel: purchase.channel,
          amount: purchase.amountPaid,
          pointsToRedeem: purchase.pointsApplied,
          occurredAt: purchase.occurredAt.toISOString(),
          actor: purchase.actor,
          coupons: (purchase.coupons ?? []).map((c) => ({ couponId: c.couponId, discount: c.discount })),
          couponPolicy: purchase.couponPolicy ?? 'STRICT',
          overdraft: purchase.overdraft ?? 'REFUSE',
          lines: purchase.lines.map((l) => ({ sku: l.sku, category: l.category ?? null, unitPrice: l.unitPrice, quantity: l.quantity })),
        });
        wanted = { state: 'COMPLETED', reason: null };
        // a register sale already made (Smaregi) that spent points its stale copy showed: the rest is owed
        if (result.overdrawn > 0) {
          await deps.models.purchases.updateOne({ _id: purchase._id }, { $set: { pointsOverdrawn: result.overdrawn } });
          purchase.pointsOverdrawn = result.overdrawn;
          deps.logger.warn({ purchaseId: purchase._id.toHexString(), memberId: purchase.memberId, overdrawn: result.overdrawn }, 'a register sale spent more points than the member had: the rest is owed');
        }
        // RECORD (an online order): Shopify gave the discount already; a coupon used or ended meanwhile is for staff
        if (result.unconsumedCoupons.length) {
          deps.logger.warn({ purchaseId: purchase._id.toHexString(), coupons: result.unconsumedCoupons }, 'an online order used coupons points could not consume');
        }
      } catch (error) {
        wanted = await failure(purchase, error, item);
      }
      const outcome = await decide(purchase, wanted, result !== null, result?.unconsumedCoupons.map((c) => c.code));
      return outcome.state === 'COMPLETED' && result ? result : { state: outcome.state, reason: outcome.reason };
    },
    reverse: async (payload, item) => {
      const refund = await deps.models.refunds.findById(String(payload.refundId)).lean<RefundDoc>().exec();
      if (!refund) return missing(item.createdAt, 'refund');
      if (refund.pointsSettledAt) return { settled: true };
      const stored = await deps.models.purchases.findById(refund.purchaseId).lean<PurchaseDoc>().exec();
      // a guest purchase with a receipt code may be claimed while it is refunded: reversed for the claimant
      const purchase = stored && (await purchaseToReverse(deps.models, stored));
      if (!purchase?.memberId) {
        if (stored?.receiptCode) await deps.models.refunds.updateOne({ _id: refund._id }, { $set: { pointsSettledAt: deps.clock() } });
        return { settled: false, reason: 'guest purchase' };
      }
      await recordRefundFact(deps.models.facts, purchase, refund);
      const result = await points.reverse({
        refundId: refund._id.toHexString(),
        purchaseId: purchase._id.toHexString(),
        memberId: purchase.memberId,
        refundedAmountTotal: refund.refundedAmountAfter,
        refundAmount: paidShare(purchase, refund),
        purchaseAmount: purchase.total,
        purchaseOccurredAt: purchase.occurredAt.toISOString(),
        actor: refund.actor,
        // as of this refund (its running totals), not of later ones: points releases coupons on a full refund
        fullyRefunded: refundStateOf(purchase, [refund]).fullyRefunded,
        // a refund of lines is taken back by those lines (a gift card's earned nothing), one of yen by its yen
        ...(refund.lines?.length ? { lines: refund.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })), refundedQuantities: refund.refundedQuantitiesAfter } : {}),
      });
      // before pointsSettledAt: a crash in between runs this item again, which queues the same event id again
      await deps.publish?.(refundedEvent(purchase, refund));
      await deps.models.refunds.updateOne({ _id: refund._id }, { $set: { pointsSettledAt: deps.clock() } });
      return result;
    },
  };
}

/** purchase.recorded: a member's purchase whose points are settled. */
function recordedEvent(purchase: PurchaseDoc, completedAt: Date): PartnerEvent {
  const purchaseId = purchase._id.toHexString();
  return partnerEvent('purchase.recorded', `purchase.recorded:${purchaseId}`, completedAt, {
    memberId: purchase.memberId!,
    purchaseId,
    storeId: purchase.storeId,
    channel: purchase.channel,
    total: purchase.total,
    amountPaid: purchase.amountPaid,
    pointsRedeemed: purchase.pointsApplied,
    occurredAt: purchase.occurredAt.toISOString(),
  });
}

/** purchase.refunded: one refund of a member's purchase, its points reversed. */
function refundedEvent(purchase: PurchaseDoc, refund: RefundDoc): PartnerEvent {
  const refundId = refund._id.toHexString();
  return partnerEvent('purchase.refunded', `purchase.refunded:${refundId}`, refund.createdAt, {
    memberId: purchase.memberId!,
    purchaseId: purchase._id.toHexString(),
    refundId,
    amount: refund.amount,
    refundedTotal: refund.refundedAmountAfter,
    refundedAt: refund.createdAt.toISOString(),
  });
}

/** coupon.used: a coupon consumed by a member's purchase that completed (a voided sale frees it for another). */
function couponUsedEvent(purchase: PurchaseDoc, couponId: string, completedAt: Date): PartnerEvent {
  const purchaseId = purchase._id.toHexString();
  return partnerEvent('coupon.used', `coupon.used:${couponId}:${purchaseId}`, completedAt, { memberId: purchase.memberId!, couponId, purchaseId });
}
