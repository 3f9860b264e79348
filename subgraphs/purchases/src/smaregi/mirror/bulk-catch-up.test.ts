import express from 'express';
import { Types } from 'mongoose';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { testConfig } from '@omo/tools/testing/config';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { startFakeSmaregi, type FakeSmaregi } from '../../../../../test/helpers/fake-smaregi';
import { buildPurchasesSubgraph, type PurchasesSubgraph } from '../../server';
import { customerLinkId } from '../customers/customer-link.model';
import { BULK_CALLBACK_PATH } from './bulk-catch-up';
import { BULK_TIMEOUT_MS } from './point-push';

const CONTRACT = 'sb_bulk01';
let fake: FakeSmaregi;
let db: TestDatabase;
let http: RunningHttpServer;
let purchases: PurchasesSubgraph;
let now: number;
const clock = () => new Date(now);
/** Customer n (1-based) is member n's. */
const members = Array.from({ length: 7 }, () => new Types.ObjectId().toHexString());

async function link(n: number): Promise<void> {
  const customerId = String(n);
  fake.putCustomer(CONTRACT, { customerId, customerCode: `C${n}`, lastName: '山田', firstName: '花子', point: 0 });
  await db.connection.collection<{ _id: string; [field: string]: unknown }>('smaregi_customers').insertOne({
    _id: customerLinkId(CONTRACT, customerId), contractId: CONTRACT, customerId, memberId: members[n - 1], customerCode: `C${n}`, origin: 'REGISTER', createdAt: clock(),
  });
}

const mark = (n: number, seq: number, balance: number) => purchases.smaregi.mirror.mark({ memberId: members[n - 1]!, seq, balance, asOf: new Date(Date.parse('2026-03-02T01:00:00Z') + seq) });
const singlePatches = () => fake.apiCalls(CONTRACT, 'PATCH').filter((c) => c.path.endsWith('/point')).map((c) => [c.path.split('/')[4], (c.body as { point: string }).point, c.status]);
const points = (count: number) => Array.from({ length: count }, (_, i) => fake.pointOf(CONTRACT, String(i + 1)));

/** `count` customers whose pushes failed while Smaregi was down (each at 10 × n points), then Smaregi back. */
async function behindAfterOutage(count: number): Promise<void> {
  fake.fail({ status: 503, times: 'always' });
  for (let n = 1; n <= count; n += 1) {
    await link(n);
    await mark(n, 1, 10 * n);
  }
  await purchases.outbox.drain();
  fake.clearFailures();
}

beforeEach(async () => {
  now = Date.parse('2026-03-02T01:00:00Z');
  fake = await startFakeSmaregi({ now: clock });
  db = await openTestDatabase();
  const app = express();
  http = await listen(app, 0);
  const config = testConfig(fake.settings([{ contractId: CONTRACT }], { SMAREGI_CALLBACK_BASE_URL: http.url }));
  purchases = buildPurchasesSubgraph(testBuildOptions(db.connection, { config, clock }));
  app.use(purchases.smaregi.routes);
});

afterEach(async () => {
  await http.close();
  await fake.close();
  await db.drop();
});

it('customers behind after an outage go in one bulk; the callback records them and pushes a newer mark at once', async () => {
  await behindAfterOutage(6);
  expect(await purchases.smaregi.mirror.catchUp()).toBe(6);
  const [bulk] = fake.bulks(CONTRACT);
  expect(bulk!.customerPoints).toEqual([1, 2, 3, 4, 5, 6].map((n) => ({ customerId: String(n), point: String(10 * n) })));
  expect(bulk!.callbackUrl).toMatch(new RegExp(`^${http.url}${BULK_CALLBACK_PATH}/[A-Za-z0-9_-]{32}$`));
  // the pushes come due again (their back-off over) and defer to the bulk: no PATCH beside it
  now += 60_000;
  await purchases.outbox.drain();
  expect(singlePatches().filter((p) => p[2] !== 503)).toEqual([]);
  // a change while Smaregi applies the bulk
  await mark(2, 2, 99);
  expect(await purchases.smaregi.mirror.catchUp()).toBe(0);
  expect(await fake.completeBulk(bulk!.requestId)).toBe(200);
  expect(points(6)).toEqual([10, 99, 30, 40, 50, 60]);
  expect(singlePatches().filter((p) => p[2] !== 503)).toEqual([['2', '99', 200]]);
  const records = await purchases.smaregi.mirror.models.pushes.find().sort({ _id: 1 }).lean();
  expect(records.map((r) => [r.customerId, r.state, r.pushed?.point])).toEqual([['1', 'PUSHED', 10], ['2', 'PUSHED', 99], ['3', 'PUSHED', 30], ['4', 'PUSHED', 40], ['5', 'PUSHED', 50], ['6', 'PUSHED', 60]]);
  // the deferred pushes end on their own, finding nothing left to send
  now += BULK_TIMEOUT_MS;
  await purchases.outbox.drain();
  expect(await purchases.outbox.pending()).toBe(0);
  expect(singlePatches().filter((p) => p[2] !== 503)).toEqual([['2', '99', 200]]);
});

