import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Types } from 'mongoose';
import { startFakeShopifyAdmin, type FakeShopifyAdmin } from '@omo/tools/testing/fake-shopify-admin';
import { deliver, SECRET, SHOP } from '../helpers/shopify';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Points at the online checkout, through the gateway: a coupon valid online (a reward's, or N points turned into
 * a code) becomes a Shopify discount code in the fake Shopify Admin API by points' outbox, which the test runs
 * explicitly; Shopify down or throttling during a redemption delays the code, never the coupon; an ended coupon's
 * code is deactivated.
 */
const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const KENTA_GID = 'gid://shopify/Customer/7623451099001';
const CUSTOMER_CREATE = readFileSync(path.resolve(__dirname, '../fixtures/shopify/customers-create.json'));
const START = Date.parse('2026-11-20T01:00:00.000Z');

const COUPON_FIELDS = 'id code rewardId pointsCost state expiresAt benefit { kind yenOff } onlineCode { state reason storeIds }';
const REDEEM = `mutation ($rewardId: ID!, $key: String!) { redeemReward(rewardId: $rewardId, idempotencyKey: $key) { ${COUPON_FIELDS} } }`;
const CHECKOUT = `mutation ($points: Int!, $key: String!) { redeemPointsForCheckout(points: $points, idempotencyKey: $key) { ${COUPON_FIELDS} restoreCouponOnRefund } }`;
const COUPONS = `{ me { points { balance } coupons { ${COUPON_FIELDS} } } }`;

interface Coupon {
  id: string;
  code: string;
  rewardId: string | null;
  pointsCost: number;
  state: string;
  expiresAt: string;
  benefit: { kind: string; yenOff: number | null };
  onlineCode: { state: string; reason: string | null; storeIds: string[] };
}

let nowMs = START;
let system: TestSystem;
let fake: FakeShopifyAdmin;
let ecId: string;
let kentaId: string;
let rewardId: string;
let keys = 0;

// the coupon's Shopify items points' outbox carried out in one drain (it also carries each ledger entry's
// partner-points-changed item, which is not this test's)
const couponItemsDone = () =>
  system.db.collection('points_outbox').countDocuments({ type: { $in: ['coupon-shopify-create', 'coupon-shopify-deactivate'] }, doneAt: { $ne: null } });
const drainOutbox = async () => {
  const before = await couponItemsDone();
  await system.subgraphs.points.built.outbox.drain();
  return (await couponItemsDone()) - before;
};
const asKenta = () => system.customerHeaders(kentaId);
const key = () => `key-${(keys += 1)}`;

async function me(): Promise<{ balance: number; coupon: (id: string) => Coupon }> {
  const { me } = ok(await system.graphql<{ me: { points: { balance: number }; coupons: Coupon[] } }>(COUPONS, {}, asKenta()));
  return { balance: me.points.balance, coupon: (id) => me.coupons.find((c) => c.id === id)! };
}

async function redeem(reward = rewardId): Promise<Coupon> {
  return ok(await system.graphql<{ redeemReward: Coupon }>(REDEEM, { rewardId: reward, key: key() }, asKenta())).redeemReward;
}

async function createReward(validityDays: number): Promise<string> {
  const create = `mutation { createReward(input: { nameJa: "500円引き", nameEn: "¥500 off", pointsCost: 500, benefit: { kind: YEN_OFF, yenOff: 500 }, online: true, couponValidityDays: ${validityDays} }) { id } }`;
  return ok(await system.graphql<{ createReward: { id: string } }>(create, {}, system.adminHeaders())).createReward.id;
}

