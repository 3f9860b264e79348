import { startFakeSmaregi, type FakeSmaregi } from '../helpers/fake-smaregi';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Our balance back to Smaregi, end to end: a member mapped to a Smaregi customer changes points through the gateway
 * (an online purchase, staff adjustments), and the customer's point field in the fake Smaregi follows, through
 * points' outbox, purchases' smaregiBalance and the connector's push, as each worker runs its items.
 */
const CONTRACT = 'sb_balance01';
let fake: FakeSmaregi;
let system: TestSystem;
let now = Date.now();
let onlineStoreId: string;
let customers = 0;

async function runOutboxes(): Promise<void> {
  for (let round = 0; round < 3; round += 1) {
    await system.subgraphs.members.built.outbox.drain();
    await system.subgraphs.purchases.built.outbox.drain();
    await system.subgraphs.points.built.outbox.drain();
    await system.subgraphs.purchases.built.outbox.drain();
  }
}

/** A member registered online, mapped to a new customer of the contract before their sign-up bonus is written. */
async function mappedMember(): Promise<{ memberId: string; customerId: string }> {
  customers += 1;
  const { registerMember } = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: `スマレジ${customers}`, email: `smaregi-${customers}@example.com`, registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  );
  const customer = fake.putCustomer(CONTRACT, { customerCode: registerMember.memberCode, lastName: 'スマレジ', firstName: String(customers), point: 0 });
  const customerId = String(customer.customerId);
  await system.db.collection<{ _id: string; [field: string]: unknown }>('smaregi_customers').insertOne({
    _id: `${CONTRACT}:${customerId}`, contractId: CONTRACT, customerId, memberId: registerMember.id, customerCode: registerMember.memberCode, origin: 'CONNECTOR', createdAt: new Date(now),
  });
  return { memberId: registerMember.id, customerId };
}

async function balanceOf(memberId: string): Promise<number> {
  const { member } = ok(await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id: memberId }, system.staffHeaders()));
  return member.points.balance;
}

async function adjust(memberId: string, amount: number, key: string): Promise<void> {
  ok(await system.graphql(
    'mutation($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "調整", idempotencyKey: $key) { account { balance } } }',
    { memberId, amount, key },
    system.staffHeaders(),
  ));
}

beforeAll(async () => {
  fake = await startFakeSmaregi({ now: () => new Date(now) });
  system = await startTestSystem(fake.settings([{ contractId: CONTRACT, stores: {} }]), undefined, { runBackground: false, clock: () => new Date(now) });
  const { createStore } = ok(
    await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'EC', name: 'オンラインストア', kind: 'ONLINE' } }, system.adminHeaders()),
  );
  onlineStoreId = createStore.id;
});

afterAll(async () => {
  await system.close();
  await fake.close();
});

it('a mapped member’s online purchase: Smaregi’s point field ends at our balance', async () => {
  const { memberId, customerId } = await mappedMember();
  await adjust(memberId, 500, 'smaregi-e2e-grant');
  await runOutboxes();
  // the sign-up bonus (100) and the grant
  expect(await balanceOf(memberId)).toBe(600);
  expect(fake.pointOf(CONTRACT, customerId)).toBe(600);
  const { recordPurchase } = ok(
    await system.graphql<{ recordPurchase: { status: string; pointsRedeemed: number } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status pointsRedeemed } }',
      {
        input: {
          idempotencyKey: 'smaregi-e2e-online-1', storeId: onlineStoreId, memberId, externalId: '#1001',
          lines: [{ sku: 'BEANS-01', name: 'コーヒー豆', unitPrice: 2400, quantity: 1 }], total: 2400, pointsToRedeem: 200,
          occurredAt: new Date(now).toISOString(),
        },
      },
      system.staffHeaders(),
    ),
  );
  expect(recordPurchase).toEqual({ status: 'COMPLETED', pointsRedeemed: 200 });
  await runOutboxes();
  // the points earned online are pending (not usable yet), so the balance is what the redemption left
  expect(await balanceOf(memberId)).toBe(400);
  expect(fake.pointOf(CONTRACT, customerId)).toBe(400);
});

