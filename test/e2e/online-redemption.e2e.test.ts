import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeShopifyAdmin, type FakeShopifyAdmin } from '@omo/tools/testing/fake-shopify-admin';
import { deliver as deliverShopify, edited, newDelivery, SECRET, SHOP, type DeliveryHeaders } from '../helpers/shopify';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A coupon used at the online checkout: its code a Shopify discount code, a checkout using it, and the order
 * webhook that carries the code consuming the coupon, once, whatever Shopify redelivers.
 */
const ORDER = readFileSync(path.resolve(__dirname, '../fixtures/shopify/orders-create.json'));
const CANCELLED = readFileSync(path.resolve(__dirname, '../fixtures/shopify/orders-cancelled.json'));
const ORDER_DELIVERY: DeliveryHeaders = {
  topic: 'orders/create',
  webhookId: 'e9ed7383-9789-4549-ae6e-bd3cb2999e6a',
  eventId: '86047f25-2fcc-43b8-8537-1c46d2075f40',
  triggeredAt: '2025-06-15T05:02:38.000Z',
};
const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
/** Hanako, the fixture order's customer, in the fake shop. */
const HANAKO_GID = 'gid://shopify/Customer/7623451098234';

const PURCHASE = /* GraphQL */ `
  query ($id: ID!) {
    purchase(id: $id) {
      externalId status subtotal discount couponDiscount amountPaid
      member { id }
      coupons { code discount coupon { id state } }
    }
  }
`;
const COUPON = 'query ($code: String!) { couponByCode(code: $code) { id state purchaseId } }';

let now = new Date('2025-06-15T05:02:39.000Z');
let system: TestSystem;
let fake: FakeShopifyAdmin;
let hanakoId: string;
let rewardId: string;
let counter = 0;

beforeAll(async () => {
  fake = await startFakeShopifyAdmin({ tokens: { [TOKEN]: SHOP }, now: () => now });
  system = await startTestSystem({ SHOPIFY_ADMIN_BASE_URL: fake.url }, undefined, { runBackground: false, clock: () => now });
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET, shopifyAdminAccessToken: TOKEN } },
    system.adminHeaders(),
  );
  expect(store.errors).toBeUndefined();
  const registered = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: '山田花子', email: 'hanako.yamada@example.com', phone: '090-0000-1234', registeredVia: 'ONLINE' } },
    system.adminHeaders(),
  );
  hanakoId = ok(registered).registerMember.id;
  ok(await system.graphql('mutation ($id: ID!) { adjustPoints(memberId: $id, amount: 5000, reason: "test", idempotencyKey: "top-up") { account { balance } } }', { id: hanakoId }, system.adminHeaders()));
  const reward = await system.graphql<{ createReward: { id: string } }>(
    'mutation ($input: RewardInput!) { createReward(input: $input) { id } }',
    { input: { nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit: { kind: 'YEN_OFF', yenOff: 500 }, storeIds: [], online: true } },
    system.adminHeaders(),
  );
  rewardId = ok(reward).createReward.id;
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

/** Hanako redeems 500 points for a ¥500 coupon valid online. */
async function redeem(): Promise<{ id: string; code: string; expiresAt: string }> {
  counter += 1;
  const redeemed = await system.graphql<{ redeemReward: { id: string; code: string; expiresAt: string } }>(
    'mutation ($rewardId: ID!, $key: String!) { redeemReward(rewardId: $rewardId, idempotencyKey: $key) { id code expiresAt } }',
    { rewardId, key: `online-${counter}` },
    system.customerHeaders(hanakoId),
  );
  return ok(redeemed).redeemReward;
}

/** The fixture order (¥5,860 of goods, ¥500 off by a code) under another order id, paid with `code`. */
const orderWith = (orderId: string, code: string) => edited(ORDER, [['5918273645012', orderId], ['WELCOME500', code]]);
const deliver = (body: Buffer, n: number) => deliverShopify(system.subgraphs.purchases.url, body, newDelivery(ORDER_DELIVERY, n));
const purchaseOf = async (orderId: string) => {
  const stored = await system.db.collection('purchases').findOne({ externalId: `gid://shopify/Order/${orderId}` });
  return ok(await system.graphql<{ purchase: Record<string, unknown> }>(PURCHASE, { id: stored!._id.toHexString() }, system.staffHeaders())).purchase;
};
const pointsOf = async (memberId: string) =>
  ok(await system.graphql<{ member: { points: { balance: number; pendingBalance: number } } }>('query ($id: ID!) { member(id: $id) { points { balance pendingBalance } } }', { id: memberId }, system.staffHeaders())).member.points;