beforeAll(async () => {
  fake = await startFakeShopifyAdmin({ tokens: { [TOKEN]: SHOP }, now: () => new Date(nowMs) });
  system = await startTestSystem({ SHOPIFY_ADMIN_BASE_URL: fake.url }, undefined, { runBackground: false, clock: () => new Date(nowMs) });
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET, shopifyAdminAccessToken: TOKEN } },
    system.adminHeaders(),
  );
  ecId = ok(store).createStore.id;
  // Kenta's customers/create links him to the shop's customer 7623451099001: his codes are his alone
  const linked = await deliver(system.subgraphs.purchases.url, CUSTOMER_CREATE, {
    topic: 'customers/create',
    webhookId: '0b7c2f4e-51a3-4d8e-9f60-2c1d3e4f5a6b',
    eventId: 'c3a1e5b7-8d2f-4a6c-b9e0-1f2a3b4c5d6e',
    triggeredAt: new Date(START).toISOString(),
  });
  expect(linked.status).toBe(200);
  kentaId = (await system.db.collection<{ memberId: Types.ObjectId }>('member_shopify_customers').findOne({ customerId: '7623451099001' }))!.memberId.toHexString();
  const adjust = 'mutation($id: ID!) { adjustPoints(memberId: $id, amount: 5000, reason: "online coupons test", idempotencyKey: "top-up") { account { balance } } }';
  ok(await system.graphql(adjust, { id: kentaId }, system.adminHeaders()));
  rewardId = await createReward(30);
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

