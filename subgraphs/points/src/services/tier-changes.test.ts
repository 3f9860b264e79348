import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import type { PartnerEvent } from '@omo/lib/events/partner-events';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';
import { defaultPolicy } from './points-policy';

/**
 * tier.changed's crash and race paths (tier-changes.ts), against a stand-in for members that follows the topic and
 * keeps what it is sent. The default tiers: SILVER from 50,000 yen, GOLD from 150,000, over 365 days.
 */
const START = Date.UTC(2030, 3, 1, 3, 0, 0);

let server: Server;
let db: TestDatabase;
let points: PointsSubgraph;
let now: number;
let published: PartnerEvent[];

const newMember = () => new Types.ObjectId().toHexString();
const spendRecords = () => db.connection.collection('qualifying_spend');
const changesOf = (memberId: string) => db.connection.collection('tier_changes').find({ memberId }).sort({ n: 1 }).toArray();
// in the publisher's order (the change number n): points' outbox may hand two changes over the other way round,
// which members puts right (docs/events.md, "Order"); this stand-in for members only records them
const tierEventsOf = (memberId: string) =>
  published
    .filter((e) => e.memberId === memberId)
    .sort((a, b) => (a.order?.position ?? 0) - (b.order?.position ?? 0))
    .map((e) => [e.id, e.data.from, e.data.to, e.data.reason]);

beforeAll(async () => {
  const app = express().use(express.json());
  app.post('/internal/members/exists', (req, res) => res.json({ existing: (req.body as { ids: string[] }).ids }));
  app.post('/internal/partner-events/topics', (_req, res) => res.json({ topics: ['tier.changed'] }));
  app.post('/internal/partner-events', (req, res) => {
    published.push(req.body as PartnerEvent);
    res.json({ accepted: true, deliveries: 1 });
  });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const standIn = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = await openTestDatabase();
  points = buildPointsSubgraph(testBuildOptions(db.connection, { clock: () => new Date(now), services: { baseUrl: () => standIn } }));
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});
beforeEach(() => {
  now = START;
  published = [];
});

async function drain(): Promise<void> {
  for (let round = 0; round < 3; round += 1) await points.outbox.drain();
}

it('three job runs at once, after a spend write whose check was lost, record and publish the rise once', async () => {
  const memberId = newMember();
  // the spend written, its process dead before its check: only the job can see the change
  await spendRecords().insertOne({ _id: `purchase:${new Types.ObjectId().toHexString()}` as never, memberId, amount: 60_000, occurredAt: new Date(now), purchaseId: null, transferKey: null, createdAt: new Date(now) });
  const runs = await Promise.all([1, 2, 3].map(() => points.tierChanges.run(new Date(now))));
  expect(runs.reduce((sum, r) => sum + r.changes, 0)).toBe(1);
  await drain();
  expect((await changesOf(memberId)).map((c) => [c._id, c.from, c.to, c.reason, c.cause] as unknown[])).toEqual([[`${memberId}:1`, 'REGULAR', 'SILVER', 'EXPIRY', 'tier-job']]);
  expect(tierEventsOf(memberId)).toEqual([[`tier.changed:${memberId}:1`, 'REGULAR', 'SILVER', 'EXPIRY']]);
  expect(await db.connection.collection('member_tiers').findOne({ _id: memberId as never })).toMatchObject({ tier: 'SILVER', n: 1 });
});

it('a writer that died between its item and its change: the item ends having published nothing, and the retry that writes the change publishes it', async () => {
  const memberId = newMember();
  const key = `purchase:${new Types.ObjectId().toHexString()}`;
  await spendRecords().insertOne({ _id: key as never, memberId, amount: 150_000, occurredAt: new Date(now), purchaseId: null, transferKey: null, createdAt: new Date(now) });
  await points.outbox.enqueue(`tier-change:${memberId}:1`, 'partner-tier-changed', { changeId: `${memberId}:1` });
  await drain();
  expect(published).toEqual([]);
  now += 61_000;
  await drain();
  expect(await points.outbox.find(`tier-change:${memberId}:1`)).toMatchObject({ doneAt: expect.any(Date), result: { skipped: 'no tier change was written under this id' } });

  // the settlement's retry: the spend's key stores nothing new, and its check writes the change
  await points.deps.tiers.recordSpend({ key, memberId, amountDelta: 150_000, occurredAt: new Date(START), reason: 'PURCHASE' });
  await drain();
  expect(tierEventsOf(memberId)).toEqual([[`tier.changed:${memberId}:1`, 'REGULAR', 'GOLD', 'PURCHASE']]);
  await points.deps.tiers.recordSpend({ key, memberId, amountDelta: 150_000, occurredAt: new Date(START), reason: 'PURCHASE' });
  await drain();
  expect(published).toHaveLength(1);
});