const balanceOf = async (memberId: string) => (await pointsOf(memberId)).balance;
/** Usable and pending: which of them a take-back draws on is points' rule, what she holds in all is not. */
const heldBy = async (memberId: string) => {
  const { balance, pendingBalance } = await pointsOf(memberId);
  return balance + pendingBalance;
};
const couponOf = async (code: string) => ok(await system.graphql<{ couponByCode: { id: string; state: string; purchaseId: string | null } }>(COUPON, { code }, system.staffHeaders())).couponByCode;

describe('a coupon at the online checkout', () => {
  it('is a discount code in the shop, which the order webhook consumes; a redelivery changes nothing', async () => {
    const coupon = await redeem();
    // points' outbox asks purchases to make the code a discount code in the shop
    await system.subgraphs.points.built.outbox.drain();
    // Hanako is not linked to a Shopify customer yet: any buyer with the code may use it, once
    expect(fake.code(SHOP, coupon.code)).toMatchObject({ buyers: 'ALL', usageLimit: 1, endsAt: coupon.expiresAt, value: { amount: 500 } });
    expect(fake.use(SHOP, coupon.code, HANAKO_GID)).toEqual({ applied: true });

    expect(await deliver(orderWith('5918273645201', coupon.code), 1)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    const purchase = await purchaseOf('5918273645201');
    expect(purchase).toEqual({
      externalId: 'gid://shopify/Order/5918273645201',
      status: 'COMPLETED',
      subtotal: 5860,
      // Shopify took the ¥500 off already: it is the order's discount, not a second one
      discount: 500,
      couponDiscount: 500,
      amountPaid: 5360,
      member: { id: hanakoId },
      coupons: [{ code: coupon.code, discount: 500, coupon: { id: coupon.id, state: 'USED' } }],
    });
    const stored = await system.db.collection('purchases').findOne({ externalId: 'gid://shopify/Order/5918273645201' });
    expect(await couponOf(coupon.code)).toEqual({ id: coupon.id, state: 'USED', purchaseId: stored!._id.toHexString() });

    // the same event again, and another event of the same order (orders/paid)
    const before = await system.db.collection('purchases').countDocuments();
    expect(await deliverShopify(system.subgraphs.purchases.url, orderWith('5918273645201', coupon.code), { ...newDelivery(ORDER_DELIVERY, 1), webhookId: 'e9ed7383-9789-4549-ae6e-999999999999' })).toEqual({
      status: 200,
      body: { outcome: 'duplicate' },
    });
    expect(await deliverShopify(system.subgraphs.purchases.url, orderWith('5918273645201', coupon.code), { ...newDelivery(ORDER_DELIVERY, 2), topic: 'orders/paid' })).toEqual({
      status: 200,
      body: { outcome: 'recorded' },
    });
    expect(await system.db.collection('purchases').countDocuments()).toBe(before);
    expect(await purchaseOf('5918273645201')).toEqual(purchase);
    expect(await couponOf(coupon.code)).toEqual({ id: coupon.id, state: 'USED', purchaseId: stored!._id.toHexString() });
  });

  it('ignores the shop’s own codes', async () => {
    expect(await deliver(orderWith('5918273645202', 'SUMMER-SALE'), 3)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('5918273645202')).toMatchObject({ status: 'COMPLETED', discount: 500, couponDiscount: 0, amountPaid: 5360, coupons: [] });
  });

  it('records an order whose coupon was cancelled meanwhile with it, and takes back the points the cancellation gave back', async () => {
    const before = await heldBy(hanakoId);
    const coupon = await redeem();
    const cancelled = await system.graphql('mutation ($id: ID!) { cancelCoupon(couponId: $id) { state } }', { id: coupon.id }, system.customerHeaders(hanakoId));
    expect(ok(cancelled)).toEqual({ cancelCoupon: { state: 'CANCELLED' } });
    expect(await heldBy(hanakoId)).toBe(before);
    // Shopify still took the ¥500 off: its code was used before the deactivation reached the shop
    expect(await deliver(orderWith('5918273645203', coupon.code), 4)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('5918273645203')).toMatchObject({
      status: 'COMPLETED',
      discount: 500,
      couponDiscount: 500,
      coupons: [{ code: coupon.code, discount: 500, coupon: { id: coupon.id, state: 'CANCELLED' } }],
    });
    const delivery = await system.db.collection('webhook_deliveries').findOne({ eventId: newDelivery(ORDER_DELIVERY, 4).eventId });
    expect(delivery?.reason).toBe(`coupons a register would have refused: ${coupon.code} (COUPON_ENDED)`);
    // the 500 the cancellation gave back are taken back: she had the discount; the order earns as any other (pending
    // through the return window)
    const stored = await system.db.collection('purchases').findOne({ externalId: 'gid://shopify/Order/5918273645203' });
    const earned = ok(await system.graphql<{ purchase: { pointsEarned: number } }>('query ($id: ID!) { purchase(id: $id) { pointsEarned } }', { id: stored!._id.toHexString() }, system.staffHeaders()));
    expect(earned.purchase.pointsEarned).toBe(53);
    expect(await heldBy(hanakoId)).toBe(before - 500 + 53);
  });

  it('records an order that used another member’s coupon (a code any buyer may use) with it, consuming the coupon', async () => {
    const registered = await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: '佐藤太郎', email: 'taro.sato@example.com', registeredVia: 'ONLINE' } },
      system.adminHeaders(),
    );
    const taroId = ok(registered).registerMember.id;
    ok(await system.graphql('mutation ($id: ID!) { adjustPoints(memberId: $id, amount: 400, reason: "test", idempotencyKey: "taro-top-up") { account { balance } } }', { id: taroId }, system.adminHeaders()));
    const redeemed = await system.graphql<{ redeemReward: { id: string; code: string } }>(
      'mutation ($rewardId: ID!) { redeemReward(rewardId: $rewardId, idempotencyKey: "taro-1") { id code } }',
      { rewardId },
      system.customerHeaders(taroId),
    );
    const coupon = ok(redeemed).redeemReward;
    expect(await balanceOf(taroId)).toBe(0);
    // Hanako's order (matched by her e-mail) carries Taro's code
    expect(await deliver(orderWith('5918273645205', coupon.code), 6)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('5918273645205')).toMatchObject({
      status: 'COMPLETED',
      couponDiscount: 500,
      member: { id: hanakoId },
      coupons: [{ code: coupon.code, discount: 500, coupon: { id: coupon.id, state: 'USED' } }],
    });
    const delivery = await system.db.collection('webhook_deliveries').findOne({ eventId: newDelivery(ORDER_DELIVERY, 6).eventId });
    expect(delivery?.reason).toBe(`coupons a register would have refused: ${coupon.code} (COUPON_NOT_APPLICABLE)`);
    // used: Taro cannot cancel it for his 500 points back
    const cancel = await system.graphql('mutation ($id: ID!) { cancelCoupon(couponId: $id) { state } }', { id: coupon.id }, system.customerHeaders(taroId));
    expect(ok(cancel)).toEqual({ cancelCoupon: { state: 'USED' } });
    expect(await balanceOf(taroId)).toBe(0);
  });

  it('refunds the whole of a cancelled order its discounts paid in full (total 0), not taking it as refunded already', async () => {
    const coupon = await redeem();
    const free = edited(orderWith('5918273645206', coupon.code), [['"subtotal_price": "5360"', '"subtotal_price": "0"'], ['"total_discounts": "500"', '"total_discounts": "5860"']]);
    expect(await deliver(free, 7)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('5918273645206')).toMatchObject({ status: 'COMPLETED', discount: 5860, couponDiscount: 500, amountPaid: 0 });
    const cancel = edited(CANCELLED, [['5918273645012', '5918273645206']]);
    expect(await deliverShopify(system.subgraphs.purchases.url, cancel, { ...newDelivery(ORDER_DELIVERY, 8), topic: 'orders/cancelled' })).toEqual({ status: 200, body: { outcome: 'cancelled' } });
    expect((await purchaseOf('5918273645206')).status).toBe('REFUNDED');
  });

  it('records the order while points is down, and its settlement consumes the coupon when points is back', async () => {
    const coupon = await redeem();
    await system.stop('points');
    try {
      expect(await deliver(orderWith('5918273645204', coupon.code), 5)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    } finally {
      await system.restart('points');
    }
    expect(await system.db.collection('purchases').findOne({ externalId: 'gid://shopify/Order/5918273645204' })).toMatchObject({
      state: 'PENDING_POINTS',
      coupons: [],
      unquotedCoupons: [{ code: coupon.code, discount: 500 }],
    });
    // past the outbox's back-off after the failed attempt
    now = new Date(now.getTime() + 10 * 60_000);
    await system.subgraphs.purchases.built.outbox.drain();
    expect(await purchaseOf('5918273645204')).toMatchObject({ status: 'COMPLETED', couponDiscount: 500, coupons: [{ code: coupon.code, discount: 500, coupon: { state: 'USED' } }] });
    expect((await couponOf(coupon.code)).state).toBe('USED');
  });
});
