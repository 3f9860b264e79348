import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, insertOnce } from '@omo/lib/core/claims';
import { RetryLater } from '@omo/lib/outbox/outbox';
import type { PurchaseDoc } from '../../models/purchase.model';
import type { RefundDoc } from '../../models/refund.model';
import { refundStateOf } from '../../services/refund-amounts';
import type { SmaregiDeps } from '../deps';
import type { SmaregiTransactionLinkDoc, SmaregiTransactionModels } from './transaction-link.model';
import { transactionKey } from './transaction-link.model';
import { outcomeOf, type TransactionOutcome } from './transaction-outcome';

/** How far back a return looks for the sale it returns (Smaregi does not link them). */
const RETURN_LOOKBACK = 100;

/**
 * Voids and returns rung up at a Smaregi register, as refunds of the purchases their sales became, each keyed by the
 * Smaregi ids so a redelivery (or the other of 取消 and 返品取消 of one sale) refunds nothing twice.
 */
export class RegisterRefunds {
  constructor(
    private readonly deps: SmaregiDeps,
    private readonly tx: SmaregiTransactionModels,
    private readonly caller: Caller,
  ) {}

  /**
   * A 取消 (the sale itself voided) or a 返品取消 (a negative record undoing `voidedId`): the sale's purchase refunded
   * in full. The void is inserted before the purchase is looked for, and the sale looks for it again after recording
   * (RegisterSales), so of a void and its sale carried out at once one sees the other: a void first leaves the sale
   * unrecorded, a sale first is refunded.
   */
  async voidSale(contractId: string, voidedId: string, byId: string): Promise<TransactionOutcome> {
    const key = transactionKey(contractId, voidedId);
    await insertOnce(this.tx.voids, { _id: key, contractId, transactionHeadId: voidedId, byTransactionHeadId: byId, createdAt: this.deps.clock() });
    const link = await this.tx.links.findById(key).lean().exec();
    // a return is matched to a sale, not that sale: voiding it cannot undo its refund, which refunds never do
    if (link?.kind === 'RETURN') {
      return outcomeOf('FAILED', `return ${voidedId} was voided at the register after its refund was recorded: staff must correct the purchase`, link.purchaseId);
    }
    const purchase = link ? await this.deps.models.purchases.findById(link.purchaseId).lean<PurchaseDoc>().exec() : null;
    if (!purchase) return outcomeOf('IGNORED', `transaction ${voidedId} was voided at the register before it was recorded: nothing to refund; its sale records nothing (or, being recorded at this moment, is refunded)`);
    return this.refundInFull(purchase, `smaregi-void:${contractId}:${voidedId}`);
  }

  /** Whether the transaction has been voided (a sale then records nothing, or is refunded if it just did). */
  async isVoided(contractId: string, transactionHeadId: string): Promise<boolean> {
    return (await this.tx.voids.exists({ _id: transactionKey(contractId, transactionHeadId) })) !== null;
  }

  /**
   * Returned lines in a transaction of their own (返品): Smaregi does not say which sale they return, so the
   * member's newest purchase from this contract, at or before the return, that still has every returned unit
   * unrefunded is the one. The match is kept in smaregi_transactions before the refund, so a retry refunds the
   * same purchase whatever has been bought since. No member, or no such purchase: UNMATCHED, for staff.
   */
  async applyReturn(contractId: string, transactionHeadId: string, memberId: string | null, ret: { lines: { sku: string; quantity: number }[]; occurredAt: Date }): Promise<TransactionOutcome> {
    const key = transactionKey(contractId, transactionHeadId);
    const link = (await this.tx.links.findById(key).lean<SmaregiTransactionLinkDoc>().exec()) ?? (memberId ? await this.claimMatch(contractId, transactionHeadId, memberId, ret) : null);
    const purchase = link ? await this.deps.models.purchases.findById(link.purchaseId).lean<PurchaseDoc>().exec() : null;
    if (!purchase) {
      return outcomeOf('UNMATCHED', memberId ? `no purchase of this member from Smaregi has ${describe(ret.lines)} left to refund` : 'a return without a member: refund it by hand');
    }
    // a 返品取消 of this return carried out first found no match to undo and inserted its void: looked for after
    // the match is claimed, as a sale looks for its void after recording, so of the two one sees the other (a void
    // after this check finds the RETURN match and is FAILED for staff)
    if (await this.isVoided(contractId, transactionHeadId)) {
      return outcomeOf('IGNORED', `return ${transactionHeadId} was voided at the register before its refund was recorded: nothing refunded`, purchase._id.toHexString());
    }
    if (purchase.state === 'PENDING_POINTS') throw new RetryLater('the returned sale’s points are still being settled');
    // the same lines under the same key: a retry is the refund's replay
    await this.deps.refunds.refund(this.caller, { purchaseId: purchase._id.toHexString(), idempotencyKey: `smaregi-return:${contractId}:${transactionHeadId}`, lines: ret.lines });
    return outcomeOf('REFUNDED', null, purchase._id.toHexString());
  }

