import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deliver as deliverShopify, newDelivery, SECRET, SHOP } from '../helpers/shopify';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** A Shopify POS order, sent and signed byte-for-byte as in the fixture file (or as edited here). */
const POS_ORDER = readFileSync(path.resolve(__dirname, '../fixtures/shopify/orders-create-pos.json'));
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
const deliver = (body: Buffer, n: number) =>
  deliverShopify(system.subgraphs.purchases.url, body, { ...newDelivery(POS_DELIVERY, n), triggeredAt: now.toISOString() });

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
});