it('a merge moves the tier with the spend: the survivor rises, the merged member falls, each once, reason MERGE', async () => {
  const [merged, survivor] = [newMember(), newMember()];
  await points.deps.tiers.recordSpend({ key: `purchase:${new Types.ObjectId().toHexString()}`, memberId: merged, amountDelta: 160_000, occurredAt: new Date(now), reason: 'PURCHASE' });
  await points.deps.tiers.recordSpend({ key: `purchase:${new Types.ObjectId().toHexString()}`, memberId: survivor, amountDelta: 10_000, occurredAt: new Date(now), reason: 'PURCHASE' });
  now += 1_000;
  const merge = { mergeId: new Types.ObjectId().toHexString(), fromMemberId: merged, toMemberId: survivor, actor: 'staff:admin-1' };
  await points.settlement.merge(merge);
  await points.settlement.merge(merge);
  await drain();
  expect(tierEventsOf(merged)).toEqual([
    [`tier.changed:${merged}:1`, 'REGULAR', 'GOLD', 'PURCHASE'],
    [`tier.changed:${merged}:2`, 'GOLD', 'REGULAR', 'MERGE'],
  ]);
  expect(tierEventsOf(survivor)).toEqual([[`tier.changed:${survivor}:1`, 'REGULAR', 'GOLD', 'MERGE']]);
});

it('an imported tier is one change, reason IMPORT; the import resent adds none', async () => {
  const memberId = newMember();
  const input = { actor: 'staff:admin-1', items: [{ memberId, key: 'import:OLD-0001', lots: [{ points: 300, expiresAt: new Date(START + 100 * 86_400_000) }], tier: 'GOLD' as const }] };
  await points.deps.imports.importBalances(input);
  await points.deps.imports.importBalances(input);
  await drain();
  expect(tierEventsOf(memberId)).toEqual([[`tier.changed:${memberId}:1`, 'REGULAR', 'GOLD', 'IMPORT']]);
  expect(published.find((e) => e.memberId === memberId)?.data).toMatchObject({ qualifyingSpend: 150_000, ledgerSeq: 1 });
});

it('a writer stalled past a minute between its item and its change: its item, given up meanwhile, is rearmed and publishes the change', async () => {
  const memberId = newMember();
  const changes = db.connection.model('TierChange');
  const insert = changes.insertMany.bind(changes);
  // the stall: the item runs, finds no change and is given up, before the change goes in
  const stalled = jest.spyOn(changes, 'insertMany').mockImplementationOnce((async (...args: Parameters<typeof insert>) => {
    await drain();
    now += 61_000;
    await drain();
    return insert(...args);
  }) as never);
  await points.deps.tiers.recordSpend({ key: `purchase:${new Types.ObjectId().toHexString()}`, memberId, amountDelta: 60_000, occurredAt: new Date(now), reason: 'PURCHASE' });
  stalled.mockRestore();
  await drain();
  expect(tierEventsOf(memberId)).toEqual([[`tier.changed:${memberId}:1`, 'REGULAR', 'SILVER', 'PURCHASE']]);
});

it('an import batch that died between its items and its changes: the rerun writes the changes and rearms the items, each published once', async () => {
  const members = [newMember(), newMember()];
  for (const memberId of members) await points.outbox.enqueue(`tier-change:${memberId}:1`, 'partner-tier-changed', { changeId: `${memberId}:1` });
  now += 61_000;
  await drain();
  expect(published).toEqual([]);
  const input = {
    actor: 'staff:admin-1',
    items: members.map((memberId, i) => ({ memberId, key: `import:OLD-10${i}`, lots: [{ points: 300, expiresAt: new Date(START + 100 * 86_400_000) }], tier: i ? ('SILVER' as const) : ('GOLD' as const) })),
  };
  await points.deps.imports.importBalances(input);
  await points.deps.imports.importBalances(input);
  await drain();
  expect(members.flatMap(tierEventsOf)).toEqual([
    [`tier.changed:${members[0]}:1`, 'REGULAR', 'GOLD', 'IMPORT'],
    [`tier.changed:${members[1]}:1`, 'REGULAR', 'SILVER', 'IMPORT'],
  ]);
});

