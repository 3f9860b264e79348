import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';
import { issueKey } from './coupon-recovery';

/**
 * The issue item of a redemption that died half way (coupon-recovery.ts), run explicitly on the points service's
 * outbox with the clock moved as a worker would see it.
 */
const admin: Caller = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' };
const START = Date.UTC(2030, 3, 1, 0, 0, 0);

let db: TestDatabase;
let points: PointsSubgraph;
let now = START;

beforeAll(async () => {
  db = await openTestDatabase();
  points = buildPointsSubgraph(testBuildOptions(db.connection, { clock: () => new Date(now) }));
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());

async function storeReward(extra: Record<string, unknown>): Promise<string> {
  const input = { nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit: { kind: 'YEN_OFF' as const, yenOff: 500 }, storeIds: [new Types.ObjectId().toHexString()], ...extra };
  return (await points.deps.rewards.create(admin, input)).rewardId.toHexString();
}

describe('the issue item of a redemption', () => {
  it('frees the units of one that died before its points, once a redemption would be done writing', async () => {
    const memberId = new Types.ObjectId().toHexString();
    await points.deps.ledger.bonus({ memberId, points: 500, key: `bonus:${memberId}`, actor: 'test', reason: 'test' });
    const rewardId = await storeReward({ stock: 1 });
    const ledger = points.deps.ledger;
    // the process dies before the REDEEM entry, and the look-up that would free the units in the request fails too
    const died = jest.spyOn(ledger, 'spendOnCoupon').mockRejectedValueOnce(new Error('the process died'));
    const lookUp = jest.spyOn(ledger, 'couponSpendOf').mockRejectedValueOnce(new Error('the database went away'));
    try {
      await expect(points.deps.coupons.redeem({ kind: 'customer', memberId }, { rewardId, idempotencyKey: 'k1' })).rejects.toThrow('the process died');
    } finally {
      died.mockRestore();
      lookUp.mockRestore();
    }
    const slots = () => db.connection.collection('reward_slots').countDocuments({ rewardId });
    const key = issueKey(`reward:${memberId}:k1`, rewardId);
    expect(await slots()).toBe(1);
    expect(await points.outbox.process(key)).toMatchObject({ doneAt: null, lastError: 'no points spent for this coupon yet' });
    expect(await slots()).toBe(1);
    now += 5 * 60_000;
    expect(await points.outbox.process(key)).toMatchObject({ result: { dropped: 'no points were spent for this coupon' } });
    expect(await slots()).toBe(0);
    expect(await points.deps.coupons.forMember(memberId, 10)).toEqual([]);
  });
});
