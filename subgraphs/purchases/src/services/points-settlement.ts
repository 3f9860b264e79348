import { AppError } from '@omo/lib/errors';
import { callInternal, type ServiceDirectory } from '@omo/lib/internal-api';
import { RetryLater, type OutboxHandler } from '@omo/lib/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import type { MembersClient } from './members.client';
import type { PurchaseService } from './purchase.service';

/** An outbox item whose purchase or refund never got stored (the request failed after queueing it) is dropped after this. */
const ABANDONED_MS = 60_000;

/**
 * The outbox handlers that carry purchases and refunds to the points service. Both are safe to run again: points
 * keys every step by the purchase or refund id, and the state changes here only move forward.
 */
export function settlementHandlers(deps: {
  models: PurchasesModels;
  /** Looked up when a handler runs: the service is built after the outbox it uses. */
  purchases: () => PurchaseService;
  members: MembersClient;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
}): Record<string, OutboxHandler> {
  const points = <T>(path: string, body: unknown) =>
    callInternal<T>({ directory: deps.services, target: 'points', path, body, internalSecret: deps.internalSecret, service: 'purchases' });
  const missing = (createdAt: Date, what: string) => {
    if (deps.clock().getTime() - createdAt.getTime() < ABANDONED_MS) throw new RetryLater(`${what} not stored yet`);
    return { dropped: `the ${what} was never stored` };
  };

  return {
    settle: async (payload, item) => {
      const purchase = await deps.models.purchases.findById(String(payload.purchaseId)).lean<PurchaseDoc>().exec();
      if (!purchase) return missing(item.createdAt, 'purchase');
      if (purchase.state !== 'PENDING_POINTS' || !purchase.memberId) return { state: purchase.state };
      // a member merged since the purchase was recorded: its points go to the survivor, whose account the merge
      // has moved (or is moving) the merged member's lots to
      const memberId = await deps.members.currentMemberId(purchase.memberId);
      if (memberId !== purchase.memberId) {
        await deps.models.purchases.updateOne({ _id: purchase._id }, { $set: { memberId } });
        purchase.memberId = memberId;
      }
      try {
        const result = await points<{ pointsEarned: number; pointsRedeemed: number }>('/internal/settlements', {
          purchaseId: purchase._id.toHexString(),
          memberId: purchase.memberId,
          storeId: purchase.storeId,
          channel: purchase.channel,
          amount: purchase.amountPaid,
          pointsToRedeem: purchase.pointsApplied,
          occurredAt: purchase.occurredAt.toISOString(),
          actor: purchase.actor,
        });
        await deps.purchases().recordPurchaseFact(purchase);
        await deps.models.purchases.updateOne({ _id: purchase._id, state: 'PENDING_POINTS' }, { $set: { state: 'COMPLETED' } });
        return result;
      } catch (error) {
        if (error instanceof AppError && error.extensions.code === 'INSUFFICIENT_POINTS') {
          await deps.models.purchases.updateOne({ _id: purchase._id, state: 'PENDING_POINTS' }, { $set: { state: 'REJECTED', rejectionReason: error.message } });
          return { state: 'REJECTED', reason: error.message };
        }
        throw error;
      }
    },
    reverse: async (payload, item) => {
      const refund = await deps.models.refunds.findById(String(payload.refundId)).lean<RefundDoc>().exec();
      if (!refund) return missing(item.createdAt, 'refund');
      if (refund.pointsSettledAt) return { settled: true };
      const purchase = await deps.models.purchases.findById(refund.purchaseId).lean<PurchaseDoc>().exec();
      if (!purchase?.memberId) return { settled: false, reason: 'guest purchase' };
      await deps.purchases().recordRefundFact(purchase, refund);
      const result = await points('/internal/reversals', {
        refundId: refund._id.toHexString(),
        purchaseId: purchase._id.toHexString(),
        memberId: purchase.memberId,
        refundedAmountTotal: refund.refundedAmountAfter,
        refundAmount: deps.purchases().paidShare(purchase, refund),
        purchaseAmount: purchase.total,
        purchaseOccurredAt: purchase.occurredAt.toISOString(),
        actor: refund.actor,
      });
      await deps.models.refunds.updateOne({ _id: refund._id }, { $set: { pointsSettledAt: deps.clock() } });
      return result;
    },
  };
}
