import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { couponModels, type CouponModels } from '../models/coupon.model';
import type { RewardDoc } from '../models/reward.model';
import { CouponSlots, OutOfStockError } from './coupon-slots';

const NOW = new Date('2030-04-01T00:00:00.000Z');

let db: TestDatabase;
let models: CouponModels;
beforeAll(async () => {
  db = await openTestDatabase();
  models = couponModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());

const rewardWith = (stock: number | null, perMemberLimit: number | null = null) =>
  ({ rewardId: new Types.ObjectId(), stock, perMemberLimit }) as unknown as RewardDoc;
const couponId = () => new Types.ObjectId().toHexString();

describe('reward units', () => {
  // Separate instances stand for separate processes racing; only the database arbitrates.
  it('gives every one of a burst of 300 redemptions a unit of a stock of 300', async () => {
    const reward = rewardWith(300);
    const answers = await Promise.allSettled(Array.from({ length: 300 }, () => new CouponSlots(models.slots, () => NOW).reserve(reward, couponId(), couponId())));
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(await models.slots.countDocuments({ rewardId: reward.rewardId.toHexString() })).toBe(300);
    await expect(new CouponSlots(models.slots, () => NOW).reserve(reward, couponId(), couponId())).rejects.toBeInstanceOf(OutOfStockError);
  });

  it("lets a coupon's twin find the last unit held by its own coupon rather than refusing it", async () => {
    const reward = rewardWith(1, 1);
    const [memberId, id] = [couponId(), couponId()];
    const slots = () => new CouponSlots(models.slots, () => NOW);
    await Promise.all([slots().reserve(reward, memberId, id), slots().reserve(reward, memberId, id)]);
    await slots().trim(id);
    expect((await models.slots.find({ couponId: id }).lean().exec()).map((s) => s._id).sort()).toEqual([`${reward.rewardId.toHexString()}:${memberId}:0`, `${reward.rewardId.toHexString()}:stock:0`]);
  });

  it('trims twins that took two units of one scope down to the lowest', async () => {
    const reward = rewardWith(5);
    const rewardId = reward.rewardId.toHexString();
    const id = couponId();
    await models.slots.create([
      { _id: `${rewardId}:stock:3`, rewardId, scope: 'stock', couponId: id, createdAt: NOW },
      { _id: `${rewardId}:stock:1`, rewardId, scope: 'stock', couponId: id, createdAt: NOW },
    ]);
    await new CouponSlots(models.slots, () => NOW).trim(id);
    expect((await models.slots.find({ couponId: id }).lean().exec()).map((s) => s._id)).toEqual([`${rewardId}:stock:1`]);
  });
});
