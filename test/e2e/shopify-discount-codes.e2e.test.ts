import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Types } from 'mongoose';
import pino from 'pino';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient } from '@omo/lib/server/internal-api';
import { ShopifyAdminClient } from '@omo/purchases/src/shopify-admin/shopify-admin.client';
import { ShopifyDiscountCodes } from '@omo/purchases/src/shopify-admin/discount-codes.service';
import { startFakeShopifyAdmin, type FakeShopifyAdmin } from '@omo/tools/testing/fake-shopify-admin';
import { TEST_INTERNAL_SECRET } from '@omo/tools/testing/config';
import { deliver, SECRET, SHOP } from '../helpers/shopify';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * purchases' createShopifyDiscount / deactivateShopifyDiscount, called over HTTP as points' outbox calls them,
 * against a fake Shopify Admin API: what lands in each shop, and RETRY / REFUSED for Shopify's failures.
 */
const SECOND_SHOP = 'second-omo-shop.myshopify.com';
const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const SECOND_TOKEN = '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';
const CUSTOMER_CREATE = readFileSync(path.resolve(__dirname, '../fixtures/shopify/customers-create.json'));

const now = new Date('2026-11-20T01:00:00.000Z');
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);
let system: TestSystem;
let fake: FakeShopifyAdmin;
let ecId: string;
let secondId: string;
let kentaId: string;
const errorLogs: Record<string, unknown>[] = [];
let purchases: ReturnType<typeof internalClient<typeof purchasesContract>>;

const coupon = (code: string, memberId: string, change: Record<string, unknown> = {}) => ({
  couponId: '6740a1b2c3d4e5f601234567',
  code,
  memberId,
  title: '¥500 off (coupon)',
  benefit: { kind: 'YEN_OFF' as const, yenOff: 500 },
  startsAt: now,
  endsAt: inDays(30),
  ...change,
});

async function createStore(input: Record<string, unknown>): Promise<string> {
  const created = await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input }, system.adminHeaders());
  expect(created.errors).toBeUndefined();
  return created.data!.createStore.id;
}

beforeAll(async () => {
  fake = await startFakeShopifyAdmin({ tokens: { [TOKEN]: SHOP, [SECOND_TOKEN]: SECOND_SHOP }, now: () => now });
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLogs.push(JSON.parse(line) as Record<string, unknown>) });
  system = await startTestSystem({ SHOPIFY_ADMIN_BASE_URL: fake.url }, logger, { runBackground: false, clock: () => now });
  ecId = await createStore({ code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET, shopifyAdminAccessToken: TOKEN });
  // Kenta's customers/create links him to the EC store's Shopify customer 7623451099001
  const linked = await deliver(system.subgraphs.purchases.url, CUSTOMER_CREATE, {
    topic: 'customers/create',
    webhookId: '0b7c2f4e-51a3-4d8e-9f60-2c1d3e4f5a6b',
    eventId: 'c3a1e5b7-8d2f-4a6c-b9e0-1f2a3b4c5d6e',
    triggeredAt: now.toISOString(),
  });
  expect(linked).toEqual({ status: 200, body: { outcome: 'member-created' } });
  const link = await system.db.collection<{ memberId: Types.ObjectId }>('member_shopify_customers').findOne({ customerId: '7623451099001' });
  kentaId = link!.memberId.toHexString();
  purchases = internalClient(purchasesContract, { directory: { baseUrl: (name) => system.subgraphs[name as 'purchases'].url }, internalSecret: TEST_INTERNAL_SECRET, service: 'points' });
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

