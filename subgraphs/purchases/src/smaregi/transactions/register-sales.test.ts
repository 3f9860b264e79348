import { randomUUID } from 'node:crypto';
import express from 'express';
import { listen } from '@omo/lib/server/http';
import { testConfig } from '@omo/tools/testing/config';
import { openTestDatabase, uniqueDbName, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { startFakeSmaregi, type FakeSmaregi } from '../../../../../test/helpers/fake-smaregi';
import { buildPurchasesSubgraph, type PurchasesSubgraph } from '../../server';
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
  fake = await startFakeSmaregi();
  databases = [];
});
afterEach(async () => {
  await fake.close();
  await databases[0]?.drop();
  await Promise.all(databases.slice(1).map((d) => d.connection.close()));
});

async function purchasesWith(dbName: string, stores: Record<string, string>): Promise<PurchasesSubgraph> {
  const db = await openTestDatabase(dbName);
  databases.push(db);
  return buildPurchasesSubgraph(testBuildOptions(db.connection, { config: testConfig(fake.settings([{ contractId: CONTRACT, stores }])) }));
}

/** A pos:transactions event as the receiver stores it, carried out by this process's outbox. */
async function carryOut(purchases: PurchasesSubgraph, transactionHeadId: string): Promise<void> {
  const event: SmaregiEventPayload = { contractId: CONTRACT, eventId: randomUUID(), event: 'pos:transactions', action: 'created', transactionHeadIds: [transactionHeadId], customerIds: [], receivedAt: new Date().toISOString() };
  const key = eventItemKey(CONTRACT, event.eventId);
  await purchases.outbox.enqueue(key, 'smaregiEvent', event);
  expect(await purchases.outbox.process(key)).toMatchObject({ doneAt: expect.any(Date), lastError: null });
}

test('a sale carried out again after its Smaregi store was mapped to another of ours stays the one purchase at the first store', async () => {
  const dbName = uniqueDbName('smaregi');
  const before = await purchasesWith(dbName, { '1': 'SHIBUYA' });
  const shibuya = await before.storeService.create(ADMIN, { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' });
  await before.storeService.create(ADMIN, { code: 'HARAJUKU', name: '原宿店', kind: 'PHYSICAL' });
  const id = String(fake.putTransaction(CONTRACT, { details: [{ productCode: 'TEA-01', productName: 'お茶', salesPrice: 120, quantity: 1, unitDiscountedSum: 120 }] }).transactionHeadId);
  await carryOut(before, id);

  const after = await purchasesWith(dbName, { '1': 'HARAJUKU' });
  await carryOut(after, id);
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
