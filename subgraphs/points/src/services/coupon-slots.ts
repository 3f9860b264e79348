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
/**
 * Free units tried per round: racers that lose one try the next without reading again. Each round starts at a
 * random unit: were every racer to start at the lowest free ones, a burst of a few hundred would fight over the
 * same ten a round and some would run out of rounds with stock left.
 */
const FREE_PER_ROUND = 10;

/**
 * A reward's stock and each member's uses as units, `<reward>:stock:<n>` and `<reward>:<member>:<n>` for n below
 * the stock or the limit: a coupon holds one of each by a unique insert, so however many redeem at once, no more
 * coupons hold units than there are. Ending a coupon deletes its units, which frees them for the next.
 */
export class CouponSlots {
  constructor(
    private readonly slots: Model<RewardSlotDoc>,
    private readonly clock: () => Date,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Takes the coupon's units (none when the reward has no stock and no limit), or none and refuses. The member's
   * own limit first: a member at their limit must not hold a unit of stock, even for a moment, that another
   * member would be refused for. A unit this coupon holds already (a twin of the request, or its key sent again)
   * is kept, not doubled. Answers the units this call inserted: a failure frees those only, never a twin's.
   */
  async reserve(reward: RewardDoc, memberId: string, couponId: string): Promise<string[]> {
    const rewardId = reward.rewardId.toHexString();
    const mine: string[] = [];
    if (reward.perMemberLimit !== null && !(await this.take(rewardId, memberId, reward.perMemberLimit, couponId, mine))) throw new LimitReachedError(reward.perMemberLimit);
    if (reward.stock !== null && !(await this.take(rewardId, 'stock', reward.stock, couponId, mine))) {
      await this.free(mine);
      throw new OutOfStockError();
    }
    return mine;
  }

  /** Frees these units; safe to repeat. */
  async free(units: string[]): Promise<void> {
    if (units.length) await this.slots.deleteMany({ _id: { $in: units } }).exec();
  }

  /** Frees every unit the coupon holds; safe to repeat. */
  async release(couponId: string): Promise<void> {
    await this.slots.deleteMany({ couponId }).exec();
  }

  /**
   * Twins of one redemption (same key, so the same coupon) that reserved at the same moment may each have taken a
   * unit of a scope: every twin trims after its own insert, keeping the lowest, so the last trim leaves one.
   */
  async trim(couponId: string): Promise<void> {
    const held = await this.slots.find({ couponId }, { _id: 1, scope: 1 }).lean<Pick<RewardSlotDoc, '_id' | 'scope'>[]>().exec();
    const kept = new Map<string, string>();
    for (const slot of [...held].sort((a, b) => a._id.localeCompare(b._id))) {
      if (kept.has(slot.scope)) await this.slots.deleteOne({ _id: slot._id }).exec();
      else kept.set(slot.scope, slot._id);
    }
  }

  /** Frees the units of one reward the coupon id holds; safe to repeat. */
  async freeReward(couponId: string, rewardId: string): Promise<void> {
    await this.slots.deleteMany({ couponId, rewardId }).exec();
  }

  /** Units taken from `since` to before `before`, each with its coupon: those whose coupon does not exist are for the expiry job. */
  takenBetween(since: Date, before: Date): Promise<RewardSlotDoc[]> {
    // units written before createdAt existed have none: as old as any
    return this.slots.find({ $or: [{ createdAt: { $gte: since, $lt: before } }, { createdAt: null }] }).lean<RewardSlotDoc[]>().exec();
  }

  private async take(rewardId: string, scope: string, units: number, couponId: string, mine: string[]): Promise<boolean> {
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      const held = await this.slots.find({ rewardId, scope }, { _id: 1, couponId: 1 }).lean<Pick<RewardSlotDoc, '_id' | 'couponId'>[]>().exec();
      if (held.some((slot) => slot.couponId === couponId)) return true;
      const taken = new Set(held.map((s) => s._id));
      const free: string[] = [];
      const start = Math.floor(this.random() * units);
      for (let i = 0; i < units && free.length < FREE_PER_ROUND; i += 1) {
        const _id = `${rewardId}:${scope}:${(start + i) % units}`;
        if (!taken.has(_id)) free.push(_id);
      }
      if (!free.length) return false;
      for (const _id of free) {
        if (await insertOnce(this.slots, { _id, rewardId, scope, couponId, createdAt: this.clock() })) {
          mine.push(_id);
          return true;
        }
      }
    }
    return false;
  }
}