describe('createShopifyDiscount', () => {
  it('makes the code a single-use discount for the member’s own Shopify customer, ending with the coupon', async () => {
    expect(await purchases.createShopifyDiscount(coupon('K7PQ2M9XW4RT8HNB', kentaId))).toEqual({ status: 'DONE', shops: [ecId] });
    expect(fake.code(SHOP, 'K7PQ2M9XW4RT8HNB')).toMatchObject({
      title: '¥500 off (coupon)',
      startsAt: now.toISOString(),
      endsAt: inDays(30).toISOString(),
      buyers: ['gid://shopify/Customer/7623451099001'],
      value: { amount: 500 },
      usageLimit: 1,
      appliesOncePerCustomer: true,
    });
    expect(fake.use(SHOP, 'K7PQ2M9XW4RT8HNB', 'gid://shopify/Customer/7623451098234')).toEqual({ applied: false, reason: 'This discount code is not available to this customer' });
    expect(fake.use(SHOP, 'k7pq2m9xw4rt8hnb', 'gid://shopify/Customer/7623451099001')).toEqual({ applied: true });
    expect(fake.use(SHOP, 'K7PQ2M9XW4RT8HNB', 'gid://shopify/Customer/7623451099001')).toEqual({ applied: false, reason: 'This discount code has reached its usage limit' });
  });

  it('answers DONE again for a code the shop has, without creating it twice', async () => {
    const before = fake.calls.length;
    expect(await purchases.createShopifyDiscount(coupon('K7PQ2M9XW4RT8HNB', kentaId))).toEqual({ status: 'DONE', shops: [ecId] });
    expect(fake.calls.slice(before).map((c) => c.field)).toEqual(['codeDiscountNodeByCode']);
    expect(fake.codes(SHOP).filter((c) => c.code === 'K7PQ2M9XW4RT8HNB')).toHaveLength(1);
  });

  it('makes one code of two attempts at once (the loser’s create is refused as TAKEN, and it finds the code)', async () => {
    const code = 'T5R4E3W2Q9P8O7N6';
    const answers = await Promise.all([1, 2].map(() => purchases.createShopifyDiscount(coupon(code, kentaId))));
    expect(answers).toEqual([{ status: 'DONE', shops: [ecId] }, { status: 'DONE', shops: [ecId] }]);
    expect(fake.codes(SHOP).filter((c) => c.code === code)).toHaveLength(1);
  });

  it('lets any buyer use the code of a member Shopify does not know, once, and takes a percentage as a fraction', async () => {
    const code = 'H3N8C2R7V5XQ9MWD';
    expect(await purchases.createShopifyDiscount(coupon(code, '6740a1b2c3d4e5f6aaaaaaaa', { benefit: { kind: 'PERCENT_OFF', percentOff: 15 } }))).toEqual({ status: 'DONE', shops: [ecId] });
    expect(fake.code(SHOP, code)).toMatchObject({ buyers: 'ALL', value: { percentage: 0.15 }, usageLimit: 1 });
    expect(fake.use(SHOP, code, null)).toEqual({ applied: true });
    expect(fake.use(SHOP, code, 'gid://shopify/Customer/1')).toEqual({ applied: false, reason: 'This discount code has reached its usage limit' });
  });

  it('answers RETRY with Shopify’s Retry-After on a 429, then DONE', async () => {
    fake.failNext({ kind: 'http', status: 429, retryAfterSeconds: 7 });
    expect(await purchases.createShopifyDiscount(coupon('Q2W3E4R5T6Y7U8P9', kentaId))).toEqual({ status: 'RETRY', retryAfterMs: 7000, reason: `${SHOP} answered HTTP 429` });
    expect(fake.code(SHOP, 'Q2W3E4R5T6Y7U8P9')).toBeUndefined();
    expect(await purchases.createShopifyDiscount(coupon('Q2W3E4R5T6Y7U8P9', kentaId))).toEqual({ status: 'DONE', shops: [ecId] });
  });

  it('answers RETRY after the time the cost throttle needs to restore the query’s points', async () => {
    // 500 points asked, 50 left, 100 restored a second: 4.5 s
    fake.failNext({ kind: 'throttled', requestedQueryCost: 500, currentlyAvailable: 50 });
    expect(await purchases.createShopifyDiscount(coupon('Z9X8C7V6B5N4M3K2', kentaId))).toEqual({ status: 'RETRY', retryAfterMs: 4500, reason: `${SHOP} throttled the call (query cost)` });
  });

  it('answers RETRY on a 5xx', async () => {
    fake.failNext({ kind: 'http', status: 503 });
    expect(await purchases.createShopifyDiscount(coupon('Z9X8C7V6B5N4M3K2', kentaId))).toEqual({ status: 'RETRY', retryAfterMs: 5000, reason: `${SHOP} answered HTTP 503` });
    expect(fake.code(SHOP, 'Z9X8C7V6B5N4M3K2')).toBeUndefined();
  });

  it('answers REFUSED with Shopify’s userErrors, which no retry changes', async () => {
    expect(await purchases.createShopifyDiscount(coupon('B4D3ND5B4D3ND5XX', kentaId, { endsAt: now }))).toEqual({
      status: 'REFUSED',
      reason: `${SHOP} refused the discount code: basicCodeDiscount.endsAt Ends at needs to be after starts_at`,
    });
    expect(fake.code(SHOP, 'B4D3ND5B4D3ND5XX')).toBeUndefined();
  });

  it('answers RETRY while a shop refuses the token (an admin must set a new one), and DONE in every shop once it is', async () => {
    secondId = await createStore({
      code: 'EC2',
      name: 'セカンドストア',
      kind: 'ONLINE',
      shopifyShopDomain: SECOND_SHOP,
      shopifyWebhookSecret: 'shpss_second_0123456789abcdef',
      shopifyAdminAccessToken: 'shpat_revoked_0000000000000000',
    });
    const code = 'M4N5B6V7C8X9Z2A3';
    expect(await purchases.createShopifyDiscount(coupon(code, kentaId))).toEqual({
      status: 'RETRY',
      retryAfterMs: 600_000,
      reason: `${SECOND_SHOP} refused the store's Shopify access token (HTTP 401): an admin must set a valid one`,
    });
    // the shop that took it keeps it; the second has none yet
    expect(fake.codes().filter((c) => c.code === code).map((c) => c.shop)).toEqual([SHOP]);
    const updated = await system.graphql(`mutation { updateStore(id: "${secondId}", input: { shopifyAdminAccessToken: "${SECOND_TOKEN}" }) { id } }`, {}, system.adminHeaders());
    expect(updated.errors).toBeUndefined();
    expect(await purchases.createShopifyDiscount(coupon(code, kentaId))).toEqual({ status: 'DONE', shops: [ecId, secondId] });
    // Kenta is a Shopify customer of the first shop only
    expect(fake.code(SECOND_SHOP, code)).toMatchObject({ buyers: 'ALL', usageLimit: 1 });
  });

  it('answers DONE with the shops that made the code when another refuses it, logging the refusal for staff', async () => {
    const code = 'P3L8K2J7H4G9F5D6';
    fake.refuseCreates(SECOND_SHOP, { field: ['basicCodeDiscount'], code: 'EXCEEDED_MAX', message: 'The shop has reached its limit of discount codes' });
    try {
      expect(await purchases.createShopifyDiscount(coupon(code, kentaId))).toEqual({ status: 'DONE', shops: [ecId] });
    } finally {
      fake.refuseCreates(SECOND_SHOP, null);
    }
    // the code works in the first shop, so the coupon is usable online there
    expect(fake.use(SHOP, code, 'gid://shopify/Customer/7623451099001')).toEqual({ applied: true });
    expect(fake.code(SECOND_SHOP, code)).toBeUndefined();
    expect(errorLogs).toContainEqual(expect.objectContaining({ msg: 'Shopify refused a coupon’s discount code', shop: SECOND_SHOP }));
  });

  it('starts no Shopify create it could not finish before the caller gives up, and answers RETRY in time', async () => {
    // points' client waits 10 s; with the default 8 s this is the same rule, in a test's time
    const deps = {
      stores: system.subgraphs.purchases.built.models.stores,
      client: new ShopifyAdminClient(system.config),
      services: { baseUrl: (name: string) => system.subgraphs[name as 'members'].url },
      internalSecret: TEST_INTERNAL_SECRET,
      logger: pino({ level: 'silent' }),
      createBudgetMs: 1_500,
    };
    const codes = new ShopifyDiscountCodes(deps);
    const code = 'W6E5R4T3Y2U9I8O7';
    // Shopify takes a second over each look-up (both shops): half a second is left, too little for a create
    fake.failNext({ kind: 'slow', ms: 1_000 }, 2);
    const before = fake.calls.length;
    const started = performance.now();
    expect(await codes.create(coupon(code, kentaId))).toEqual({
      status: 'RETRY',
      retryAfterMs: 5000,
      reason: `${SHOP}: no time left for the call before the caller gives up; ${SECOND_SHOP}: no time left for the call before the caller gives up`,
    });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(fake.calls.slice(before).map((c) => c.field)).toEqual(['codeDiscountNodeByCode', 'codeDiscountNodeByCode']);
    expect(fake.codes().filter((c) => c.code === code)).toEqual([]);
  });

  it('never returns the access token through GraphQL', async () => {
    const stores = await system.graphql<{ stores: Record<string, unknown>[] }>('{ stores { code shopifyShopDomain } }', {}, system.adminHeaders());
    expect(JSON.stringify(stores)).not.toContain('shpat_');
  });
});

