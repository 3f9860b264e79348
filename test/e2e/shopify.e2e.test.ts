import { readFileSync } from 'node:fs';
import path from 'node:path';
import { webhookDeliveryModel } from '@omo/purchases/src/models/webhook-delivery.model';
import { deliver as deliverShopify, edited, newDelivery, SECRET, sign, SHOP, type DeliveryHeaders } from '../helpers/shopify';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** Shopify's request bodies, sent and signed byte-for-byte as they are in the fixture files. */
const FIXTURES = path.resolve(__dirname, '../fixtures/shopify');
const ORDER = readFileSync(path.join(FIXTURES, 'orders-create.json'));
const REFUND = readFileSync(path.join(FIXTURES, 'refunds-create.json'));
const CANCELLED = readFileSync(path.join(FIXTURES, 'orders-cancelled.json'));
const COD_ORDER = readFileSync(path.join(FIXTURES, 'orders-create-cod.json'));
const COD_PAID = readFileSync(path.join(FIXTURES, 'orders-paid-cod.json'));

const ORDER_GID = 'gid://shopify/Order/5918273645012';

/** The headers of the fixtures' deliveries, from the fixture README. */
const ORDER_DELIVERY: DeliveryHeaders = {
  topic: 'orders/create',
  webhookId: 'e9ed7383-9789-4549-ae6e-bd3cb2999e6a',
  eventId: '86047f25-2fcc-43b8-8537-1c46d2075f40',
  triggeredAt: '2025-06-15T05:02:38.204Z',
};
const REFUND_DELIVERY: DeliveryHeaders = {
  topic: 'refunds/create',
  webhookId: '916f9509-22b8-4cd3-aeb9-c0e1339f313e',
  eventId: '6b3b6b15-5aac-401a-a676-dbdc1ec34ca8',
  triggeredAt: '2025-06-18T02:20:06.318Z',
};
const CANCEL_DELIVERY: DeliveryHeaders = {
  topic: 'orders/cancelled',
  webhookId: '5bcd7fca-ae19-4dc2-899a-1255dfce54ae',
  eventId: '9875a032-5be9-49e2-9bee-9d9a15fe9d46',
  triggeredAt: '2025-06-15T08:05:13.460Z',
};
const COD_DELIVERY: DeliveryHeaders = {
  topic: 'orders/create',
  webhookId: '8d9c8955-0545-49f9-9a97-4b673a7d1909',
  eventId: '41c26458-b693-466b-83ae-1a67c47b0c9b',
  triggeredAt: '2025-06-16T00:41:06.077Z',
};
const COD_PAID_DELIVERY: DeliveryHeaders = {
  topic: 'orders/paid',
  webhookId: '3bac25d5-2a94-4f8c-bc33-6edfda036801',
  eventId: '34a5c334-de07-4910-a73c-09df8b3c0031',
  triggeredAt: '2025-06-18T07:22:48.913Z',
};

const PURCHASE = /* GraphQL */ `
  query Purchase($id: ID!) {
    purchase(id: $id) {
      externalId channel status subtotal discount pointsApplied amountPaid refundedAmount pointsEarned occurredAt
      store { code }
      lines { sku name unitPrice quantity refundedQuantity }
      refunds { amount lines { sku quantity amount } pointsSettled }
      member { id displayName points { balance pendingBalance } }
    }
  }
`;

interface PurchaseView {
  purchase: {
    externalId: string;
    channel: string;
    status: string;
    amountPaid: number;
    refundedAmount: number;
    pointsEarned: number;
    member: { id: string; displayName: string; points: { balance: number; pendingBalance: number } } | null;
    [field: string]: unknown;
  };
}

/** The system's clock: the fixtures happened in June 2025, and points earned then must not have expired yet. */
let now = new Date('2025-06-15T05:02:39.000Z');
let system: TestSystem;
let hanakoId: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET } },
    system.adminHeaders(),
  );
  expect(store.errors).toBeUndefined();
  hanakoId = await register({ displayName: '山田花子', email: 'hanako.yamada@example.com', phone: '090-0000-1234', registeredVia: 'ONLINE' });
});
afterAll(() => system.close());

