import type { Channel, LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { LedgerAppend } from './ledger-append';
import { digest } from './ledger-digest';
import { clawback, credit } from './lots';
import { lotExpiry } from './points-policy';
import type { PolicyService } from './policy.service';

/** A refund's side of one purchase's points (taken back or given back). */
export interface Reversal {
  memberId: string;
  key: string;
  actor: string;
  purchaseId: string;
  reason: string;
  /** What identifies the refund's request (replayed with other values: refused). */
  request: unknown;
  /** Points still to reverse, given every ledger entry of the purchase so far. */
  owed: (purchaseEntries: LedgerEntryDoc[]) => number;
}

/** The ledger's side of refunds (LedgerService's reversals): what a purchase earned taken back, what it spent given back. */
export class LedgerRefunds {
  constructor(
    private readonly ledger: LedgerEntryModel,
    private readonly appender: LedgerAppend,
    private readonly policy: PolicyService,
  ) {}

  /**
   * Refund: takes back earned points (debt if already spent). How many is decided from the purchase's entries as
   * they are at the head this entry follows: two refunds racing for the next seq cannot both count the same
   * points as not yet taken back, the loser recounts. Null: nothing (more) to take back.
   */
  async takeBack(input: Reversal): Promise<LedgerEntryDoc | null> {
    const where = await this.whereOfPurchase(input.purchaseId);
    return this.appender.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, input.purchaseId, 'EARN', input.request]),
      { type: 'REVERSAL', reverses: 'EARN', actor: input.actor, purchaseId: input.purchaseId, reason: input.reason, ...where },
      async (state, now) => {
        const points = input.owed(await this.entriesOfPurchase(input.purchaseId));
        return points > 0 ? clawback(state, points, now, input.purchaseId) : null;
      },
    );
  }

  /** Refund: gives back redeemed points as a new lot, valid from now under the policy in force; counted like takeBack. */
  async giveBack(input: Reversal): Promise<LedgerEntryDoc | null> {
    const [policy, where] = await Promise.all([this.policy.getPolicy(), this.whereOfPurchase(input.purchaseId)]);
    return this.appender.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, input.purchaseId, 'REDEEM', input.request]),
      { type: 'REVERSAL', reverses: 'REDEEM', actor: input.actor, purchaseId: input.purchaseId, reason: input.reason, ...where },
      async (state, now, entryId) => {
        const points = input.owed(await this.entriesOfPurchase(input.purchaseId));
        if (points <= 0) return null;
        const expiresAt = lotExpiry(policy, now, state.lastPurchaseAt);
        return credit(state, { lotId: entryId.toHexString(), amount: points, earnedAt: now, availableAt: now, expiresAt, purchaseId: input.purchaseId }, false);
      },
    );
  }

  entriesOfPurchase(purchaseId: string): Promise<LedgerEntryDoc[]> {
    return this.ledger.find({ purchaseId }).sort({ createdAt: 1, seq: 1 }).lean<LedgerEntryDoc[]>().exec();
  }

  /**
   * The store and channel of a purchase, from the entries its settlement wrote: a refund's reversals carry them
   * too, so a store's view of the ledger (history filtered by store) includes its refunds.
   */
  private async whereOfPurchase(purchaseId: string): Promise<{ storeId: string | null; channel: Channel | null }> {
    const settled = await this.ledger.findOne({ purchaseId, storeId: { $ne: null } }, { storeId: 1, channel: 1 }).lean<Pick<LedgerEntryDoc, 'storeId' | 'channel'>>().exec();
    return { storeId: settled?.storeId ?? null, channel: settled?.channel ?? null };
  }
}