describe('coupons at the online checkout', () => {
  it('makes a redeemed coupon a Shopify code for the member alone, single use, ending with the coupon', async () => {
    const { balance: before } = await me();
    const coupon = await redeem();
    expect(coupon.onlineCode).toEqual({ state: 'PENDING', reason: null, storeIds: [] });
    expect((await me()).balance).toBe(before - 500);

    expect(await drainOutbox()).toBe(1);
    expect(fake.code(SHOP, coupon.code)).toMatchObject({ buyers: [KENTA_GID], usageLimit: 1, value: { amount: 500 }, startsAt: new Date(START).toISOString(), endsAt: coupon.expiresAt, deactivatedAt: null });
    expect((await me()).coupon(coupon.id).onlineCode).toEqual({ state: 'ACTIVE', reason: null, storeIds: [ecId] });
    expect(fake.use(SHOP, coupon.code, 'gid://shopify/Customer/1')).toEqual({ applied: false, reason: 'This discount code is not available to this customer' });
    expect(fake.use(SHOP, coupon.code, KENTA_GID)).toEqual({ applied: true });
    expect(fake.use(SHOP, coupon.code, KENTA_GID)).toEqual({ applied: false, reason: 'This discount code has reached its usage limit' });
  });

  it('issues the coupon while Shopify is down or throttling, and makes the code once it answers', async () => {
    fake.failNext({ kind: 'http', status: 503 });
    const coupon = await redeem();
    expect(coupon.state).toBe('ISSUED');
    await drainOutbox();
    expect(fake.code(SHOP, coupon.code)).toBeUndefined();
    expect((await me()).coupon(coupon.id).onlineCode.state).toBe('PENDING');

    const item = () => system.subgraphs.points.built.outbox.find(`coupon-shopify-create:${coupon.id}`);
    nowMs = (await item())!.nextAttemptAt.getTime();
    fake.failNext({ kind: 'http', status: 429, retryAfterSeconds: 7 });
    await drainOutbox();
    // the next attempt when Shopify said, not after the outbox's own back-off
    expect((await item())!.nextAttemptAt.getTime()).toBe(nowMs + 7_000);
    expect((await me()).coupon(coupon.id).onlineCode.state).toBe('PENDING');

    nowMs += 7_000;
    expect(await drainOutbox()).toBe(1);
    expect(fake.code(SHOP, coupon.code)).toMatchObject({ buyers: [KENTA_GID], usageLimit: 1 });
    expect((await me()).coupon(coupon.id).onlineCode).toEqual({ state: 'ACTIVE', reason: null, storeIds: [ecId] });
  });

  it('gives an expired coupon’s points back once, and its code is DEACTIVATED and refused at the checkout', async () => {
    // valid a day: it expires before the other tests' coupons
    const coupon = await redeem(await createReward(1));
    await drainOutbox();
    const { balance } = await me();
    nowMs = Date.parse(coupon.expiresAt);
    const expiry = system.subgraphs.points.built.couponExpiry;
    await Promise.all([expiry.run(new Date(nowMs)), expiry.run(new Date(nowMs))]);
    await expiry.run(new Date(nowMs));
    await drainOutbox();
    const after = await me();
    expect(after.balance).toBe(balance + 500);
    expect(after.coupon(coupon.id)).toMatchObject({ state: 'EXPIRED', onlineCode: { state: 'DEACTIVATED', reason: null, storeIds: [ecId] } });
    // Shopify ended the code at its endsAt, the coupon's expiry, so purchases found it inactive already
    expect(fake.calls.at(-1)).toMatchObject({ shop: SHOP, field: 'codeDiscountNodeByCode', variables: { code: coupon.code } });
    expect(fake.use(SHOP, coupon.code, KENTA_GID)).toEqual({ applied: false, reason: 'This discount code is no longer valid' });
  });

  it('turns N points into a one-time online code worth N yen, once per key', async () => {
    const { balance } = await me();
    const k = key();
    const coupon = ok(await system.graphql<{ redeemPointsForCheckout: Coupon }>(CHECKOUT, { points: 700, key: k }, asKenta())).redeemPointsForCheckout;
    expect(coupon).toMatchObject({ rewardId: null, pointsCost: 700, state: 'ISSUED', benefit: { kind: 'YEN_OFF', yenOff: 700 }, onlineCode: { state: 'PENDING' }, restoreCouponOnRefund: true });
    expect(Date.parse(coupon.expiresAt)).toBe(nowMs + 24 * 3_600_000);
    const again = ok(await system.graphql<{ redeemPointsForCheckout: Coupon }>(CHECKOUT, { points: 700, key: k }, asKenta())).redeemPointsForCheckout;
    expect(again.id).toBe(coupon.id);
    const otherAmount = await system.graphql(CHECKOUT, { points: 800, key: k }, asKenta());
    expect(otherAmount.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'idempotencyKey' }]);
    expect((await me()).balance).toBe(balance - 700);

    await drainOutbox();
    expect(fake.code(SHOP, coupon.code)).toMatchObject({ buyers: [KENTA_GID], usageLimit: 1, value: { amount: 700 }, endsAt: coupon.expiresAt });
    expect((await me()).coupon(coupon.id).onlineCode.state).toBe('ACTIVE');

    // cancelled unused: the points back, the code off
    const cancelled = ok(await system.graphql<{ cancelCoupon: { state: string } }>('mutation($id: ID!) { cancelCoupon(couponId: $id) { state } }', { id: coupon.id }, asKenta()));
    expect(cancelled.cancelCoupon.state).toBe('CANCELLED');
    await drainOutbox();
    expect((await me()).balance).toBe(balance);
    expect(fake.code(SHOP, coupon.code)?.deactivatedAt).toBe(new Date(nowMs).toISOString());
    expect((await me()).coupon(coupon.id).onlineCode.state).toBe('DEACTIVATED');
  });

  it('refuses too few points, or too few or too many for one code, and writes nothing', async () => {
    const { balance } = await me();
    const tooMany = await system.graphql(CHECKOUT, { points: balance + 1, key: key() }, asKenta());
    expect(tooMany.errors?.map((e) => e.extensions?.code)).toEqual(['INSUFFICIENT_POINTS']);
    for (const points of [99, 50_001]) {
      const refused = await system.graphql(CHECKOUT, { points, key: key() }, asKenta());
      expect(refused.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'points' }]);
    }
    const staff = await system.graphql(CHECKOUT, { points: 100, key: key() }, system.staffHeaders());
    expect(staff.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect((await me()).balance).toBe(balance);
    expect(await system.db.collection('coupons').countDocuments({ redeemKey: /^checkout:/ })).toBe(1);
    expect(await system.subgraphs.points.built.outbox.pending()).toBe(0);
  });
});
