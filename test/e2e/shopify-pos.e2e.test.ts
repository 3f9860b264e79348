import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deliver as deliverShopify, edited, newDelivery, SECRET, SHOP } from '../helpers/shopify';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** A Shopify POS order, sent and signed byte-for-byte as in the fixture file (or as edited here). */
const POS_ORDER = readFileSync(path.resolve(__dirname, '../fixtures/shopify/orders-create-pos.json'));
const CANCELLED = readFileSync(path.resolve(__dirname, '../fixtures/shopify/orders-cancelled.json'));
const LOCATION = '81234567890';
const ORDER_GID = 'gid://shopify/Order/5918273645388';

const PURCHASE = /* GraphQL */ `
  query Purchase($id: ID!) {
    purchase(id: $id) { externalId channel amountPaid pointsEarned store { code } member { id points { balance } } }
  }
`;
const CREATE_STORE = 'mutation($input: CreateStoreInput!) { createStore(input: $input) { id shopifyLocationIds } }';

/** The stores and the rate are set up the day before the sale: a purchase earns under the rules made before it. */
let now = new Date('2025-06-20T00:00:00.000Z');
let system: TestSystem;
let hanakoId: string;
let shinjukuId: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  const admin = system.adminHeaders();
  const online = await system.graphql(CREATE_STORE, { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET } }, admin);
  expect(online.errors).toBeUndefined();
  const shinjuku = await system.graphql<{ createStore: { id: string; shopifyLocationIds: string[] } }>(
    CREATE_STORE,
    { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL', shopifyLocationIds: [LOCATION] } },
    admin,
  );
  expect(shinjuku.errors).toBeUndefined();
  expect(shinjuku.data!.createStore.shopifyLocationIds).toEqual([LOCATION]);
  shinjukuId = shinjuku.data!.createStore.id;
  // the store's own rate: 3 points per 100 yen, against the default 1
  const rate = await system.graphql(
    'mutation($input: SetStoreEarnRateInput!) { setStoreEarnRate(input: $input) { rounding } }',
    { input: { storeId: shinjukuId, ratePoints: 3, ratePerYen: 100 } },
    admin,
  );
  expect(rate.errors).toBeUndefined();
  const registered = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: '山田花子', email: 'hanako.yamada@example.com', phone: '090-0000-1234', registeredVia: 'STORE', registeredStoreId: shinjukuId } },
    admin,
  );
  expect(registered.errors).toBeUndefined();
  hanakoId = registered.data!.registerMember.id;
  now = new Date('2025-06-21T02:30:09.000Z');
});
afterAll(() => system.close());

const POS_DELIVERY = { topic: 'orders/create', webhookId: '2f6d1a9e-7c3b-4e58-a0d4-000000000000', eventId: '9b4e7c21-5d8a-4f36-b1e0-000000000000' };
const deliver = (body: Buffer, n: number, topic = POS_DELIVERY.topic) =>
  deliverShopify(system.subgraphs.purchases.url, body, { ...newDelivery(POS_DELIVERY, n), topic, triggeredAt: now.toISOString() });
/** Another POS order at the same register, its payment still to be taken (a card authorised, not captured). */
const UNPAID_ORDER = edited(POS_ORDER, [
  ['5918273645388', '5918273645391'],
  ['"financial_status": "paid"', '"financial_status": "authorized"'],
]);
const PAID_ORDER = edited(UNPAID_ORDER, [['"financial_status": "authorized"', '"financial_status": "paid"']]);

async function balanceOf(memberId: string): Promise<number> {
  const view = await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id: memberId }, system.adminHeaders());
  expect(view.errors).toBeUndefined();
  return view.data!.member.points.balance;
}

async function purchaseOf(externalId: string) {
  const doc = await system.db.collection('purchases').findOne({ externalId });
  expect(doc).not.toBeNull();
  const view = await system.graphql<{ purchase: Record<string, unknown> }>(PURCHASE, { id: doc!._id.toHexString() }, system.adminHeaders());
  expect(view.errors).toBeUndefined();
  return view.data!.purchase;
}

