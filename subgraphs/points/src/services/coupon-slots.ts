import type { Model } from 'mongoose';
import { insertOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { RewardSlotDoc } from '../models/coupon.model';
import type { RewardDoc } from '../models/reward.model';

export class OutOfStockError extends AppError {
  constructor() {
    super('This reward is out of stock', 'OUT_OF_STOCK', { field: 'rewardId' });
  }
}

export class LimitReachedError extends AppError {
  constructor(limit: number) {
    super(`This reward may be redeemed ${limit} times per member at once`, 'LIMIT_REACHED', { field: 'rewardId', limit });
  }
}

/** Rounds of "read the taken units, try the free ones": each round someone wins a unit, or none is free. */
const MAX_ROUNDS = 20;
/** Free units tried per round, lowest first: racers that lose one try the next without reading again. */
const FREE_PER_ROUND = 10;

/**
 * A reward's stock and each member's uses as units, `<reward>:stock:<n>` and `<reward>:<member>:<n>` for n below
 * the stock or the limit: a coupon holds one of each by a unique insert, so however many redeem at once, no more
 * coupons hold units than there are. Ending a coupon deletes its units, which frees them for the next.
 */
export class CouponSlots {
  constructor(private readonly slots: Model<RewardSlotDoc>) {}

  /** Takes the coupon's units (none when the reward has no stock and no limit), or none and refuses. */
  async reserve(reward: RewardDoc, memberId: string, couponId: string): Promise<void> {
    const rewardId = reward.rewardId.toHexString();
    if (reward.stock !== null && !(await this.take(rewardId, 'stock', reward.stock, couponId))) throw new OutOfStockError();
    if (reward.perMemberLimit !== null && !(await this.take(rewardId, memberId, reward.perMemberLimit, couponId))) {
      await this.release(couponId);
      throw new LimitReachedError(reward.perMemberLimit);
    }
  }

  /** Frees every unit the coupon holds; safe to repeat. */
  async release(couponId: string): Promise<void> {
    await this.slots.deleteMany({ couponId }).exec();
  }

  private async take(rewardId: string, scope: string, units: number, couponId: string): Promise<boolean> {
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      const taken = new Set((await this.slots.find({ rewardId, scope }, { _id: 1 }).lean<Pick<RewardSlotDoc, '_id'>[]>().exec()).map((s) => s._id));
      const free: string[] = [];
      for (let n = 0; n < units && free.length < FREE_PER_ROUND; n += 1) {
        if (!taken.has(`${rewardId}:${scope}:${n}`)) free.push(`${rewardId}:${scope}:${n}`);
      }
      if (!free.length) return false;
      for (const _id of free) {
        if (await insertOnce(this.slots, { _id, rewardId, scope, couponId })) return true;
      }
    }
    return false;
  }
}
