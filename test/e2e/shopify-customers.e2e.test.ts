import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Types } from 'mongoose';
import { deliver as deliverShopify, edited, newDelivery, SECRET, SHOP, type DeliveryHeaders as ShopifyDeliveryHeaders } from '../helpers/shopify';
import { startTestSystem, type TestSystem } from '../helpers/system';

/** Shopify's customers/* bodies, sent and signed byte-for-byte as in the fixture files (or as edited here). */
const FIXTURES = path.resolve(__dirname, '../fixtures/shopify');
const CREATE = readFileSync(path.join(FIXTURES, 'customers-create.json'));
const UPDATE = readFileSync(path.join(FIXTURES, 'customers-update.json'));
const ORDER = readFileSync(path.join(FIXTURES, 'orders-create.json'));


type DeliveryHeaders = Omit<ShopifyDeliveryHeaders, 'triggeredAt'>;

/** The headers of the fixtures' deliveries, from the fixture README. */
const CREATE_DELIVERY: DeliveryHeaders = {
  topic: 'customers/create',
  webhookId: '0b7c2f4e-51a3-4d8e-9f60-2c1d3e4f5a6b',
  eventId: 'c3a1e5b7-8d2f-4a6c-b9e0-1f2a3b4c5d6e',
};
const UPDATE_DELIVERY: DeliveryHeaders = {
  topic: 'customers/update',
  webhookId: '6e5d4c3b-2a1f-4e0d-8c9b-7a6f5e4d3c2b',
  eventId: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9',
};

const MEMBER = /* GraphQL */ `
  query Member($id: ID!) {
    member(id: $id) { displayName email phone registeredVia status points { balance } }
  }
`;

let now = new Date('2025-06-20T01:15:43.000Z');
let system: TestSystem;
let shinjukuId: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET } },
    system.adminHeaders(),
  );
  expect(store.errors).toBeUndefined();
  const shop = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL' } },
    system.adminHeaders(),
  );
  expect(shop.errors).toBeUndefined();
  shinjukuId = shop.data!.createStore.id;
});
afterAll(() => system.close());

const deliver = (body: Buffer, delivery: DeliveryHeaders) =>
  deliverShopify(system.subgraphs.purchases.url, body, { ...delivery, triggeredAt: now.toISOString() });
const another = newDelivery<DeliveryHeaders>;

async function memberView(id: string) {
  const view = await system.graphql<{ member: Record<string, unknown> }>(MEMBER, { id }, system.adminHeaders());
  expect(view.errors).toBeUndefined();
  return view.data!.member;
}

const membersCount = () => system.db.collection('members').countDocuments();
const linkOf = (customerId: string) => system.db.collection('member_shopify_customers').findOne({ customerId });
/** The member a Shopify customer's link names. */
async function linkedMemberId(customerId: string): Promise<string> {
  const link = await linkOf(customerId);
  expect(link).not.toBeNull();
  return (link!.memberId as Types.ObjectId).toHexString();
}

