import { RetryLater } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';

/**
 * The refund's side of a claim racing a refund (receipt-claim.service.ts). A refund of a guest purchase that has a
 * receipt code queues its reversal like a member's; the reversal's handler asks here whom it reverses for, after
 * the refund was stored, so a claim that looked for refunds before it was stored is seen here:
 * - no claim: no one (a claim taken later finds this refund and is refused);
 * - a claim whose decision (receipt_claim_decisions) is not made yet: wait (RetryLater) until it is;
 * - REFUSED: no one; APPLIED: the purchase once it is the claimant's (wait until then); while its settlement is
 *   pending, wait for it, or the reversal would take back nothing and the settlement then earn the whole.
 * The decision, not the claim's refusal or appliedAt, is read: two finishers at once may each write one, and only
 * the decision says which of them the purchase follows. A claim from before decisions carries its verdict itself.
 */
export async function purchaseToReverse(models: PurchasesModels, purchase: PurchaseDoc): Promise<PurchaseDoc | null> {
  if (!purchase.receiptCode) return purchase.memberId ? purchase : null;
  let claimed = purchase;
  if (!purchase.memberId) {
    const claim = await models.receiptClaims.findById(purchase._id).lean().exec();
    if (!claim) return null;
    const decision = await models.receiptClaimDecisions.findById(purchase._id).lean().exec();
    const verdict = decision?.verdict ?? (claim.refusal ? 'REFUSED' : claim.appliedAt ? 'APPLIED' : null);
    if (!verdict) throw new RetryLater('a receipt claim of the purchase is not finished yet');
    if (verdict === 'REFUSED') return null;
    const now = await models.purchases.findById(purchase._id).lean<PurchaseDoc>().exec();
    if (!now?.memberId) throw new RetryLater('a receipt claim of the purchase is not finished yet');
    claimed = now;
  }
  if (claimed.state === 'PENDING_POINTS') throw new RetryLater('the claimed purchase is still being settled');
  return claimed;
}