  /**
   * The return's match, claimed by a unique insert of its link before anything is refunded: of two runs of one
   * return at once (a redelivery, a lease taken over) that matched different purchases, only the winner's purchase is
   * refunded, the loser reading the winner's link. A crash after the claim leaves the link; the retry refunds it.
   */
  private async claimMatch(contractId: string, transactionHeadId: string, memberId: string, ret: { lines: { sku: string; quantity: number }[]; occurredAt: Date }): Promise<SmaregiTransactionLinkDoc | null> {
    const matched = await this.matchReturn(contractId, memberId, ret);
    if (!matched) return null;
    const claim = await claimOnce(this.tx.links, {
      _id: transactionKey(contractId, transactionHeadId),
      contractId,
      transactionHeadId,
      storeId: matched.storeId,
      purchaseId: matched._id.toHexString(),
      createdAt: this.deps.clock(),
      eventId: null,
      kind: 'RETURN',
    });
    return claim.won ? claim.doc : claim.existing;
  }

  /** Refunds what the purchase still has (RefundService.refundRemaining), once under `key`; not COMPLETED: FAILED for staff. */
  async refundInFull(purchase: PurchaseDoc, key: string): Promise<TransactionOutcome> {
    const purchaseId = purchase._id.toHexString();
    if (purchase.state !== 'COMPLETED' && purchase.state !== 'PENDING_POINTS') {
      const refunded = await this.deps.models.refunds.exists({ purchaseId, idempotencyKey: key });
      if (!refunded) return outcomeOf('FAILED', `its purchase is ${purchase.state}: staff must resolve it (${purchase.rejectionReason ?? 'no reason'})`, purchaseId);
    }
    const done = await this.deps.refunds.refundRemaining(this.caller, purchase, key);
    if (done === 'settling') throw new RetryLater('the purchase’s points are still being settled');
    return outcomeOf('REFUNDED', done === 'already' ? 'already refunded in full' : null, purchaseId);
  }

  private async matchReturn(contractId: string, memberId: string, ret: { lines: { sku: string; quantity: number }[]; occurredAt: Date }): Promise<PurchaseDoc | null> {
    const candidates = (
      await this.deps.models.purchases
        .find({ memberId, state: { $in: ['COMPLETED', 'PENDING_POINTS'] }, occurredAt: { $lte: ret.occurredAt } })
        .sort({ occurredAt: -1 })
        .limit(RETURN_LOOKBACK)
        .lean<PurchaseDoc[]>()
        .exec()
    ).filter((p) => p.register?.system === 'SMAREGI' && p.register.contractId === contractId);
    if (candidates.length === 0) return null;
    const refunds = await this.deps.models.refunds.find({ purchaseId: { $in: candidates.map((p) => p._id.toHexString()) } }).lean<RefundDoc[]>().exec();
    return (
      candidates.find((p) => {
        const state = refundStateOf(p, refunds.filter((r) => r.purchaseId === p._id.toHexString()));
        return ret.lines.every((l) => {
          const line = p.lines.find((pl) => pl.sku === l.sku);
          return line !== undefined && line.quantity - (state.refundedQuantities[l.sku] ?? 0) >= l.quantity;
        });
      }) ?? null
    );
  }
}

function describe(lines: { sku: string; quantity: number }[]): string {
  return lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');
}
