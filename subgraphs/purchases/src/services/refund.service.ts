import type { Types } from 'mongoose';
import { actorOf, type Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { parseInput } from '@omo/lib/core/validation';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import { assertSameRequest, digestOf, refundIdFor } from './idempotency';
import { assertCanTradeAt } from './purchase-access';
import { refundSchema, type RefundInput, type RefundPurchaseInput } from './purchase-inputs';
import { nextRefundAmounts, refundStateOf, type RefundRequest } from './refund-amounts';
import { reverseItem } from './settlement-items';
import { recordRefundFact } from './stats';

/** Attempts at taking the purchase's next refund seq while other refunds of it take it first. */
const MAX_REFUND_ATTEMPTS = 50;

function refundRequestOf(input: RefundInput): RefundRequest {
  if (input.lines && !input.amount) return { lines: input.lines };
  if (input.amount && !input.lines) return { amount: input.amount };
  throw new BadUserInputError('Give lines or amount (one of them)', { field: 'lines' });
}

/**
 * Refunds. A purchase's refunds form a sequence under a unique (purchaseId, seq): each is inserted as the next seq
 * with the running totals after it, so two concurrent refunds cannot both take the last yen; the loser recomputes
 * from the winner. Like a purchase, a member's refund queues its reversal in the outbox before it is stored.
 */
export class RefundService {
  constructor(
    private readonly models: PurchasesModels,
    private readonly outbox: Outbox,
    private readonly clock: () => Date,
  ) {}

  async refund(caller: Caller, raw: RefundPurchaseInput): Promise<PurchaseDoc> {
    const input = parseInput(refundSchema, raw);
    const request = refundRequestOf(input);
    const purchase = await this.models.purchases.findById(input.purchaseId).lean<PurchaseDoc>().exec();
    if (!purchase) throw new NotFoundError('Purchase');
    assertCanTradeAt(caller, purchase.storeId);
    if (purchase.state === 'REJECTED') throw new BadUserInputError('A rejected purchase cannot be refunded', { field: 'purchaseId' });
    if (purchase.state === 'SETTLEMENT_FAILED') {
      throw new BadUserInputError('This purchase’s points could not be settled; staff must resolve it before it is refunded', { field: 'purchaseId' });
    }
    if (purchase.state === 'PENDING_POINTS') {
      throw new BadUserInputError('This purchase’s points are still being settled; retry the refund shortly', { field: 'purchaseId' });
    }
    const refundId = refundIdFor(input.purchaseId, input.idempotencyKey);
    const requestDigest = digestOf([input.lines ?? null, input.amount ?? null]);
    const replay = await this.models.refunds.findById(refundId).lean<RefundDoc>().exec();
    if (replay) {
      assertSameRequest(replay, requestDigest, 'refund');
      return this.settleNow(replay);
    }
    const item = reverseItem(refundId);
    // a guest purchase's receipt may be claimed at this moment: its reversal finds out (receipt-claim-refunds.ts)
    const reverses = Boolean(purchase.memberId || purchase.receiptCode);
    if (reverses) await this.outbox.enqueue(item.key, item.type, item.payload);

    for (let attempt = 1; attempt <= MAX_REFUND_ATTEMPTS; attempt += 1) {
      const previous = await this.models.refunds.findOne({ purchaseId: input.purchaseId }).sort({ seq: -1 }).lean<RefundDoc>().exec();
      const refund = this.nextRefund(purchase, previous, request, refundId, input.idempotencyKey, requestDigest, caller);
      const claim = await claimOnce(this.models.refunds, refund);
      if (claim.won) {
        // a stored refund lowers spend whether or not points has settled it yet; the reverse handler writes the
        // same fact once more, for a request that died right here
        await recordRefundFact(this.models.facts, purchase, refund);
        return this.settleNow(refund);
      }
      if (claim.existing) return this.settleNow(claim.existing);
      // another refund of this purchase took the seq: recompute from it
    }
    throw new Error(`Could not record a refund of ${input.purchaseId}`);
  }

  /**
   * Refunds whatever the purchase still has (a cancelled order, a voided register sale), by its units not refunded
   * yet so its lines show them returned, under `idempotencyKey`. `done`: refunded now or under that key before;
   * `already`: nothing was left; `settling`: its points are not settled yet, for the caller to retry.
   */
  async refundRemaining(caller: Caller, purchase: PurchaseDoc, idempotencyKey: string): Promise<'done' | 'already' | 'settling'> {
    const purchaseId = purchase._id.toHexString();
    const refunds = await this.models.refunds.find({ purchaseId }).lean<RefundDoc[]>().exec();
    if (refunds.some((r) => r.idempotencyKey === idempotencyKey)) return 'done';
    if (purchase.state === 'PENDING_POINTS') return 'settling';
    const state = refundStateOf(purchase, refunds);
    // not `refundable <= 0`: a purchase its coupons paid in full (total 0) has its units to return, and its coupons
    if (state.fullyRefunded) return 'already';
    const lines = purchase.lines
      .map((line) => ({ sku: line.sku, quantity: line.quantity - (state.refundedQuantities[line.sku] ?? 0) }))
      .filter((line) => line.quantity > 0);
    await this.refund(caller, { purchaseId, idempotencyKey, ...(lines.length > 0 ? { lines } : { amount: purchase.total - state.refundedAmount }) });
    return 'done';
  }

  private nextRefund(purchase: PurchaseDoc, previous: RefundDoc | null, request: RefundRequest, refundId: Types.ObjectId, idempotencyKey: string, requestDigest: string, caller: Caller): RefundDoc {
    return {
      _id: refundId,
      purchaseId: purchase._id.toHexString(),
      seq: (previous?.seq ?? 0) + 1,
      idempotencyKey,
      requestDigest,
      ...nextRefundAmounts(purchase, previous, request),
      actor: actorOf(caller),
      createdAt: this.clock(),
      // a guest purchase has no points to give back, unless its receipt is being claimed
      pointsSettledAt: purchase.memberId || purchase.receiptCode ? null : this.clock(),
    };
  }

  /**
   * Settles the refund's points now if points answers, as PurchaseService.settleNow does a purchase's: a stored
   * refund whose points are unsettled gets its item rearmed.
   */
  private async settleNow(refund: RefundDoc): Promise<PurchaseDoc> {
    const item = reverseItem(refund._id);
    try {
      if (refund.pointsSettledAt) await this.outbox.process(item.key, { ignoreBackoff: true });
      else await this.outbox.runNow(item.key, item.type, item.payload, { ignoreBackoff: true });
    } catch {
      // stays queued; the worker settles it
    }
    const purchase = await this.models.purchases.findById(refund.purchaseId).lean<PurchaseDoc>().exec();
    if (!purchase) throw new NotFoundError('Purchase');
    return purchase;
  }
}