it('a bulk whose callback never comes expires and its customers are pushed one by one', async () => {
  await behindAfterOutage(5);
  expect(await purchases.smaregi.mirror.catchUp()).toBe(5);
  now += BULK_TIMEOUT_MS;
  await purchases.outbox.drain();
  expect(points(5)).toEqual([10, 20, 30, 40, 50]);
  expect(singlePatches().filter((p) => p[2] === 200)).toHaveLength(5);
  await purchases.smaregi.mirror.catchUp();
  expect((await purchases.smaregi.mirror.models.bulks.find().lean()).map((b) => b.state)).toEqual(['EXPIRED']);
  expect(await purchases.outbox.pending()).toBe(0);
});

it('a bulk carrying an older mark lands after a newer PATCH, its callback lost: on expiry the customer ends at the newer value', async () => {
  await behindAfterOutage(5);
  expect(await purchases.smaregi.mirror.catchUp()).toBe(5);
  const [bulk] = fake.bulks(CONTRACT);
  await mark(2, 2, 99);
  now += 60_000;
  await purchases.outbox.drain();
  expect(fake.pointOf(CONTRACT, '2')).toBe(99);
  expect(await fake.completeBulk(bulk!.requestId, { loseCallback: true })).toBeNull();
  expect(points(5)).toEqual([10, 20, 30, 40, 50]);
  now += BULK_TIMEOUT_MS;
  await purchases.smaregi.mirror.catchUp();
  await purchases.outbox.drain();
  expect(points(5)).toEqual([10, 99, 30, 40, 50]);
  expect(await purchases.outbox.pending()).toBe(0);
});

it('a few customers behind are left to their own pushes', async () => {
  await behindAfterOutage(4);
  expect(await purchases.smaregi.mirror.catchUp()).toBe(0);
  expect(fake.bulks()).toEqual([]);
});

it('Smaregi still down: the bulk fails and the single pushes go on', async () => {
  await behindAfterOutage(5);
  fake.fail({ status: 503, times: 1 });
  expect(await purchases.smaregi.mirror.catchUp()).toBe(0);
  expect((await purchases.smaregi.mirror.models.bulks.find().lean()).map((b) => [b.state, b.reason])).toEqual([['FAILED', `Smaregi PATCH /customers/point/bulk (${CONTRACT}): HTTP 503 (Service Unavailable)`]]);
  now += 60_000;
  await purchases.outbox.drain();
  expect(points(5)).toEqual([10, 20, 30, 40, 50]);
});

it('a callback with a token we never issued is 404 and changes nothing', async () => {
  await behindAfterOutage(5);
  await purchases.smaregi.mirror.catchUp();
  const response = await fetch(`${http.url}${BULK_CALLBACK_PATH}/not-a-token-we-issued`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestId: 1, result: [] }) });
  expect(response.status).toBe(404);
  expect((await purchases.smaregi.mirror.models.bulks.find().lean()).map((b) => b.state)).toEqual(['SENT']);
  expect((await purchases.smaregi.mirror.models.pushes.find().lean()).map((r) => r.state)).toEqual(['RETRYING', 'RETRYING', 'RETRYING', 'RETRYING', 'RETRYING']);
});
