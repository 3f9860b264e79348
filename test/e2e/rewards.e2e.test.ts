import { ok, startTestSystem, type TestSystem } from '../helpers/system';
import { CANCEL, CREATE_REWARD as CREATE, REDEEM, rewardsDriver } from '../helpers/rewards';

const UPDATE = 'mutation ($id: ID!, $input: RewardInput!) { updateReward(id: $id, input: $input) { id revision } }';
const BALANCE = 'query ($id: ID!) { member(id: $id) { points { balance history(first: 10) { nodes { type amount } } } coupons { id state } } }';

let system: TestSystem;
let storeId: string;
beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
});
afterAll(() => system.close());

const { memberWith, createReward, account, redeem, slotsOf } = rewardsDriver(() => system, () => storeId);

describe('rewards and coupons through the gateway', () => {
  it('lets an administrator create and edit a reward, audited, and refuses staff', async () => {
    const input = { nameJa: 'コーヒー無料', nameEn: 'Free coffee', pointsCost: 300, benefit: { kind: 'FREE_ITEM', sku: 'COFFEE-S' }, online: true };
    const refused = await system.graphql(CREATE, { input }, system.staffHeaders());
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const { createReward } = ok(await system.graphql<{ createReward: { id: string } }>(CREATE, { input }, system.adminHeaders()));
    expect(createReward).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/) as unknown,
      name: { ja: 'コーヒー無料', en: 'Free coffee' },
      pointsCost: 300,
      benefit: { kind: 'FREE_ITEM', yenOff: null, percentOff: null, capYen: null, sku: 'COFFEE-S' },
      stock: null,
      perMemberLimit: null,
      active: true,
      couponValidityDays: 30,
      revision: 1,
    });
    const edit = 'mutation ($id: ID!) { updateReward(id: $id, input: { pointsCost: 250, stock: 10 }) { pointsCost stock revision } }';
    expect((await system.graphql(edit, { id: createReward.id }, system.staffHeaders())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ok(await system.graphql(edit, { id: createReward.id }, system.adminHeaders()))).toEqual({ updateReward: { pointsCost: 250, stock: 10, revision: 2 } });
    const audit = ok(await system.graphql<{ rewardChanges: unknown[] }>('query ($id: ID!) { rewardChanges(rewardId: $id) { revision actor action changes { field before after } } }', { id: createReward.id }, system.staffHeaders()));
    expect(audit.rewardChanges[1]).toEqual({
      revision: 2,
      actor: 'staff:admin-1',
      action: 'UPDATE_REWARD',
      changes: [
        { field: 'pointsCost', before: '300', after: '250' },
        { field: 'stock', before: null, after: '10' },
      ],
    });
    expect(audit.rewardChanges[0]).toMatchObject({ revision: 1, actor: 'staff:admin-1', action: 'CREATE_REWARD' });
    const bad = await system.graphql(CREATE, { input: { ...input, benefit: { kind: 'YEN_OFF', sku: 'X' } } }, system.adminHeaders());
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: expect.stringMatching(/^benefit/) as unknown });
  });

  it('audits restoreCouponOnRefund like the other fields and copies it onto the coupons issued', async () => {
    const rewardId = await createReward();
    const edit = 'mutation ($id: ID!) { updateReward(id: $id, input: { restoreCouponOnRefund: true }) { restoreCouponOnRefund revision } }';
    expect(ok(await system.graphql(edit, { id: rewardId }, system.adminHeaders()))).toEqual({ updateReward: { restoreCouponOnRefund: true, revision: 2 } });
    const audit = ok(await system.graphql<{ rewardChanges: unknown[] }>('query ($id: ID!) { rewardChanges(rewardId: $id) { revision changes { field before after } } }', { id: rewardId }, system.staffHeaders()));
    expect(audit.rewardChanges[1]).toEqual({ revision: 2, changes: [{ field: 'restoreCouponOnRefund', before: 'false', after: 'true' }] });
    const memberId = await memberWith(500);
    const coupon = ok(await system.graphql<{ redeemReward: unknown }>('mutation ($r: ID!) { redeemReward(rewardId: $r, idempotencyKey: "restore") { restoreCouponOnRefund } }', { r: rewardId }, system.customerHeaders(memberId)));
    expect(coupon).toEqual({ redeemReward: { restoreCouponOnRefund: true } });
  });

  it('redeems 500 points for a ¥500 coupon once per key', async () => {
    const memberId = await memberWith(600);
    const rewardId = await createReward();
    const first = ok(await redeem(memberId, rewardId, 'k1')).redeemReward;
    expect(first).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/) as unknown,
      code: expect.stringMatching(/^[2-9A-HJKMNP-Z]{16}$/) as unknown,
      barcodeValue: first.code,
      rewardId,
      pointsCost: 500,
      state: 'ISSUED',
      issuedAt: expect.any(String) as unknown,
      expiresAt: new Date(new Date(first.issuedAt).getTime() + 30 * 86_400_000).toISOString(),
      endedAt: null,
      benefit: { kind: 'YEN_OFF', yenOff: 500 },
    });
    expect((await account(memberId)).balance).toBe(100);
    const again = ok(await redeem(memberId, rewardId, 'k1')).redeemReward;
    expect(again).toEqual(first);
    const after = await account(memberId);
    expect(after.balance).toBe(100);
    expect(after.entries.filter((e) => e.type === 'REDEEM')).toEqual([{ type: 'REDEEM', amount: -500 }]);
    expect(after.coupons).toEqual([{ id: first.id, state: 'ISSUED' }]);
    const mine = ok(await system.graphql<{ me: { coupons: { code: string }[] } }>('{ me { coupons { code } } }', {}, system.customerHeaders(memberId)));
    expect(mine.me.coupons).toEqual([{ code: first.code }]);
  });

  it('answers two concurrent redemptions with the same key with one coupon and one entry', async () => {
    // exactly the points for one: the second may find them spent by the first before its coupon exists
    const memberId = await memberWith(500);
    const rewardId = await createReward({ stock: 5 });
    const [a, b] = (await Promise.all([redeem(memberId, rewardId, 'twin'), redeem(memberId, rewardId, 'twin')])).map((r) => ok(r).redeemReward);
    expect(b).toEqual(a);
    const after = await account(memberId);
    expect(after.balance).toBe(0);
    expect(after.entries.filter((e) => e.type === 'REDEEM')).toEqual([{ type: 'REDEEM', amount: -500 }]);
    expect(await slotsOf(rewardId)).toBe(1);
  });

  it('issues the coupon of a redemption whose points were spent before it crashed, when the key is sent again', async () => {
    const memberId = await memberWith(500);
    const rewardId = await createReward({ stock: 1 });
    const first = ok(await redeem(memberId, rewardId, 'crash')).redeemReward;
    // as if the points service died between the ledger entry and the coupon's insert
    await system.db.collection('coupons').deleteOne({ code: first.code });
    const again = ok(await redeem(memberId, rewardId, 'crash')).redeemReward;
    expect(again).toMatchObject({ id: first.id, state: 'ISSUED', issuedAt: first.issuedAt, expiresAt: first.expiresAt });
    const after = await account(memberId);
    expect(after.balance).toBe(0);
    expect(after.entries.filter((e) => e.type === 'REDEEM')).toEqual([{ type: 'REDEEM', amount: -500 }]);
    expect(await slotsOf(rewardId)).toBe(1);
  });

  it('issues what was paid for when the key is resent after a crash and an edit of the reward', async () => {
    const memberId = await memberWith(1000);
    const rewardId = await createReward();
    const first = ok(await redeem(memberId, rewardId, 'edited')).redeemReward;
    await system.db.collection('coupons').deleteOne({ code: first.code });
    ok(await system.graphql(UPDATE, { id: rewardId, input: { pointsCost: 1000, benefit: { kind: 'YEN_OFF', yenOff: 1000 } } }, system.adminHeaders()));
    const again = ok(await redeem(memberId, rewardId, 'edited')).redeemReward;
    expect(again).toMatchObject({ id: first.id, pointsCost: 500, benefit: { kind: 'YEN_OFF', yenOff: 500 } });
    expect((await account(memberId)).balance).toBe(500);
    ok(await system.graphql(CANCEL, { id: again.id }, system.customerHeaders(memberId)));
    expect((await account(memberId)).balance).toBe(1000);
  });

  it('gives the last unit of stock to one of two concurrent redemptions', async () => {
    const [a, b] = await Promise.all([memberWith(500), memberWith(500)]);
    const rewardId = await createReward({ stock: 1 });
    const answers = await Promise.all([redeem(a, rewardId, 'race'), redeem(b, rewardId, 'race')]);
    const codes = answers.map((r) => (r.data?.redeemReward ? 'COUPON' : r.errors?.[0]?.extensions?.code)).sort();
    expect(codes).toEqual(['COUPON', 'OUT_OF_STOCK']);
    const balances = (await Promise.all([account(a), account(b)])).map((x) => x.balance).sort((x, y) => x - y);
    expect(balances).toEqual([0, 500]);
    expect(await slotsOf(rewardId)).toBe(1);
    expect(await system.db.collection('coupons').countDocuments({ rewardId })).toBe(1);
  });

  it('refuses too few points with INSUFFICIENT_POINTS and reserves nothing', async () => {
    const memberId = await memberWith(499);
    const rewardId = await createReward({ stock: 5, perMemberLimit: 1 });
    const refused = await redeem(memberId, rewardId, 'poor');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    expect(await slotsOf(rewardId)).toBe(0);
    expect(await system.db.collection('coupons').countDocuments({ rewardId })).toBe(0);
    expect((await account(memberId)).balance).toBe(499);
  });

  it('holds the per-member limit and frees it when the coupon is cancelled', async () => {
    const memberId = await memberWith(1000);
    const rewardId = await createReward({ perMemberLimit: 1, stock: 1 });
    const coupon = ok(await redeem(memberId, rewardId, 'one')).redeemReward;
    // the member's own limit is checked first: they are told why, and take no unit of stock meanwhile
    expect((await redeem(memberId, rewardId, 'two')).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_REACHED', field: 'rewardId', limit: 1 });
    const other = await memberWith(500);
    const cancels = await Promise.all([
      system.graphql<{ cancelCoupon: unknown }>(CANCEL, { id: coupon.id }, system.customerHeaders(memberId)),
      system.graphql<{ cancelCoupon: unknown }>(CANCEL, { id: coupon.id }, system.staffHeaders()),
    ]);
    const [mine, staff] = cancels.map((r) => ok(r).cancelCoupon);
    expect(mine).toEqual({ id: coupon.id, state: 'CANCELLED', endedAt: expect.any(String) as unknown });
    expect(staff).toEqual(mine);
    expect(ok(await system.graphql<{ cancelCoupon: unknown }>(CANCEL, { id: coupon.id }, system.customerHeaders(memberId))).cancelCoupon).toEqual(mine);
    const after = await account(memberId);
    expect(after.balance).toBe(1000);
    expect(after.entries.filter((e) => e.type === 'REVERSAL')).toEqual([{ type: 'REVERSAL', amount: 500 }]);
    expect(await slotsOf(rewardId)).toBe(0);
    expect((await system.graphql(CANCEL, { id: coupon.id }, system.customerHeaders(other))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ok(await redeem(other, rewardId, 'freed')).redeemReward.state).toBe('ISSUED');

    const limited = await createReward({ stock: 5, perMemberLimit: 1 });
    ok(await redeem(memberId, limited, 'first'));
    expect((await redeem(memberId, limited, 'second')).errors?.[0]?.extensions).toEqual({ code: 'LIMIT_REACHED', field: 'rewardId', limit: 1 });
    // the refused one took no unit: one of stock, one of the member's uses
    expect(await slotsOf(limited)).toBe(2);
    expect((await account(memberId)).balance).toBe(500);
  });

  it('expires coupons past expiresAt and gives their points back once, with two runs at once', async () => {
    const memberId = await memberWith(500);
    const rewardId = await createReward({ couponValidityDays: 1, stock: 3 });
    const coupon = ok(await redeem(memberId, rewardId, 'soon')).redeemReward;
    const job = system.subgraphs.points.built.couponExpiry;
    const later = new Date(new Date(coupon.expiresAt).getTime() + 1);
    expect(await job.run(new Date(new Date(coupon.expiresAt).getTime() - 1))).toEqual({ couponsChecked: 0, couponsExpired: 0, couponsIssued: 0, unitsFreed: 0 });
    const runs = await Promise.all([job.run(later), job.run(later)]);
    expect(runs.map((r) => r.couponsExpired).sort()).toEqual([0, 1]);
    const after = await account(memberId);
    expect(after.balance).toBe(500);
    expect(after.entries.filter((e) => e.type === 'REVERSAL')).toEqual([{ type: 'REVERSAL', amount: 500 }]);
    expect(after.coupons).toEqual([{ id: coupon.id, state: 'EXPIRED' }]);
    expect(await slotsOf(rewardId)).toBe(0);
    expect(await job.run(later)).toEqual({ couponsChecked: 0, couponsExpired: 0, couponsIssued: 0, unitsFreed: 0 });
  });

  it('shows customers only what they may redeem now, and keeps other members and registers out', async () => {
    const memberId = await memberWith(100);
    const gold = await createReward({ minTier: 'GOLD' });
    const inactive = await createReward({ active: false });
    const open = await createReward();
    const listed = ok(await system.graphql<{ rewards: { id: string }[] }>('{ rewards { id } }', {}, system.customerHeaders(memberId))).rewards.map((r) => r.id);
    expect(listed).toContain(open);
    expect(listed).not.toContain(gold);
    expect(listed).not.toContain(inactive);
    const all = ok(await system.graphql<{ rewards: { id: string }[] }>('{ rewards { id } }', {}, system.staffHeaders())).rewards.map((r) => r.id);
    expect(all).toEqual(expect.arrayContaining([gold, inactive, open]));
    expect((await redeem(memberId, gold, 'gold')).errors?.[0]?.extensions?.code).toBe('REWARD_UNAVAILABLE');
    const other = await memberWith(100);
    const theirs = await system.graphql(BALANCE.replace('points { balance history(first: 10) { nodes { type amount } } } ', ''), { id: memberId }, system.customerHeaders(other));
    expect(theirs.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const staffRedeem = await system.graphql(REDEEM, { rewardId: open, key: 'staff' }, system.staffHeaders());
    expect(staffRedeem.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