it('two quick changes: Smaregi ends at the later balance', async () => {
  const { memberId, customerId } = await mappedMember();
  await adjust(memberId, 300, 'smaregi-e2e-quick-1');
  await adjust(memberId, -120, 'smaregi-e2e-quick-2');
  await runOutboxes();
  expect(await balanceOf(memberId)).toBe(280);
  expect(fake.pointOf(CONTRACT, customerId)).toBe(280);
  const sent = fake.apiCalls(CONTRACT, 'PATCH').filter((c) => c.path === `/${CONTRACT}/pos/customers/${customerId}/point`);
  expect(sent.at(-1)?.body).toEqual({ point: '280', pointExpireDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
});

it('a member registered elsewhere gets a Smaregi customer that carries the balance points has when it is linked (syncMember)', async () => {
  customers += 1;
  const { registerMember } = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: '後から', email: 'linked-later@example.com', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  );
  await adjust(registerMember.id, 250, 'smaregi-e2e-later');
  await runOutboxes();
  const link = await system.db.collection<{ _id: string; customerId: string; memberId: string }>('smaregi_customers').findOne({ memberId: registerMember.id });
  expect(link).not.toBeNull();
  expect(fake.customer(CONTRACT, link!.customerId)).toMatchObject({ customerCode: registerMember.memberCode });
  expect(fake.pointOf(CONTRACT, link!.customerId)).toBe(350);
});

it('Smaregi down, then answering 429 for a while: the connector catches up when it answers, nothing lost', async () => {
  const { memberId, customerId } = await mappedMember();
  await runOutboxes();
  expect(fake.pointOf(CONTRACT, customerId)).toBe(100);
  fake.fail({ status: 503, times: 'always' });
  await adjust(memberId, 40, 'smaregi-e2e-down-1');
  await runOutboxes();
  await adjust(memberId, 60, 'smaregi-e2e-down-2');
  expect(await balanceOf(memberId)).toBe(200);
  await runOutboxes();
  expect(fake.pointOf(CONTRACT, customerId)).toBe(100);
  fake.clearFailures();
  fake.fail({ status: 429, retryAfter: '30', times: 2 });
  now += 10 * 60_000;
  await runOutboxes();
  now += 30_000;
  await runOutboxes();
  now += 30_000;
  await runOutboxes();
  expect(fake.pointOf(CONTRACT, customerId)).toBe(200);
  const statuses = fake.apiCalls(CONTRACT, 'PATCH').filter((c) => c.path === `/${CONTRACT}/pos/customers/${customerId}/point`).map((c) => c.status);
  expect(new Set(statuses)).toEqual(new Set([200, 503, 429]));
  expect(statuses.at(-1)).toBe(200);
  expect(await system.subgraphs.purchases.built.outbox.pending()).toBe(0);
});

it('a customer Smaregi refused is listed for staff, and an admin pushes it again once it is back', async () => {
  const { memberId, customerId } = await mappedMember();
  const fields = fake.customer(CONTRACT, customerId)!;
  fake.deleteCustomer(CONTRACT, customerId);
  await adjust(memberId, 20, 'smaregi-e2e-refused');
  await runOutboxes();
  const OUT_OF_STEP = 'query($c: String) { smaregiPointPushesOutOfStep(contractId: $c) { id customerId memberId state pushedPoint reason status } }';
  const { smaregiPointPushesOutOfStep } = ok(await system.graphql<{ smaregiPointPushesOutOfStep: unknown[] }>(OUT_OF_STEP, { c: CONTRACT }, system.staffHeaders()));
  expect(smaregiPointPushesOutOfStep).toEqual([{ id: `${CONTRACT}:${customerId}`, customerId, memberId, state: 'REFUSED', pushedPoint: null, reason: '会員が存在しません', status: 404 }]);
  const AGAIN = 'mutation($c: String!, $id: String!) { pushSmaregiPointsAgain(contractId: $c, customerId: $id) { state pushedPoint reason } }';
  expect((await system.graphql(AGAIN, { c: CONTRACT, id: customerId }, system.staffHeaders())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect((await system.graphql(OUT_OF_STEP, { c: CONTRACT }, system.customerHeaders(memberId))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  fake.putCustomer(CONTRACT, { ...fields, customerId, point: 0 });
  const { pushSmaregiPointsAgain } = ok(await system.graphql<{ pushSmaregiPointsAgain: unknown }>(AGAIN, { c: CONTRACT, id: customerId }, system.adminHeaders()));
  expect(pushSmaregiPointsAgain).toEqual({ state: 'PUSHED', pushedPoint: 120, reason: null });
  expect(fake.pointOf(CONTRACT, customerId)).toBe(120);
  expect(ok(await system.graphql<{ smaregiPointPushesOutOfStep: unknown[] }>(OUT_OF_STEP, { c: CONTRACT }, system.staffHeaders())).smaregiPointPushesOutOfStep).toEqual([]);
});
