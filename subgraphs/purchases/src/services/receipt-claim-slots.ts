import type { Types } from 'mongoose';
import { insertOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import { endOfJstDay, JST_OFFSET_MS } from '@omo/lib/core/time';
import type { ReceiptClaimModel } from '../models/receipt-claim.model';
import type { ReceiptClaimSlotDoc, ReceiptClaimSlotModel } from '../models/receipt-claim-slot.model';

/**
 * A slot whose purchase has no claim this long after it was taken belonged to a claim that died before inserting
 * its claim: it is given back. Younger, the claim may still be on its way.
 */
const ABANDONED_SLOT_MS = 60_000;

/** The Japanese calendar day of an instant, YYYY-MM-DD. */
function jstDayOf(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The refusal of a claim over the day's cap: when the next is taken (midnight in Japan), in words and seconds;
 * `limit` (the cap) tells it from the hourly limit on codes that match nothing.
 */
function overTheCap(perDay: number, now: Date): AppError {
  const midnight = new Date(endOfJstDay(now).getTime() + 1);
  const local = new Date(midnight.getTime() + JST_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
  const seconds = Math.ceil((midnight.getTime() - now.getTime()) / 1000);
  return new AppError(`You have claimed ${perDay} receipts today, the most a day: claim again after midnight Japan time (${local} JST).`, 'RATE_LIMITED', { retryAfterSeconds: seconds, limit: perDay });
}

/**
 * RECEIPT_CLAIMS_PER_DAY claims a member a Japanese day, as slots `<member>:<day>:<k>` (k below the cap) taken by
 * unique insert before the claim's own insert: of two claims at once at the last slot exactly one insert wins, which
 * a counter read and then written could not promise on FerretDB. A claim that fails gives its slot back: the one
 * that loses the purchase to another member at once (`release`), the one a refund refuses at once too, and, should
 * its process die before that, a slot found dead when the member is at the cap (`reclaimDead`), so no failure burns
 * a slot for the day.
 */
export class ReceiptClaimSlots {
  constructor(
    private readonly slots: ReceiptClaimSlotModel,
    private readonly claims: ReceiptClaimModel,
    private readonly clock: () => Date,
    private readonly perDay: number,
  ) {}

  /** One of the member's slots of today for a claim of this purchase (its id), or RATE_LIMITED saying when. */
  async take(memberId: string, purchaseId: Types.ObjectId): Promise<string> {
    const now = this.clock();
    const day = jstDayOf(now);
    for (let pass = 0; pass < 2; pass += 1) {
      const taken = await this.slots.find({ memberId, day }).lean<ReceiptClaimSlotDoc[]>().exec();
      const held = new Set(taken.map((slot) => slot._id));
      for (let k = 0; k < this.perDay; k += 1) {
        const _id = `${memberId}:${day}:${k}`;
        // a clash is a slot another claim took since the read: try the next
        if (!held.has(_id) && (await insertOnce(this.slots, { _id, memberId, day, purchaseId, takenAt: now }))) return _id;
      }
      if (pass === 0 && (await this.reclaimDead(taken, now)) === 0) break;
    }
    throw overTheCap(this.perDay, now);
  }

  /** Gives back the slot of a claim that did not come to be (lost the purchase, or refused); only if still its. */
  async release(slotId: string | null | undefined, purchaseId: Types.ObjectId): Promise<void> {
    if (slotId) await this.slots.deleteOne({ _id: slotId, purchaseId });
  }

  /**
   * The slots no live claim holds: its purchase's claim refused, made with another slot (a retry after a crash
   * between the two inserts) or by another member, or missing well after the slot was taken. Deleted only if still
   * the same purchase's, so a slot taken again meanwhile stays; two claims freeing one slot at once then race for it
   * by insert as for any other. Returns how many were freed.
   */
  private async reclaimDead(taken: ReceiptClaimSlotDoc[], now: Date): Promise<number> {
    let freed = 0;
    for (const slot of taken) {
      const claim = await this.claims.findById(slot.purchaseId).lean().exec();
      const live = claim ? claim.slot === slot._id && !claim.refusal : now.getTime() - slot.takenAt.getTime() < ABANDONED_SLOT_MS;
      if (live) continue;
      const { deletedCount } = await this.slots.deleteOne({ _id: slot._id, purchaseId: slot.purchaseId });
      freed += deletedCount;
    }
    return freed;
  }
}