describe('Shopify customers/create and customers/update', () => {
  let kentaId: string;

  it('makes a new ONLINE member of a customer no member has the contacts of, with the sign-up bonus', async () => {
    const before = await membersCount();
    expect(await deliver(CREATE, CREATE_DELIVERY)).toEqual({ status: 200, body: { outcome: 'member-created' } });
    expect(await membersCount()).toBe(before + 1);
    kentaId = await linkedMemberId('7623451099001');
    expect(await linkOf('7623451099001')).toMatchObject({ state: 'enabled', emailMarketing: 'subscribed', smsMarketing: 'not_subscribed' });
    expect(await memberView(kentaId)).toEqual({
      displayName: '佐藤 健太',
      email: 'kenta.sato@example.com',
      phone: '+819000005678',
      registeredVia: 'ONLINE',
      status: 'ACTIVE',
      points: { balance: 100 },
    });
  });

  it('makes nothing more of a redelivery, nor of another event for the same customer', async () => {
    const before = await membersCount();
    expect(await deliver(CREATE, { ...CREATE_DELIVERY, webhookId: '0b7c2f4e-51a3-4d8e-9f60-999999999999' })).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(await deliver(CREATE, another(CREATE_DELIVERY, 1))).toEqual({ status: 200, body: { outcome: 'member-unchanged' } });
    expect(await membersCount()).toBe(before);
    expect(await memberView(kentaId)).toMatchObject({ points: { balance: 100 } });
  });

  it('makes one member of a new customer delivered by two events at the same moment', async () => {
    const body = edited(CREATE, [
      ['7623451099001', '7623451099002'],
      ['kenta.sato@example.com', 'yui.kobayashi@example.com'],
      ['+819000005678', '+819000005679'],
    ]);
    const before = await membersCount();
    const deliveries = [another(CREATE_DELIVERY, 2), another(CREATE_DELIVERY, 3)];
    const answers = await Promise.all(deliveries.map((d) => deliver(body, d)));
    // each event is its own delivery; whichever claimed the customer's link second finds the member the first made,
    // or, while that member is still being stored, answers 503 so that Shopify's retry finds it
    const outcomes = answers.map((a) => String(a.status === 200 ? a.body.outcome : a.status));
    expect([['member-created', 'member-unchanged'], ['503', 'member-created']]).toContainEqual([...outcomes].sort());
    const retried = outcomes.indexOf('503');
    if (retried >= 0) expect(await deliver(body, deliveries[retried]!)).toEqual({ status: 200, body: { outcome: 'member-unchanged' } });
    expect(await membersCount()).toBe(before + 1);
    const linked = await linkedMemberId('7623451099002');
    const members = await system.db.collection('members').find({ email: 'yui.kobayashi@example.com' }).toArray();
    expect(members.map((m) => m._id.toHexString())).toEqual([linked]);
  });

  it('links a customer with the e-mail of a store member to that member instead of making one', async () => {
    const registered = await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: '高橋 誠', email: 'makoto.takahashi@example.com', phone: '090-0000-4321', registeredVia: 'STORE', registeredStoreId: shinjukuId } },
      system.adminHeaders(),
    );
    expect(registered.errors).toBeUndefined();
    const makotoId = registered.data!.registerMember.id;
    const body = edited(CREATE, [
      ['7623451099001', '7623451099003'],
      ['kenta.sato@example.com', 'Makoto.Takahashi@Example.com'],
      ['+819000005678', '+819000008765'],
    ]);
    const before = await membersCount();
    expect(await deliver(body, another(CREATE_DELIVERY, 4))).toEqual({ status: 200, body: { outcome: 'member-linked' } });
    expect(await membersCount()).toBe(before);
    expect(await linkedMemberId('7623451099003')).toBe(makotoId);
    // the store's record is kept: the phone Shopify has is not the one the member gave
    expect(await memberView(makotoId)).toMatchObject({ registeredVia: 'STORE', email: 'makoto.takahashi@example.com', phone: '+819000004321', points: { balance: 100 } });
  });

  it('does not write a linked store member’s contacts from Shopify, which never verified them', async () => {
    const makotoId = await linkedMemberId('7623451099003');
    const body = edited(UPDATE, [
      ['7623451099001', '7623451099003'],
      ['kenta.sato.new@example.com', 'someone.else@example.com'],
      ['+819000005678', '+819000008765'],
    ]);
    expect(await deliver(body, another(UPDATE_DELIVERY, 7))).toEqual({ status: 200, body: { outcome: 'member-unchanged' } });
    expect(await memberView(makotoId)).toMatchObject({ email: 'makoto.takahashi@example.com', phone: '+819000004321' });
  });

  it('records an order of a linked Shopify customer as its member’s, whatever e-mail the checkout carried', async () => {
    const makotoId = await linkedMemberId('7623451099003');
    // Shopify's customer 7623451099003 has changed their e-mail to one no member has (above); the link still says who they are
    const order = edited(ORDER, [
      ['5918273645012', '5918273645301'],
      ['7623451098234', '7623451099003'],
      ['hanako.yamada@example.com', 'someone.else@example.com'],
      ['+819000001234', '+819000008765'],
    ]);
    const delivery = { topic: 'orders/create', webhookId: 'e9ed7383-9789-4549-ae6e-000000000301', eventId: '86047f25-2fcc-43b8-8537-000000000301' };
    expect(await deliver(order, delivery)).toEqual({ status: 200, body: { outcome: 'recorded' } });
    const purchase = await system.db.collection('purchases').findOne({ externalId: 'gid://shopify/Order/5918273645301' });
    expect(purchase?.memberId).toBe(makotoId);
    // 1 point per 100 yen on 5360 yen, pending through the online return window
    const points = await system.graphql<{ member: { points: unknown } }>('query($id: ID!) { member(id: $id) { points { balance pendingBalance } } }', { id: makotoId }, system.adminHeaders());
    expect(points.data?.member.points).toEqual({ balance: 100, pendingBalance: 53 });
  });

  it('changes the member’s e-mail on customers/update', async () => {
    now = new Date('2025-06-22T09:03:12.000Z');
    expect(await deliver(UPDATE, UPDATE_DELIVERY)).toEqual({ status: 200, body: { outcome: 'member-updated' } });
    expect(await memberView(kentaId)).toMatchObject({ email: 'kenta.sato.new@example.com', phone: '+819000005678' });
    // the old address is free again: a claim on it now is another member's
    expect(await system.db.collection('member_contact_claims').findOne({ _id: 'email:kenta.sato@example.com' as never })).toBeNull();
  });

  it('reports an e-mail another member holds instead of merging the two, and applies the rest', async () => {
    const body = edited(UPDATE, [
      ['kenta.sato.new@example.com', 'makoto.takahashi@example.com'],
      ['+819000005678', '+819000005670'],
      ['"updated_at": "2025-06-22T18:03:11+09:00"', '"updated_at": "2025-06-22T18:05:40+09:00"'],
    ]);
    expect(await deliver(body, another(UPDATE_DELIVERY, 1))).toEqual({ status: 200, body: { outcome: 'member-updated' } });
    expect(await memberView(kentaId)).toMatchObject({ email: 'kenta.sato.new@example.com', phone: '+819000005670' });
    const delivery = await system.db.collection('webhook_deliveries').findOne({ eventId: another(UPDATE_DELIVERY, 1).eventId });
    expect(delivery).toMatchObject({ outcome: 'member-updated', reason: 'held by another member: email', memberId: kentaId });
  });

  it('keeps the member of a customer Shopify disabled, and records the state', async () => {
    const body = edited(UPDATE, [
      ['"state": "enabled"', '"state": "disabled"'],
      ['+819000005678', '+819000005670'],
      ['"updated_at": "2025-06-22T18:03:11+09:00"', '"updated_at": "2025-06-22T18:07:02+09:00"'],
    ]);
    expect(await deliver(body, another(UPDATE_DELIVERY, 2))).toEqual({ status: 200, body: { outcome: 'member-unchanged' } });
    expect(await memberView(kentaId)).toMatchObject({ status: 'ACTIVE', points: { balance: 100 } });
    expect(await linkOf('7623451099001')).toMatchObject({ state: 'disabled' });
  });

  it('changes nothing for an update Shopify made before the last one applied, delivered late', async () => {
    // Shopify does not deliver in order: an edit from the day before the ones above arrives now
    const older = edited(UPDATE, [
      ['kenta.sato.new@example.com', 'kenta.sato.old@example.com'],
      ['+819000005678', '+819000005671'],
      ['"updated_at": "2025-06-22T18:03:11+09:00"', '"updated_at": "2025-06-21T08:12:30+09:00"'],
    ]);
    expect(await deliver(older, another(UPDATE_DELIVERY, 3))).toEqual({ status: 200, body: { outcome: 'member-stale' } });
    expect(await memberView(kentaId)).toMatchObject({ email: 'kenta.sato.new@example.com', phone: '+819000005670' });
    expect(await linkOf('7623451099001')).toMatchObject({ state: 'disabled', phone: '+819000005670' });
  });
});

