import type { Types } from 'mongoose';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import { reverseItem, settleItem } from './settlement-items';

/** A purchase or refund whose points are still unsettled this long after it was stored is checked by the sweep. */
const STUCK_AFTER_MS = 5 * 60_000;

/**
 * The safety net under the outbox: purchases still PENDING_POINTS and refunds still unsettled after `olderThanMs`
 * whose item is finished or gone (dropped before the record was stored, or a result written over a re-arm by a
 * database without atomic conditional updates) get their item re-armed. Items still waiting are left to the
 * worker. Safe to run anywhere, any number of times: re-arming is idempotent and the handlers are keyed by the
 * purchase or refund id.
 */
export class SettlementSweepJob {
  constructor(
    private readonly models: PurchasesModels,
    private readonly outbox: Outbox,
    private readonly clock: () => Date,
  ) {}

  /** Returns how many items were re-armed. */
  async rearmStuck(olderThanMs = STUCK_AFTER_MS, limit = 500): Promise<number> {
    const before = new Date(this.clock().getTime() - olderThanMs);
    const [purchases, refunds] = await Promise.all([
      this.models.purchases.find({ state: 'PENDING_POINTS', createdAt: { $lt: before } }, { _id: 1 }).limit(limit).lean<{ _id: Types.ObjectId }[]>().exec(),
      this.models.refunds.find({ pointsSettledAt: null, createdAt: { $lt: before } }, { _id: 1 }).limit(limit).lean<{ _id: Types.ObjectId }[]>().exec(),
    ]);
    const stuck = [...purchases.map((p) => settleItem(p._id)), ...refunds.map((r) => reverseItem(r._id))];
    let rearmed = 0;
    for (const { key, type, payload } of stuck) {
      const item = await this.outbox.find(key);
      if (item && !item.doneAt) continue;
      await this.outbox.rearm(key, type, payload);
      rearmed += 1;
    }
    return rearmed;
  }
}
