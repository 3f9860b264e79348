import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@omo/lib/core/config';
import { startFakeShopifyAdmin, type FakeShopifyAdmin } from '@omo/tools/testing/fake-shopify-admin';
import { examplesOf, resolve } from '../helpers/doc-examples';
import { deliver, SECRET, SHOP } from '../helpers/shopify';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * docs/online-redemption.md's examples, run in order against a fresh system with the fake Shopify Admin API: the
 * GraphQL ones as the member, the JSON ones as the Shopify webhook they are (signed, with the topic below). Between
 * examples the outboxes run, as their workers would.
 */
const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const TOPICS: Record<string, string> = { order: 'orders/create' };
const now = new Date('2026-11-20T01:31:00.000Z');

let system: TestSystem;
let fake: FakeShopifyAdmin;
let hanakoId: string;
const values: Record<string, string> = {};

beforeAll(async () => {
  fake = await startFakeShopifyAdmin({ tokens: { [TOKEN]: SHOP }, now: () => now });
  system = await startTestSystem({ SHOPIFY_ADMIN_BASE_URL: fake.url }, undefined, { runBackground: false, clock: () => now });
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE', shopifyShopDomain: SHOP, shopifyWebhookSecret: SECRET, shopifyAdminAccessToken: TOKEN } },
    system.adminHeaders(),
  );
  values.$EC_STORE_ID = ok(store).createStore.id;
  const registered = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: '山田花子', email: 'hanako.yamada@example.com', phone: '090-0000-1234', registeredVia: 'ONLINE' } },
    system.adminHeaders(),
  );
  hanakoId = ok(registered).registerMember.id;
  ok(await system.graphql('mutation ($id: ID!) { adjustPoints(memberId: $id, amount: 900, reason: "docs", idempotencyKey: "docs") { account { balance } } }', { id: hanakoId }, system.adminHeaders()));
  const reward = await system.graphql<{ createReward: { id: string } }>(
    'mutation { createReward(input: { nameJa: "500円引き", nameEn: "¥500 off", pointsCost: 500, benefit: { kind: YEN_OFF, yenOff: 500 }, online: true }) { id } }',
    {},
    system.adminHeaders(),
  );
  values.$REWARD_ID = ok(reward).createReward.id;
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

const examples = examplesOf(readFileSync(path.join(REPO_ROOT, 'docs', 'online-redemption.md'), 'utf8'));

describe('docs/online-redemption.md', () => {
  it('has its examples', () => {
    expect(examples.map((e) => e.name)).toEqual(['redeem', 'coupons', 'order', 'purchase']);
  });

  it.each(examples.map((e) => [e.name, e] as const))('example "%s" answers as documented', async (name, example) => {
    let actual: unknown;
    if (example.kind === 'json') {
      const body = Buffer.from(JSON.stringify(resolve(JSON.parse(example.body), undefined, values)));
      actual = await deliver(system.subgraphs.purchases.url, body, {
        topic: TOPICS[name]!,
        webhookId: `docs-${name}-0000-0000-0000-000000000000`,
        eventId: `docs-${name}-event-0000-0000-000000000000`,
        triggeredAt: now.toISOString(),
      });
    } else {
      const response = await system.graphql(example.body, resolve(example.variables, undefined, values) as Record<string, unknown>, system.customerHeaders(hanakoId));
      actual = { data: response.data, ...(response.errors ? { errors: response.errors } : {}) };
    }
    expect(actual).toEqual(resolve(example.response, actual, values));
    await system.subgraphs.points.built.outbox.drain();
    await system.subgraphs.purchases.built.outbox.drain();
  });
});