describe('Shopify POS orders', () => {
  it('records a POS order at a mapped location as a STORE purchase of that store, earning at its rate', async () => {
    expect(await deliver(POS_ORDER, 1)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf(ORDER_GID)).toEqual({
      externalId: ORDER_GID,
      channel: 'STORE',
      store: { code: 'S001' },
      amountPaid: 5360,
      // 3 points per 100 yen on 5360 yen; store purchases are not held for a return window
      pointsEarned: 160,
      member: { id: hanakoId, points: { balance: 260 } },
    });
  });

  it('finds the order at its store on a later delivery and records nothing more', async () => {
    const before = await system.db.collection('purchases').countDocuments();
    expect(await deliver(POS_ORDER, 2)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await system.db.collection('purchases').countDocuments()).toBe(before);
  });

  it('records a POS order at a location no store lists on the ONLINE store, and keeps why', async () => {
    const body = Buffer.from(POS_ORDER.toString('utf8').replaceAll('5918273645388', '5918273645389').replace(`"location_id": ${LOCATION}`, '"location_id": 81234567999'), 'utf8');
    expect(await deliver(body, 3)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('gid://shopify/Order/5918273645389')).toMatchObject({ channel: 'ONLINE', store: { code: 'EC' } });
    const delivery = await system.db.collection('webhook_deliveries').findOne({ eventId: '9b4e7c21-5d8a-4f36-b1e0-000000000003' });
    expect(delivery).toMatchObject({ reason: 'Shopify POS location 81234567999 feeds none of our stores: recorded online' });
  });

  it('records nothing that earns for an unpaid POS order', async () => {
    expect(await deliver(UNPAID_ORDER, 4)).toEqual({ status: 200, body: { outcome: 'awaiting-payment' } });
    expect(await system.db.collection('purchases').countDocuments({ externalId: 'gid://shopify/Order/5918273645391' })).toBe(0);
    expect(await balanceOf(hanakoId)).toBe(260);
  });

  it('lets one store hold a location: another store claiming it is refused and writes nothing', async () => {
    const stores = await system.db.collection('stores').countDocuments();
    const clash = await system.graphql(CREATE_STORE, { input: { code: 'S002', name: '渋谷店', kind: 'PHYSICAL', shopifyLocationIds: [LOCATION] } }, system.adminHeaders());
    expect(clash.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['ALREADY_EXISTS', `Shopify location ${LOCATION} already feeds store S001`]]);
    expect(await system.db.collection('stores').countDocuments()).toBe(stores);

    const moved = await system.graphql<{ updateStore: { shopifyLocationIds: string[] } }>(
      'mutation($id: ID!, $input: UpdateStoreInput!) { updateStore(id: $id, input: $input) { shopifyLocationIds } }',
      { id: shinjukuId, input: { shopifyLocationIds: [] } },
      system.adminHeaders(),
    );
    expect(moved.data?.updateStore.shopifyLocationIds).toEqual([]);
    const taken = await system.graphql<{ createStore: { shopifyLocationIds: string[] } }>(
      CREATE_STORE,
      { input: { code: 'S002', name: '渋谷店', kind: 'PHYSICAL', shopifyLocationIds: [LOCATION] } },
      system.adminHeaders(),
    );
    expect(taken.errors).toBeUndefined();
    expect(taken.data!.createStore.shopifyLocationIds).toEqual([LOCATION]);
  });

  it('keeps each order at the store it was rung up at after its location moved to another store', async () => {
    // the location is S002's now (above): a later event about the order Shinjuku rang up is still Shinjuku's
    expect(await deliver(POS_ORDER, 6, 'orders/updated')).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await system.db.collection('purchases').countDocuments({ externalId: ORDER_GID })).toBe(1);
    expect(await purchaseOf(ORDER_GID)).toMatchObject({ store: { code: 'S001' }, pointsEarned: 160 });
    expect(await balanceOf(hanakoId)).toBe(260);

    // the unpaid order was rung up at Shinjuku too: paid now, it earns there, at Shinjuku's rate
    expect(await deliver(PAID_ORDER, 7, 'orders/paid')).toEqual({ status: 200, body: { outcome: 'recorded' } });
    expect(await purchaseOf('gid://shopify/Order/5918273645391')).toMatchObject({ channel: 'STORE', store: { code: 'S001' }, pointsEarned: 160 });
    expect(await balanceOf(hanakoId)).toBe(420);
  });

  it('takes a POS order’s points back when it is cancelled, at its store, once', async () => {
    const cancelled = edited(CANCELLED, [['5918273645012', '5918273645388']]);
    expect(await deliver(cancelled, 8, 'orders/cancelled')).toEqual({ status: 200, body: { outcome: 'cancelled' } });
    expect(await purchaseOf(ORDER_GID)).toMatchObject({ store: { code: 'S001' }, amountPaid: 5360, pointsEarned: 0 });
    expect(await balanceOf(hanakoId)).toBe(260);
    expect(await deliver(cancelled, 9, 'orders/cancelled')).toEqual({ status: 200, body: { outcome: 'cancelled' } });
    expect(await balanceOf(hanakoId)).toBe(260);
  });

  it('gives a location left behind by a crash to one of several stores claiming it at once', async () => {
    const location = '81234567777';
    // a claim whose store died before listing the location, long enough ago to be a leftover
    await system.db.collection('store_shopify_locations').insertOne({ _id: location as never, storeId: '665f000000000000000000aa', createdAt: new Date('2025-06-20T00:00:00.000Z') });
    const answers = await Promise.all(
      ['P01', 'P02', 'P03', 'P04'].map((code) =>
        system.graphql<{ createStore: { id: string } }>(CREATE_STORE, { input: { code, name: `ポップアップ ${code}`, kind: 'POPUP', shopifyLocationIds: [location] } }, system.adminHeaders()),
      ),
    );
    const won = answers.filter((a) => !a.errors);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.errors).map((a) => a.errors!.map((e) => e.extensions?.code))).toEqual([['ALREADY_EXISTS'], ['ALREADY_EXISTS'], ['ALREADY_EXISTS']]);
    expect(await system.db.collection('stores').countDocuments({ shopifyLocationIds: location })).toBe(1);

    const order = edited(POS_ORDER, [['5918273645388', '5918273645392'], [`"location_id": ${LOCATION}`, `"location_id": ${location}`]]);
    expect(await deliver(order, 10)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    const purchase = await system.db.collection('purchases').findOne({ externalId: 'gid://shopify/Order/5918273645392' });
    expect(purchase?.storeId).toBe(won[0]!.data!.createStore.id);
  });

  it('waits for a store being saved with a location before another may take it', async () => {
    const location = '81234567778';
    // a claim taken 10 s ago by a store whose write has not landed yet
    await system.db.collection('store_shopify_locations').insertOne({ _id: location as never, storeId: '665f000000000000000000ab', createdAt: new Date(now.getTime() - 10_000) });
    const create = () => system.graphql(CREATE_STORE, { input: { code: 'P05', name: 'ポップアップ P05', kind: 'POPUP', shopifyLocationIds: [location] } }, system.adminHeaders());
    const early = await create();
    expect(early.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['ALREADY_EXISTS', `Shopify location ${location} is being given to another store; try again in a minute`]]);
    expect(await system.db.collection('stores').countDocuments({ code: 'P05' })).toBe(0);

    now = new Date(now.getTime() + 20_000);
    const later = await create();
    expect(later.errors).toBeUndefined();
    expect(await system.db.collection('store_shopify_locations').findOne({ _id: `${location}#1` as never })).toMatchObject({ storeId: (later.data as { createStore: { id: string } }).createStore.id });
  });
});

