import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { BadUserInputError } from '@omo/lib/core/errors';
import { RetryLater, type OutboxHandler } from '@omo/lib/outbox/outbox';
import type { CouponDoc, CouponModels } from '../models/coupon.model';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';
import type { CouponSlots } from './coupon-slots';
import type { LedgerService } from './ledger.service';

export const ISSUE_ITEM = 'reward-coupon-issue';
/** By reward too: a key refused for one reward and then spent on another has an item that reads the right entry. */
export const issueKey = (redeemKey: string, rewardId: string) => `${ISSUE_ITEM}:${redeemKey}:${rewardId}`;
/** A redemption still writing is done within this; units older with no coupon were left by one that died. */
const ORPHAN_AFTER_MS = 5 * 60_000;
/**
 * How far back the hourly sweep looks: every redemption queues its issue item right after taking its units, so
 * the sweep only catches one that died between the two, which 48 runs have seen by then.
 */
const SWEEP_WINDOW_MS = 2 * 24 * 3_600_000;

/**
 * The coupon a redemption key buys: every attempt with the key names the same coupon, so a twin (or a resend after
 * a crash) finds the units the first one reserved held by its own coupon rather than taking more or being refused.
 */
export function couponIdFor(redeemKey: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(`coupon:${redeemKey}`).digest('hex').slice(0, 24));
}

/** Issues the coupon a REDEEM entry paid for (CouponService), to this member, unless it is stored. */
type Issue = (entry: LedgerEntryDoc, rewardId: string, memberId: string) => Promise<CouponDoc>;

/**
 * What a redemption that died half way leaves, put right. Crash points of a redemption (CouponService.redeem):
 * - after its units, before its issue item: the units are old and no coupon holds them; the expiry job's sweep
 *   frees them (no entry) or issues the coupon (an entry; it cannot have one, the item comes before the points).
 * - after the item, before the REDEEM entry: the item finds no entry, and once a redemption would be done writing
 *   it frees the units and is dropped.
 * - after the entry, before the coupon: the item finds the entry and issues the coupon, to whoever holds the
 *   member's points now (a merge may have come since), for a reward with units or without.
 * - after the coupon: the item finds it and is done.
 */
export class CouponRecovery {
  constructor(
    private readonly models: CouponModels,
    private readonly ledger: LedgerService,
    private readonly slots: CouponSlots,
    private readonly clock: () => Date,
    private readonly issue: Issue,
  ) {}

  /** `reward-coupon-issue`, queued by a redemption after its units and before its points. */
  handlers(): Record<string, OutboxHandler> {
    return {
      [ISSUE_ITEM]: async (payload, item) => {
        const redeemKey = String(payload.redeemKey);
        const rewardId = String(payload.rewardId);
        const couponId = couponIdFor(redeemKey).toHexString();
        const stored = await this.models.coupons.findOne({ redeemKey }, { _id: 1, rewardId: 1 }).lean<Pick<CouponDoc, '_id' | 'rewardId'>>().exec();
        if (stored?.rewardId === rewardId) return { couponId: stored._id.toHexString() };
        const paid = stored ? null : await this.paidBy(redeemKey, rewardId);
        if (paid && paid.couponId === couponId) return { couponId: (await this.issue(paid, rewardId, await this.ledger.currentMemberOf(paid.memberId)))._id.toHexString() };
        if (!stored && this.clock().getTime() - item.createdAt.getTime() < ORPHAN_AFTER_MS) throw new RetryLater('no points spent for this coupon yet');
        // nothing pays for this reward's units under the coupon id (the key's points, if any, bought another reward)
        await this.slots.freeReward(couponId, rewardId);
        return { dropped: 'no points were spent for this coupon' };
      },
    };
  }

  /**
   * Units a redemption reserved and then died with before queueing its item, its key never sent again: a unit
   * older than a redemption takes whose coupon does not exist. If a REDEEM entry names the coupon, the points were
   * taken: the coupon is issued from it, as the resent key would have. Otherwise nothing paid for it and it is freed.
   */
  async sweepUnits(now: Date): Promise<{ issued: number; freed: number }> {
    const old = await this.slots.takenBetween(new Date(now.getTime() - SWEEP_WINDOW_MS), new Date(now.getTime() - ORPHAN_AFTER_MS));
    const couponIds = [...new Set(old.map((s) => s.couponId))];
    const existing = new Set((await this.models.coupons.find({ _id: { $in: couponIds } }, { _id: 1 }).lean<Pick<CouponDoc, '_id'>[]>().exec()).map((c) => c._id.toHexString()));
    let issued = 0;
    let freed = 0;
    for (const couponId of couponIds.filter((id) => !existing.has(id))) {
      const entry = await this.ledger.spendOfCoupon(couponId);
      const rewardId = old.find((s) => s.couponId === couponId)?.rewardId;
      if (entry && rewardId) {
        // the member may have been merged since: the coupon is the survivor's, like the points it was paid with
        await this.issue(entry, rewardId, await this.ledger.currentMemberOf(entry.memberId));
        issued += 1;
      } else {
        await this.slots.release(couponId);
        freed += 1;
      }
    }
    return { issued, freed };
  }

  /** The REDEEM entry the key wrote for this reward, if any (an entry of another request pays for nothing here). */
  private async paidBy(redeemKey: string, rewardId: string): Promise<LedgerEntryDoc | null> {
    const entry = await this.ledger.findByKey(redeemKey);
    if (!entry) return null;
    return this.ledger.couponSpendOf(redeemKey, entry.memberId, rewardId).catch((error: unknown) => {
      if (error instanceof BadUserInputError) return null;
      throw error;
    });
  }
}