const deliver = (body: Buffer, delivery: DeliveryHeaders, options: { shop?: string; signature?: string | null } = {}) =>
  deliverShopify(system.subgraphs.purchases.url, body, delivery, options);

async function register(input: Record<string, unknown>): Promise<string> {
  const registered = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input },
    system.adminHeaders(),
  );
  expect(registered.errors).toBeUndefined();
  return registered.data!.registerMember.id;
}

/** Everything a delivery could write, in every service: a refused or repeated delivery must change none of it. */
async function written() {
  const count = (name: string) => system.db.collection(name).countDocuments();
  return {
    purchases: await count('purchases'),
    refunds: await count('refunds'),
    deliveries: await count('webhook_deliveries'),
    ledger: await count('point_ledger'),
  };
}

async function purchaseOf(externalId: string) {
  const doc = await system.db.collection('purchases').findOne({ externalId });
  expect(doc).not.toBeNull();
  const view = await system.graphql<PurchaseView>(PURCHASE, { id: doc!._id.toHexString() }, system.adminHeaders());
  expect(view.errors).toBeUndefined();
  return view.data!.purchase;
}

describe('Shopify order and refund webhooks', () => {
  it('records the fixture order as an ONLINE purchase of the member with its e-mail, and earns her points', async () => {
    const response = await deliver(ORDER, ORDER_DELIVERY);
    expect(response).toEqual({ status: 200, body: { outcome: 'recorded' } });

    expect(await purchaseOf(ORDER_GID)).toEqual({
      externalId: ORDER_GID,
      channel: 'ONLINE',
      status: 'COMPLETED',
      store: { code: 'EC' },
      lines: [
        { sku: 'TEA-HOJI-020', name: '有機ほうじ茶 ティーバッグ - 20包', unitPrice: 1280, quantity: 2, refundedQuantity: 0 },
        { sku: 'CUP-SHIGA-AI', name: '信楽焼 湯呑み - 藍', unitPrice: 3300, quantity: 1, refundedQuantity: 0 },
      ],
      // shipping (660) is not part of the purchase and earns nothing
      subtotal: 5860,
      discount: 500,
      pointsApplied: 0,
      amountPaid: 5360,
      refundedAmount: 0,
      occurredAt: '2025-06-15T05:02:37.000Z',
      refunds: [],
      // 1 point per 100 yen on 5360 yen, pending through the 14-day online return window; the 100-point sign-up bonus is usable
      pointsEarned: 53,
      member: { id: hanakoId, displayName: '山田花子', points: { balance: 100, pendingBalance: 53 } },
    });
  });

  it('answers a repeat of the same delivery with 200 and records nothing new', async () => {
    const before = await written();
    expect(await deliver(ORDER, ORDER_DELIVERY)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(await written()).toEqual(before);
  });

  it('treats a new delivery of the same event (same Event-Id, new Webhook-Id) as a duplicate', async () => {
    const before = await written();
    const again = { ...ORDER_DELIVERY, webhookId: '6a1d8f0e-0000-4000-8000-000000000001' };
    expect(await deliver(ORDER, again)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(await written()).toEqual(before);
  });

  it('records the same order once even when Shopify sends it as a different event', async () => {
    const before = await written();
    expect(await deliver(ORDER, newDelivery(ORDER_DELIVERY, 1))).toEqual({ status: 200, body: { outcome: 'recorded' } });
    // only the new event's delivery records are new
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 2 });
    expect((await purchaseOf(ORDER_GID)).member!.points).toEqual({ balance: 100, pendingBalance: 53 });
  });

  it('refuses a wrong signature, an unknown shop, a missing signature and a tampered body with 401, writing nothing', async () => {
    const before = await written();
    const fresh = newDelivery(ORDER_DELIVERY, 2);
    const tampered = edited(ORDER, [['"subtotal_price": "5360"', '"subtotal_price": "53600"']]);
    const refusals = [
      await deliver(ORDER, fresh, { signature: sign(ORDER, 'shpss_not_the_shops_secret_000000') }),
      await deliver(ORDER, fresh, { shop: 'another-shop.myshopify.com' }),
      await deliver(ORDER, fresh, { signature: null }),
      await deliver(tampered, fresh, { signature: sign(ORDER) }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(await written()).toEqual(before);
  });

  it('refunds the returned cup (3018 yen) and takes back its share of the points', async () => {
    now = new Date('2025-06-18T02:20:07.000Z');
    expect(await deliver(REFUND, REFUND_DELIVERY)).toEqual({ status: 200, body: { outcome: 'refunded' } });

    const purchase = await purchaseOf(ORDER_GID);
    expect(purchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refundedAmount: 3018,
      refunds: [{ amount: 3018, lines: [{ sku: 'CUP-SHIGA-AI', quantity: 1, amount: 3018 }], pointsSettled: true }],
      // the cup's 30 points taken back (its share of the ¥5,300 paid, 2984 yen: the tea's 23.15 floored to 23, the
      // cup 53 − 23), from the points still pending
      pointsEarned: 23,
      member: { points: { balance: 100, pendingBalance: 23 } },
    });
    expect((purchase.lines as { sku: string; refundedQuantity: number }[]).map((l) => [l.sku, l.refundedQuantity])).toEqual([
      ['TEA-HOJI-020', 0],
      ['CUP-SHIGA-AI', 1],
    ]);

    const before = await written();
    expect(await deliver(REFUND, newDelivery(REFUND_DELIVERY, 1))).toEqual({ status: 200, body: { outcome: 'refunded' } });
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 2 });
  });

  it('records an order of a customer without tags and with an unknown e-mail and phone as a guest purchase', async () => {
    const guest = edited(ORDER, [
      ['5918273645012', '5918273645101'],
      ['hanako.yamada@example.com', 'guest.buyer@example.com'],
      ['+819000001234', '+819000005678'],
      ['    "tags": "LINE連携, リピーター",\n', ''],
    ]);
    expect(await deliver(guest, newDelivery(ORDER_DELIVERY, 3))).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('gid://shopify/Order/5918273645101')).toMatchObject({ channel: 'ONLINE', status: 'COMPLETED', amountPaid: 5360, member: null, pointsEarned: 0 });
  });

  it('matches the member named by an omo-member tag before the one with the order’s e-mail', async () => {
    const taroId = await register({ displayName: '佐藤太郎', email: 'taro.sato@example.com', registeredVia: 'ONLINE' });
    const tagged = edited(ORDER, [
      ['5918273645012', '5918273645102'],
      ['"tags": "LINE連携, リピーター"', `"tags": "LINE連携, omo-member:${taroId}"`],
    ]);
    expect((await deliver(tagged, newDelivery(ORDER_DELIVERY, 4))).status).toBe(200);
    expect((await purchaseOf('gid://shopify/Order/5918273645102')).member).toMatchObject({ id: taroId });

    // a tag naming no member is ignored: the e-mail decides
    const unknownTag = edited(ORDER, [
      ['5918273645012', '5918273645103'],
      ['"tags": "LINE連携, リピーター"', '"tags": "omo-member:0123456789abcdef01234567"'],
    ]);
    expect((await deliver(unknownTag, newDelivery(ORDER_DELIVERY, 5))).status).toBe(200);
    expect((await purchaseOf('gid://shopify/Order/5918273645103')).member).toMatchObject({ id: hanakoId });
  });

  it('keeps a refund that arrives before its order, and applies it once the order is recorded', async () => {
    const orderId = '5918273645104';
    const refund = edited(REFUND, [['5918273645012', orderId], ['1012345678901', '1012345678904']]);
    expect(await deliver(refund, newDelivery(REFUND_DELIVERY, 4))).toEqual({ status: 200, body: { outcome: 'awaiting-order' } });
    expect(await system.db.collection('refunds').countDocuments({ idempotencyKey: 'shopify-refund:1012345678904' })).toBe(0);

    const order = edited(ORDER, [['5918273645012', orderId]]);
    expect(await deliver(order, newDelivery(ORDER_DELIVERY, 6))).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf(`gid://shopify/Order/${orderId}`)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 3018 });
  });

  it('acknowledges an order in another currency without recording it', async () => {
    const before = await written();
    const dollars = edited(ORDER, [
      ['5918273645012', '5918273645105'],
      ['"currency": "JPY"', '"currency": "USD"'],
    ]);
    expect(await deliver(dollars, newDelivery(ORDER_DELIVERY, 7))).toEqual({ status: 200, body: { outcome: 'ignored' } });
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 2 });
  });

  it('records one purchase when deliveries of one event arrive at once', async () => {
    const order = edited(ORDER, [['5918273645012', '5918273645108']]);
    const delivery = newDelivery(ORDER_DELIVERY, 10);
    const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(order, delivery)));
    // the one holding the event's claim records it; the others are told to retry (409) or see it done (200)
    expect(responses.filter((r) => r.body.outcome === 'recorded')).toHaveLength(1);
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(await system.db.collection('purchases').countDocuments({ externalId: 'gid://shopify/Order/5918273645108' })).toBe(1);
    expect((await purchaseOf('gid://shopify/Order/5918273645108')).pointsEarned).toBe(53);
  });

  it('answers 409 while another delivery holds the event, and takes over a claim whose delivery died', async () => {
    const order = edited(ORDER, [['5918273645012', '5918273645109']]);
    const delivery = newDelivery(ORDER_DELIVERY, 11);
    const storeId = (await system.db.collection('stores').findOne({ code: 'EC' }))!._id.toHexString();
    await webhookDeliveryModel(system.db).create({
      _id: `${storeId}:event:${delivery.eventId}`,
      storeId,
      topic: 'orders/create',
      receivedAt: now,
      leaseUntil: new Date(now.getTime() + 30_000),
    });
    expect(await deliver(order, delivery)).toEqual({ status: 409, body: { error: expect.any(String) } });
    expect(await system.db.collection('purchases').countDocuments({ externalId: 'gid://shopify/Order/5918273645109' })).toBe(0);

    now = new Date(now.getTime() + 31_000);
    expect(await deliver(order, delivery)).toEqual({ status: 200, body: { outcome: 'recorded' } });
  });

  it('records the order while the points service is down, answers 200, and settles it when points is back', async () => {
    const order = edited(ORDER, [['5918273645012', '5918273645106']]);
    await system.stop('points');
    try {
      expect(await deliver(order, newDelivery(ORDER_DELIVERY, 8))).toEqual({ status: 200, body: { outcome: 'recorded' } });
      const stored = await system.db.collection('purchases').findOne({ externalId: 'gid://shopify/Order/5918273645106' });
      expect(stored).toMatchObject({ state: 'PENDING_POINTS', memberId: hanakoId, channel: 'ONLINE' });
    } finally {
      await system.restart('points');
    }
    now = new Date(now.getTime() + 10 * 60_000);
    await system.subgraphs.purchases.built.outbox.drain();
    expect(await purchaseOf('gid://shopify/Order/5918273645106')).toMatchObject({ status: 'COMPLETED', pointsEarned: 53 });
  });

  it('answers 503 to a refund of a purchase whose points are not settled yet, and refunds it on Shopify’s retry', async () => {
    const orderId = '5918273645110';
    const refund = edited(REFUND, [['5918273645012', orderId], ['1012345678901', '1012345678910']]);
    const delivery = newDelivery(REFUND_DELIVERY, 12);
    await system.stop('points');
    try {
      expect((await deliver(edited(ORDER, [['5918273645012', orderId]]), newDelivery(ORDER_DELIVERY, 12))).status).toBe(200);
      expect((await deliver(refund, delivery)).status).toBe(503);
    } finally {
      await system.restart('points');
    }
    now = new Date(now.getTime() + 10 * 60_000);
    await system.subgraphs.purchases.built.outbox.drain();
    expect(await deliver(refund, delivery)).toEqual({ status: 200, body: { outcome: 'refunded' } });
    expect(await purchaseOf(`gid://shopify/Order/${orderId}`)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 3018, pointsEarned: 23 });
  });

  it('records a gift card sold online as a gift-card line, which earns no points', async () => {
    const orderId = '5918273645130';
    const order = edited(ORDER, [['5918273645012', orderId], ['"gift_card": false,\n      "grams": 280', '"gift_card": true,\n      "grams": 280']]);
    expect(await deliver(order, newDelivery(ORDER_DELIVERY, 30))).toEqual({ status: 200, body: { outcome: 'recorded' } });
    // 5360 yen over tea 2560 and the (gift card) cup 3300: the tea's share floor(5360 × 2560 / 5860) = 2341 → 23 points
    expect(await purchaseOf(`gid://shopify/Order/${orderId}`)).toMatchObject({ status: 'COMPLETED', amountPaid: 5360, pointsEarned: 23 });
    const stored = await system.db.collection<{ externalId: string; lines: { category: string | null }[] }>('purchases').findOne({ externalId: `gid://shopify/Order/${orderId}` });
    const categories = stored?.lines.map((l) => l.category);
    expect(categories).toEqual([null, 'gift-card']);
  });

  it('answers 503 without keeping anything when the members service cannot be reached, so Shopify retries', async () => {
    const order = edited(ORDER, [['5918273645012', '5918273645107']]);
    const delivery = newDelivery(ORDER_DELIVERY, 9);
    const before = await written();
    await system.stop('members');
    try {
      expect((await deliver(order, delivery)).status).toBe(503);
      expect(await written()).toEqual(before);
    } finally {
      await system.restart('members');
    }
    expect(await deliver(order, delivery)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect((await purchaseOf('gid://shopify/Order/5918273645107')).member).toMatchObject({ id: hanakoId });
  });
});