describe('deactivateShopifyDiscount', () => {
  it('ends the code in every shop, after which a checkout cannot use it; again is DONE without another deactivation', async () => {
    const code = 'M4N5B6V7C8X9Z2A3';
    expect(await purchases.deactivateShopifyDiscount({ couponId: '6740a1b2c3d4e5f601234567', code })).toMatchObject({ status: 'DONE' });
    expect(fake.code(SHOP, code)?.deactivatedAt).toBe(now.toISOString());
    expect(fake.use(SHOP, code, 'gid://shopify/Customer/7623451099001')).toEqual({ applied: false, reason: 'This discount code is no longer valid' });
    const before = fake.calls.length;
    expect(await purchases.deactivateShopifyDiscount({ couponId: '6740a1b2c3d4e5f601234567', code })).toMatchObject({ status: 'DONE' });
    expect(fake.calls.slice(before).map((c) => c.field)).toEqual(['codeDiscountNodeByCode', 'codeDiscountNodeByCode']);
  });

  it('is DONE for a code a shop never had, and RETRY while Shopify fails', async () => {
    expect(await purchases.deactivateShopifyDiscount({ couponId: '6740a1b2c3d4e5f601234567', code: 'NEVERCREATED2345' })).toMatchObject({ status: 'DONE' });
    fake.failNext({ kind: 'http', status: 500 });
    expect(await purchases.deactivateShopifyDiscount({ couponId: '6740a1b2c3d4e5f601234567', code: 'K7PQ2M9XW4RT8HNB' })).toMatchObject({ status: 'RETRY', retryAfterMs: 5000 });
  });
});