it('an import batch racing another writer on one member: the writer keeps its change, the batch records the next one and the others, each published once', async () => {
  const [raced, other] = [newMember(), newMember()];
  const changes = db.connection.model('TierChange');
  const insert = changes.insertMany.bind(changes);
  // another writer (a purchase seen before the import's spend) records the raced member's first change first
  const racing = jest.spyOn(changes, 'insertMany').mockImplementationOnce((async (...args: Parameters<typeof insert>) => {
    await db.connection.collection('tier_changes').insertOne({ _id: `${raced}:1` as never, memberId: raced, n: 1, from: 'REGULAR', to: 'SILVER', reason: 'PURCHASE', cause: 'purchase:other', qualifyingSpend: 60_000, ledgerSeq: 1, at: new Date(now) });
    return insert(...args);
  }) as never);
  const items = [raced, other].map((memberId, i) => ({ memberId, key: `import:OLD-20${i}`, lots: [{ points: 300, expiresAt: new Date(START + 100 * 86_400_000) }], tier: 'GOLD' as const }));
  await points.deps.imports.importBalances({ actor: 'staff:admin-1', items });
  racing.mockRestore();
  await drain();
  expect(tierEventsOf(raced).filter(([id]) => String(id).startsWith('tier.changed:'))).toEqual([
    [`tier.changed:${raced}:1`, 'REGULAR', 'SILVER', 'PURCHASE'],
    [`tier.changed:${raced}:2`, 'SILVER', 'GOLD', 'IMPORT'],
  ]);
  expect(tierEventsOf(other).filter(([id]) => String(id).startsWith('tier.changed:'))).toEqual([[`tier.changed:${other}:1`, 'REGULAR', 'GOLD', 'IMPORT']]);
  expect((await changesOf(raced)).map((change) => change._id)).toEqual([`${raced}:1`, `${raced}:2`]);
});

const DAY_MS = 86_400_000;
const sale = (memberId: string, amount: number, occurredAt: number) => ({
  purchaseId: new Types.ObjectId().toHexString(),
  memberId,
  storeId: 'store-1',
  channel: 'STORE',
  amount,
  pointsToRedeem: 0,
  occurredAt: new Date(occurredAt).toISOString(),
  actor: 'pos:key-1',
});
const reasonsOf = async (memberId: string) => (await changesOf(memberId)).map((c) => [c.from, c.to, c.reason] as unknown[]);

/** The clock moved to `at` (a member's purchase at START out of the window by then), and the tier job run. */
async function tierJobAt(at: number): Promise<void> {
  now = at;
  await drain();
  await points.tierChanges.run(new Date(now));
  await drain();
}
const FELL_BACK = [['REGULAR', 'SILVER', 'PURCHASE'], ['SILVER', 'REGULAR', 'EXPIRY']];

it('a backdated sale that crosses a tier records the change with reason PURCHASE at once, though its tier at its time was the tier after', async () => {
  const memberId = newMember();
  await points.settlement.settle(sale(memberId, 60_000, now));
  await tierJobAt(START + 365 * DAY_MS + 2 * 60 * 60_000);
  expect(await reasonsOf(memberId)).toEqual(FELL_BACK);
  // at its time (two days ago) the first purchase was still in the window: SILVER before this sale, and SILVER after
  await points.settlement.settle(sale(memberId, 60_000, now - 2 * DAY_MS));
  expect((await reasonsOf(memberId)).slice(2)).toEqual([['REGULAR', 'SILVER', 'PURCHASE']]);
});

it('a settlement retried after its first try died before its spend does the full check, and records the change with reason PURCHASE', async () => {
  const memberId = newMember();
  await points.settlement.settle(sale(memberId, 60_000, now));
  now = START + 365 * DAY_MS - 60 * 60_000;
  const late = sale(memberId, 60_000, now);
  const tiers = points.deps.tiers;
  const recordSpend = tiers.recordSpend.bind(tiers);
  tiers.recordSpend = () => Promise.reject(new Error('the process died after the earn'));
  try {
    await expect(points.settlement.settle(late)).rejects.toThrow('the process died after the earn');
  } finally {
    tiers.recordSpend = recordSpend;
  }
  // two hours on, the first purchase has left the window and the job has seen the member fall back
  await tierJobAt(now + 2 * 60 * 60_000);
  expect(await reasonsOf(memberId)).toEqual(FELL_BACK);
  expect(await points.settlement.settle(late)).toMatchObject({ pointsEarned: expect.any(Number) });
  expect((await reasonsOf(memberId)).slice(2)).toEqual([['REGULAR', 'SILVER', 'PURCHASE']]);
});

it('a sale made just before the tier rules changed does the full check, and records the change its spend caused with reason PURCHASE', async () => {
  const memberId = newMember();
  await points.settlement.settle(sale(memberId, 60_000, now));
  now += 60_000;
  const changedAt = now;
  const admin: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
  const doubled = defaultPolicy().tiers.map((rule) => ({ ...rule, minSpend: rule.minSpend * 2 }));
  await points.deps.policy.setTierRules(admin, doubled);
  try {
    await tierJobAt(changedAt + 1_000);
    expect(await reasonsOf(memberId)).toEqual(FELL_BACK);
    // SILVER by the old rules at its time (60,000 yen), SILVER by the new ones after it (110,000)
    now = changedAt + 10_000;
    await points.settlement.settle(sale(memberId, 50_000, changedAt - 30_000));
    expect((await reasonsOf(memberId)).slice(2)).toEqual([['REGULAR', 'SILVER', 'PURCHASE']]);
  } finally {
    await points.deps.policy.setTierRules(admin, defaultPolicy().tiers);
  }
});