describe('Shopify payment status, cancellations and the online return window', () => {
  const COD_GID = 'gid://shopify/Order/5918273645201';
  let ichiroId: string;
  /** A fixture as Ichiro's order: his e-mail and phone instead of Hanako's, so his points start from the bonus alone. */
  const asIchiro = (body: Buffer, replacements: [string, string][] = []) =>
    edited(body, [['hanako.yamada@example.com', 'ichiro.suzuki@example.com'], ['+819000001234', '+819000005555'], ...replacements]);

  /** The refunds/create body of a cancellation's refund: the Refund object its order carries in `refunds`. */
  const refundOf = (cancelledOrder: Buffer) => {
    const [refund] = (JSON.parse(cancelledOrder.toString('utf8')) as { refunds: unknown[] }).refunds;
    return Buffer.from(`${JSON.stringify(refund, null, 2)}\n`, 'utf8');
  };

  async function pointsOf(memberId: string) {
    const view = await system.graphql<{ member: { points: { balance: number; pendingBalance: number } } }>(
      'query($id: ID!) { member(id: $id) { points { balance pendingBalance } } }',
      { id: memberId },
      system.adminHeaders(),
    );
    expect(view.errors).toBeUndefined();
    return view.data!.member.points;
  }

  beforeAll(async () => {
    ichiroId = await register({ displayName: '鈴木一郎', email: 'ichiro.suzuki@example.com', registeredVia: 'ONLINE' });
  });

  it('records nothing that earns for a cash-on-delivery order until it is paid', async () => {
    const before = await written();
    expect(await deliver(asIchiro(COD_ORDER), COD_DELIVERY)).toEqual({ status: 200, body: { outcome: 'awaiting-payment' } });
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 2 });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 0 });
  });

  it('earns once when the order is paid, however often and under whichever topic the payment arrives', async () => {
    expect(await deliver(asIchiro(COD_PAID), COD_PAID_DELIVERY)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf(COD_GID)).toMatchObject({ status: 'COMPLETED', amountPaid: 5360, pointsEarned: 53, member: { id: ichiroId } });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });

    const before = await written();
    expect(await deliver(asIchiro(COD_PAID), COD_PAID_DELIVERY)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    // the orders/updated that follows a payment carries the paid status too: another event about the same order
    const updated = { ...newDelivery(COD_PAID_DELIVERY, 1), topic: 'orders/updated' };
    expect(await deliver(asIchiro(COD_PAID), updated)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 2 });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });
  });

  it('takes the points back when a paid order is cancelled, once, whichever event of the cancellation arrives', async () => {
    const orderId = '5918273645120';
    const gid = `gid://shopify/Order/${orderId}`;
    expect(await deliver(asIchiro(ORDER, [['5918273645012', orderId]]), newDelivery(ORDER_DELIVERY, 20))).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 106 });

    const cancelled = asIchiro(CANCELLED, [['5918273645012', orderId]]);
    expect(await deliver(cancelled, newDelivery(CANCEL_DELIVERY, 20))).toEqual({ status: 200, body: { outcome: 'cancelled' } });
    expect(await purchaseOf(gid)).toMatchObject({
      status: 'REFUNDED',
      refundedAmount: 5360,
      pointsEarned: 0,
      lines: [{ sku: 'TEA-HOJI-020', refundedQuantity: 2 }, { sku: 'CUP-SHIGA-AI', refundedQuantity: 1 }],
      refunds: [{ amount: 5360, pointsSettled: true }],
    });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });

    const before = await written();
    expect(await deliver(cancelled, newDelivery(CANCEL_DELIVERY, 21))).toEqual({ status: 200, body: { outcome: 'cancelled' } });
    // Shopify also sends refunds/create for the money the cancellation paid back: nothing is left to refund
    expect(await deliver(refundOf(cancelled), newDelivery(REFUND_DELIVERY, 21))).toEqual({ status: 200, body: { outcome: 'ignored' } });
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 4 });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });
  });

  it('takes the points back once when the cancellation’s refunds/create arrives before orders/cancelled', async () => {
    const orderId = '5918273645121';
    const gid = `gid://shopify/Order/${orderId}`;
    expect((await deliver(asIchiro(ORDER, [['5918273645012', orderId]]), newDelivery(ORDER_DELIVERY, 23))).status).toBe(200);
    const cancelled = asIchiro(CANCELLED, [['5918273645012', orderId], ['1012345678902', '1012345678923']]);
    expect(await deliver(refundOf(cancelled), newDelivery(REFUND_DELIVERY, 23))).toEqual({ status: 200, body: { outcome: 'refunded' } });
    expect(await deliver(cancelled, newDelivery(CANCEL_DELIVERY, 23))).toEqual({ status: 200, body: { outcome: 'cancelled' } });
    expect(await purchaseOf(gid)).toMatchObject({ status: 'REFUNDED', refundedAmount: 5360, pointsEarned: 0, refunds: [{ amount: 5360 }] });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });
  });

  it('acknowledges the cancellation of an order it never recorded, and a payment arriving after it earns nothing', async () => {
    const orderId = '5918273645221';
    const before = await written();
    expect(await deliver(asIchiro(COD_ORDER, [['5918273645201', orderId]]), newDelivery(COD_DELIVERY, 22))).toEqual({ status: 200, body: { outcome: 'awaiting-payment' } });
    const cancelled = asIchiro(CANCELLED, [['5918273645012', orderId]]);
    expect(await deliver(cancelled, newDelivery(CANCEL_DELIVERY, 22))).toEqual({ status: 200, body: { outcome: 'ignored' } });
    // Shopify does not promise the order of events: a payment delivered late must not bring the order back
    expect(await deliver(asIchiro(COD_PAID, [['5918273645201', orderId]]), newDelivery(COD_PAID_DELIVERY, 22))).toEqual({ status: 200, body: { outcome: 'ignored' } });
    expect(await written()).toEqual({ ...before, deliveries: before.deliveries + 6 });
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });
  });

  it('keeps an online order’s points pending, not spendable, until its 14-day return window ends', async () => {
    const storeId = (await system.db.collection('stores').findOne({ code: 'EC' }))!._id.toHexString();
    const redeem = (key: string) =>
      system.graphql<{ recordPurchase: { status: string } }>(
        'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status } }',
        { input: { idempotencyKey: key, storeId, memberId: ichiroId, lines: [{ sku: 'GIFT-BOX', name: 'ギフト箱', unitPrice: 1000, quantity: 1 }], total: 1000, pointsToRedeem: 150 } },
        system.adminHeaders(),
      );
    // #1043 was placed at 2025-06-16T00:41:05Z
    now = new Date('2025-06-30T00:41:04.000Z');
    expect(await pointsOf(ichiroId)).toEqual({ balance: 100, pendingBalance: 53 });
    expect((await redeem('ichiro-redeem-early')).errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');

    now = new Date('2025-06-30T00:41:06.000Z');
    expect(await pointsOf(ichiroId)).toEqual({ balance: 153, pendingBalance: 0 });
    expect((await redeem('ichiro-redeem-after')).errors).toBeUndefined();
    expect((await pointsOf(ichiroId)).balance).toBe(3);
  });
});
