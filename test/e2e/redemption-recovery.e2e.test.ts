import { ok, startTestSystem, type TestSystem } from '../helpers/system';
import { couponIdFor } from '@omo/points/src/services/coupon-recovery';
import { CANCEL, rewardsDriver } from '../helpers/rewards';

/**
 * Redemptions that fail half way, race, or outlive their member (review findings): units are neither leaked nor
 * freed under a coupon, twins answer one coupon, and a merged member's coupons and points reach the survivor.
 */
let system: TestSystem;
let storeId: string;
beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
});
afterAll(() => system.close());

const { memberWith, createReward, account, redeem, slotsOf } = rewardsDriver(() => system, () => storeId);

describe('review findings on redemptions', () => {
  const job = () => system.subgraphs.points.built.couponExpiry;
  const inTenMinutes = () => new Date(Date.now() + 10 * 60_000);

  it('keeps the units of a redemption whose entry was written before an error, and issues its coupon on the resend', async () => {
    const memberId = await memberWith(500);
    const rewardId = await createReward({ stock: 1 });
    const ledger = system.subgraphs.points.built.deps.ledger;
    const spend = ledger.spendOnCoupon.bind(ledger);
    const lostReply = jest.spyOn(ledger, 'spendOnCoupon').mockImplementationOnce(async (input) => {
      await spend(input);
      throw new Error('the reply was lost after the entry was written');
    });
    try {
      expect((await redeem(memberId, rewardId, 'lost')).errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      lostReply.mockRestore();
    }
    expect(await slotsOf(rewardId)).toBe(1);
    const coupon = ok(await redeem(memberId, rewardId, 'lost')).redeemReward;
    expect(coupon.state).toBe('ISSUED');
    expect(await system.db.collection('reward_slots').find({ rewardId }).map((s) => s.couponId as string).toArray()).toEqual([coupon.id]);
    expect((await account(memberId)).balance).toBe(0);
  });

  it('issues the coupon of a redemption that died after its points, for a reward with neither stock nor limit', async () => {
    const memberId = await memberWith(500);
    const rewardId = await createReward();
    const ledger = system.subgraphs.points.built.deps.ledger;
    const spend = ledger.spendOnCoupon.bind(ledger);
    const died = jest.spyOn(ledger, 'spendOnCoupon').mockImplementationOnce(async (input) => {
      await spend(input);
      throw new Error('the process died after the entry was written');
    });
    try {
      expect((await redeem(memberId, rewardId, 'never-resent')).errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      died.mockRestore();
    }
    expect((await account(memberId)).coupons).toEqual([]);
    await system.subgraphs.points.built.outbox.drain();
    const after = await account(memberId);
    expect(after.coupons).toEqual([{ id: couponIdFor(`reward:${memberId}:never-resent`).toHexString(), state: 'ISSUED' }]);
    expect(after.balance).toBe(0);
  });

  it('keeps one unit when a twin took one at the same moment and this attempt failed after the entry', async () => {
    const memberId = await memberWith(500);
    const rewardId = await createReward({ stock: 2 });
    const couponId = couponIdFor(`reward:${memberId}:twins`).toHexString();
    const ledger = system.subgraphs.points.built.deps.ledger;
    const spend = ledger.spendOnCoupon.bind(ledger);
    const twin = jest.spyOn(ledger, 'spendOnCoupon').mockImplementationOnce(async (input) => {
      // the twin read the units before this attempt's insert, and took the other one
      const mine = await system.db.collection<{ _id: string }>('reward_slots').findOne({ couponId });
      const other = mine?._id === `${rewardId}:stock:0` ? 1 : 0;
      await system.db.collection<{ _id: string; rewardId: string; scope: string; couponId: string; createdAt: Date }>('reward_slots').insertOne({ _id: `${rewardId}:stock:${other}`, rewardId, scope: 'stock', couponId, createdAt: new Date() });
      await spend(input);
      throw new Error('the reply was lost after the entry was written');
    });
    try {
      expect((await redeem(memberId, rewardId, 'twins')).errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      twin.mockRestore();
    }
    expect(await slotsOf(rewardId)).toBe(1);
    expect(ok(await redeem(memberId, rewardId, 'twins')).redeemReward).toMatchObject({ id: couponId, state: 'ISSUED' });
    expect(await slotsOf(rewardId)).toBe(1);
  });

  it('frees the units of a key reused for another reward after the first died before its coupon', async () => {
    const memberId = await memberWith(1000);
    const first = ok(await redeem(memberId, await createReward(), 'reused')).redeemReward;
    await system.db.collection('coupons').deleteOne({ code: first.code });
    const other = await createReward({ stock: 1 });
    expect((await redeem(memberId, other, 'reused')).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    expect(await slotsOf(other)).toBe(0);
  });

  it('frees a unit whose redemption died before its points, and issues the coupon of one that died after them', async () => {
    const rewardId = await createReward({ stock: 2 });
    // a redemption that died after reserving: its unit, no entry, no coupon, its key never sent again
    await system.db.collection('reward_slots').insertOne({ _id: `${rewardId}:stock:0` as never, rewardId, scope: 'stock', couponId: '0123456789abcdef01234567', createdAt: new Date() });
    // and one that died after its REDEEM entry, before its coupon
    const paid = await memberWith(500);
    const lost = ok(await redeem(paid, rewardId, 'died')).redeemReward;
    await system.db.collection('coupons').deleteOne({ code: lost.code });
    const late = await memberWith(500);
    expect((await redeem(late, rewardId, 'late')).errors?.[0]?.extensions?.code).toBe('OUT_OF_STOCK');
    // within the few minutes a redemption may still be writing, nothing is touched
    expect(await job().run(new Date())).toMatchObject({ couponsIssued: 0, unitsFreed: 0 });
    expect(await job().run(inTenMinutes())).toMatchObject({ couponsIssued: 1, unitsFreed: 1 });
    expect((await account(paid)).coupons).toEqual([{ id: lost.id, state: 'ISSUED' }]);
    expect(ok(await redeem(late, rewardId, 'late')).redeemReward.state).toBe('ISSUED');
    expect(await slotsOf(rewardId)).toBe(2);
    expect(await job().run(inTenMinutes())).toMatchObject({ couponsIssued: 0, unitsFreed: 0 });
  });

  it('answers a same-key twin of the redemption that takes the last unit with the same coupon', async () => {
    for (let round = 0; round < 3; round += 1) {
      const memberId = await memberWith(500);
      const rewardId = await createReward({ stock: 1 });
      const answers = await Promise.all([redeem(memberId, rewardId, 'twin'), redeem(memberId, rewardId, 'twin')]);
      const [a, b] = answers.map((r) => ok(r).redeemReward);
      expect(b).toEqual(a);
      expect(await slotsOf(rewardId)).toBe(1);
    }
  });

  it("gives a merged member's coupons to the survivor, and their points back to the survivor even if not moved yet", async () => {
    const survivor = await memberWith(100);
    const merged = await memberWith(1000);
    const rewardId = await createReward({ couponValidityDays: 1 });
    const moved = ok(await redeem(merged, rewardId, 'before-merge')).redeemReward;
    const stranded = ok(await redeem(merged, rewardId, 'stranded')).redeemReward;
    const merge = 'mutation ($a: ID!, $b: ID!) { mergeMembers(survivorId: $a, mergedId: $b) { merges { state } } }';
    expect(ok(await system.graphql(merge, { a: survivor, b: merged }, system.adminHeaders()))).toEqual({ mergeMembers: { merges: [{ state: 'COMPLETED' }] } });
    const mine = ok(await system.graphql<{ me: { coupons: { id: string }[] } }>('{ me { coupons { id } } }', {}, system.customerHeaders(survivor))).me.coupons;
    expect(mine.map((c) => c.id).sort()).toEqual([moved.id, stranded.id].sort());
    // as if the merge had died between moving the points and re-pointing this coupon
    await system.db.collection('coupons').updateOne({ code: stranded.code }, { $set: { memberId: merged } });
    expect(ok(await system.graphql<{ cancelCoupon: { state: string } }>(CANCEL, { id: moved.id }, system.customerHeaders(survivor))).cancelCoupon.state).toBe('CANCELLED');
    await job().run(new Date(new Date(stranded.expiresAt).getTime() + 1));
    expect((await account(survivor)).balance).toBe(1100);
    expect(await system.db.collection('coupons').findOne({ code: stranded.code })).toMatchObject({ state: 'EXPIRED' });
  });
});
