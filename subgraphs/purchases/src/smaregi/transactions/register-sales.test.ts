import { randomUUID } from 'node:crypto';
import express from 'express';
import { listen } from '@omo/lib/server/http';
import { testConfig } from '@omo/tools/testing/config';
import { openTestDatabase, uniqueDbName, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { startFakeSmaregi, type FakeSmaregi } from '../../../../../test/helpers/fake-smaregi';
import { buildPurchasesSubgraph, type PurchasesSubgraph } from '../../server';
import type { SmaregiCustomerLinkDoc } from '../customers/customer-link.model';
import { eventItemKey, type SmaregiEventPayload } from '../webhook/webhook-request';

/**
 * Guest sales (no points to settle) carried out by purchases processes on one database, against the fake Smaregi
 * API: what recording keeps when the processes disagree about the store mapping (a deploy changing SMAREGI_CONTRACTS).
 */
const CONTRACT = 'sb_sales0002';
const ADMIN = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' } as const;

let fake: FakeSmaregi;
let databases: TestDatabase[];

beforeEach(async () => {
  now = Date.now();
  fake = await startFakeSmaregi();
  databases = [];
});
afterEach(async () => {
  await fake.close();
  await databases[0]?.drop();
  await Promise.all(databases.slice(1).map((d) => d.connection.close()));
});

let now: number;
const clock = () => new Date(now);

async function purchasesWith(dbName: string, stores: Record<string, string>): Promise<PurchasesSubgraph> {
  const db = await openTestDatabase(dbName);
  databases.push(db);
  return buildPurchasesSubgraph(testBuildOptions(db.connection, { config: testConfig(fake.settings([{ contractId: CONTRACT, stores }])), clock }));
}

/** A pos:transactions event as the receiver stores it, carried out by this process's outbox. */
/** `transactionHeadIds`: one id, or several joined by commas. */
async function carryOut(purchases: PurchasesSubgraph, transactionHeadIds: string): Promise<string> {
  const event: SmaregiEventPayload = { contractId: CONTRACT, eventId: randomUUID(), event: 'pos:transactions', action: 'created', transactionHeadIds: transactionHeadIds.split(','), customerIds: [], receivedAt: clock().toISOString() };
  const key = eventItemKey(CONTRACT, event.eventId);
  await purchases.outbox.enqueue(key, 'smaregiEvent', event);
  await purchases.outbox.process(key);
  return key;
}

test('a sale carried out again after its Smaregi store was mapped to another of ours stays the one purchase at the first store', async () => {
  const dbName = uniqueDbName('smaregi');
  const before = await purchasesWith(dbName, { '1': 'SHIBUYA' });
  const shibuya = await before.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  await before.storeService.create(ADMIN, { code: 'HARAJUKU', name: '原宿店', kind: 'PHYSICAL' });
  const id = String(fake.putTransaction(CONTRACT, { details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId);
  expect(await before.outbox.find(await carryOut(before, id))).toMatchObject({ doneAt: expect.any(Date), lastError: null });

  const after = await purchasesWith(dbName, { '1': 'HARAJUKU' });
  expect(await after.outbox.find(await carryOut(after, id))).toMatchObject({ doneAt: expect.any(Date), lastError: null });
  const purchases = await after.models.purchases.find({ idempotencyKey: `smaregi:${CONTRACT}:${id}` }).lean().exec();
  expect(purchases.map((p) => [p.storeId, p.amountPaid])).toEqual([[shibuya._id.toHexString(), 120]]);
  const page = await after.smaregi.webhooks.log.page(ADMIN, { first: 10 });
  expect(page.nodes.filter((e) => e.transactionHeadId === id).map((e) => e.outcome).sort()).toEqual(['DUPLICATE', 'RECORDED']);
});

test('no contract configured: POST /webhooks/smaregi is 404, whatever it carries, and nothing is stored', async () => {
  const db = await openTestDatabase();
  databases.push(db);
  const purchases = buildPurchasesSubgraph(testBuildOptions(db.connection));
  const server = await listen(express().use(purchases.routes!), 0);
  try {
    const response = await fake.sendWebhook(`${server.url}/webhooks/smaregi`, { contractId: CONTRACT, event: 'pos:transactions', action: 'created', transactionHeadIds: ['1'] }, { secret: 'any-secret-at-all-0000', header: 'x-smaregi-webhook-secret' });
    expect(response.status).toBe(404);
    expect(await purchases.outbox.pending()).toBe(0);
  } finally {
    await server.close();
  }
});

test('a member’s sale while members cannot be reached waits RECEIVED with the reason, and after 24 hours of it ends FAILED for staff', async () => {
  // purchases alone: members and points cannot be reached
  const purchases = await purchasesWith(uniqueDbName('smaregi'), { '1': 'SHIBUYA' });
  await purchases.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  const memberId = '6a0f3c43511c2a6758d751ee';
  // the customer linked to its member already (customers/), so no call to members is needed to find the member
  await databases[0]!.connection
    .collection<SmaregiCustomerLinkDoc>('smaregi_customers')
    .insertOne({ _id: `${CONTRACT}:5`, contractId: CONTRACT, customerId: '5', memberId, customerCode: null, origin: 'REGISTER', createdAt: clock() });
  const id = String(fake.putTransaction(CONTRACT, { customerId: 5, details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId);
  const key = await carryOut(purchases, id);
  const entry = async () => (await purchases.smaregi.webhooks.log.page(ADMIN, { first: 5 })).nodes.map((e) => [e.outcome, e.reason]);
  expect(await entry()).toEqual([['RECEIVED', 'waiting: members is unavailable: fetch failed']]);
  expect(await purchases.models.purchases.countDocuments()).toBe(0);

  now += 24 * 3_600_000 + 1;
  expect(await purchases.outbox.process(key, { ignoreBackoff: true })).toMatchObject({ doneAt: expect.any(Date) });
  expect(await entry()).toEqual([['FAILED', 'not carried out within 24 hours: members is unavailable: fetch failed']]);
});

test('an event of many transactions stops taking them after 15 s, within its outbox lease, and the next attempt carries on', async () => {
  const purchases = await purchasesWith(uniqueDbName('smaregi'), { '1': 'SHIBUYA' });
  await purchases.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  const ids = [1, 2].map(() => String(fake.putTransaction(CONTRACT, { details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId));
  const held = fake.hold({ method: 'GET', path: `/transactions/${ids[0]}` });
  const running = carryOut(purchases, ids.join(','));
  await held.arrived;
  now += 15_000;
  held.release();
  const key = await running;
  const outcomes = async () => (await purchases.smaregi.webhooks.log.page(ADMIN, { first: 5 })).nodes.map((e) => [e.transactionHeadId, e.outcome]).sort();
  expect(await purchases.outbox.find(key)).toMatchObject({ doneAt: null, attempts: 1, lastError: 'carrying on with the rest of the event' });
  expect(await outcomes()).toEqual([
    [ids[0], 'RECORDED'],
    [ids[1], 'RECEIVED'],
  ]);
  expect(await purchases.outbox.process(key)).toMatchObject({ doneAt: expect.any(Date) });
  expect(await outcomes()).toEqual([
    [ids[0], 'RECORDED'],
    [ids[1], 'RECORDED'],
  ]);
});

test('Smaregi answering 429 with Retry-After: the attempt stops at the first refused GET and the next comes after it', async () => {
  const purchases = await purchasesWith(uniqueDbName('smaregi'), { '1': 'SHIBUYA' });
  await purchases.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  const ids = [1, 2, 3].map(() => String(fake.putTransaction(CONTRACT, { details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId));
  fake.fail({ method: 'GET', path: '/transactions/', status: 429, retryAfter: '30', times: 'always' });
  const key = await carryOut(purchases, ids.join(','));
  expect(fake.apiCalls(CONTRACT, 'GET').filter((c) => c.path.includes('/transactions/'))).toHaveLength(1);
  expect(await purchases.outbox.find(key)).toMatchObject({ doneAt: null, attempts: 1, nextAttemptAt: new Date(now + 30_000) });
  fake.clearFailures();
  now += 30_000;
  expect(await purchases.outbox.process(key)).toMatchObject({ doneAt: expect.any(Date) });
  const outcomes = (await purchases.smaregi.webhooks.log.page(ADMIN, { first: 5 })).nodes.map((e) => e.outcome);
  expect(outcomes).toEqual(['RECORDED', 'RECORDED', 'RECORDED']);
});

test('Smaregi answering 429 with Retry-After to a pos:customers event: the attempt stops at the first GET and the next comes after it', async () => {
  const purchases = await purchasesWith(uniqueDbName('smaregi'), { '1': 'SHIBUYA' });
  const ids = [1, 2, 3].map((n) => String(fake.putCustomer(CONTRACT, { customerCode: `R${n}`, lastName: '山田', firstName: String(n) }).customerId));
  fake.fail({ method: 'GET', path: '/customers/', status: 429, retryAfter: '30', times: 'always' });
  const event: SmaregiEventPayload = { contractId: CONTRACT, eventId: randomUUID(), event: 'pos:customers', action: 'edited', transactionHeadIds: [], customerIds: ids, receivedAt: clock().toISOString() };
  const key = eventItemKey(CONTRACT, event.eventId);
  await purchases.outbox.enqueue(key, 'smaregiEvent', event);
  await purchases.outbox.process(key);
  expect(fake.apiCalls(CONTRACT, 'GET').filter((c) => c.path.includes('/customers/'))).toHaveLength(1);
  expect(await purchases.outbox.find(key)).toMatchObject({ doneAt: null, attempts: 1, nextAttemptAt: new Date(now + 30_000) });
});

test('a sale recorded and still settling after 24 hours is not given up FAILED: it waits on its settlement, its purchase shown', async () => {
  const purchases = await purchasesWith(uniqueDbName('smaregi'), { '1': 'SHIBUYA' });
  await purchases.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  const id = String(fake.putTransaction(CONTRACT, { details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId);
  // points unreachable for the purchase's settlement: it stays PENDING_POINTS (a guest sale stands in for it)
  const record = purchases.purchaseService.record.bind(purchases.purchaseService);
  const settling = jest.spyOn(purchases.purchaseService, 'record').mockImplementation(async (...args) => ({ ...(await record(...args)), state: 'PENDING_POINTS' }));
  const key = await carryOut(purchases, id);
  const entry = async () => (await purchases.smaregi.webhooks.log.page(ADMIN, { first: 5 })).nodes.map((e) => [e.outcome, e.reason, e.purchaseId]);
  const [purchase] = await purchases.models.purchases.find({ idempotencyKey: `smaregi:${CONTRACT}:${id}` }).lean().exec();
  const purchaseId = purchase!._id.toHexString();
  expect(await entry()).toEqual([['RECEIVED', 'settling: its points are still being settled', purchaseId]]);

  now += 24 * 3_600_000 + 1;
  expect(await purchases.outbox.process(key, { ignoreBackoff: true })).toMatchObject({ doneAt: null });
  expect(await entry()).toEqual([['RECEIVED', 'settling: its points are still being settled', purchaseId]]);
  settling.mockRestore();
  expect(await purchases.outbox.process(key, { ignoreBackoff: true })).toMatchObject({ doneAt: expect.any(Date) });
  expect(await entry()).toEqual([['RECORDED', 'a guest purchase (no Smaregi customer)', purchaseId]]);
});

test('a late worker’s “waiting” written after another decided the entry never stands over the outcome', async () => {
  const purchases = await purchasesWith(uniqueDbName('smaregi'), { '1': 'SHIBUYA' });
  await purchases.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  const id = String(fake.putTransaction(CONTRACT, { details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId);
  await carryOut(purchases, id);
  const [decided] = (await purchases.smaregi.webhooks.log.page(ADMIN, { first: 5 })).nodes;
  await purchases.smaregi.webhooks.log.write(decided!._id, { outcome: 'RECEIVED', reason: 'waiting: Smaregi GET (sb_sales0002): fetch failed' });
  await purchases.smaregi.webhooks.log.write(decided!._id, { outcome: 'FAILED', reason: 'not carried out within 24 hours: fetch failed' });
  const [after] = (await purchases.smaregi.webhooks.log.page(ADMIN, { first: 5 })).nodes;
  expect([after!.outcome, after!.reason, after!.purchaseId]).toEqual(['RECORDED', 'a guest purchase (no Smaregi customer)', decided!.purchaseId]);
});
