import { RetryLater } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';

/**
 * The refund's side of a claim racing a refund (receipt-claim.service.ts). A refund of a guest purchase that has a
 * receipt code queues its reversal like a member's; the reversal's handler asks here whom it reverses for, after
 * the refund was stored, so a claim that looked for refunds before it was stored is seen here:
 * - no claim, or a refused one: no one (a claim taken later finds this refund and is refused);
 * - a claim not applied yet: wait (RetryLater) until the claimant applies it or is refused by this refund;
 * - applied: the purchase as it is now, the claimant's; while its settlement is pending, wait for it, or the
 *   reversal would take back nothing and the settlement then earn the whole.
 */
export async function purchaseToReverse(models: PurchasesModels, purchase: PurchaseDoc): Promise<PurchaseDoc | null> {
  if (!purchase.receiptCode) return purchase.memberId ? purchase : null;
  let claimed = purchase;
  if (!purchase.memberId) {
    const claim = await models.receiptClaims.findById(purchase._id).lean().exec();
    if (!claim || claim.refusal) return null;
    const now = await models.purchases.findById(purchase._id).lean<PurchaseDoc>().exec();
    if (!now?.memberId) throw new RetryLater('a receipt claim of the purchase is not finished yet');
    claimed = now;
  }
  if (claimed.state === 'PENDING_POINTS') throw new RetryLater('the claimed purchase is still being settled');
  return claimed;
}
