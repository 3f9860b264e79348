import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { AppError } from '@omo/lib/core/errors';
import { createLogger } from '@omo/lib/core/logger';
import { pointsContract } from '@omo/lib/contracts/points';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient, internalRouter, ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { until } from '@omo/tools/testing/concurrency';
import { testConfig } from '@omo/tools/testing/config';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions, TEST_INTERNAL_SECRET } from '@omo/tools/testing/subgraph';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';

/**
 * Points' side of the Smaregi balance mirror against a stand-in for purchases' smaregiBalance route (served over
 * HTTP from the contract, as purchases serves it; it answers what each test scripts, QUEUED by default) and for
 * members' existence check. Each path that changes points is run, then points' outbox, and the marks purchases
 * received are compared with what the member's account says.
 */
const admin: Caller = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' };
const START = Date.UTC(2030, 3, 1, 3, 0, 0);
const DAY = 86_400_000;
const SMAREGI = {
  SMAREGI_CONTRACTS: JSON.stringify([{ contractId: 'sb_test01', stores: { '1': 'store-1' } }]),
  SMAREGI_CLIENT_ID: 'client-id',
  SMAREGI_CLIENT_SECRET: 'client-secret',
  SMAREGI_WEBHOOK_SECRET: 'webhook-secret-0123456789',
};

type Mark = { memberId: string; seq: number; balance: number; asOf: string };
let marks: Mark[];
let answers: (() => Promise<{ status: 'QUEUED' | 'NOT_MAPPED' | 'DISABLED' }>)[];

let server: Server;
let pointsServer: Server;
let db: TestDatabase;
let plainDb: TestDatabase;
/** Points with a Smaregi contract configured. */
let points: PointsSubgraph;
/** Points of a retailer without Smaregi. */
let plain: PointsSubgraph;
let now: number;

beforeAll(async () => {
  const app = express().use(express.json());
  app.post('/internal/members/exists', (req, res) => res.json({ existing: (req.body as { ids: string[] }).ids }));
  // members saying nobody subscribes to partner events: points.changed writes nothing (docs/events.md)
  app.post('/internal/partner-events/topics', (_req, res) => res.json({ topics: [] }));
  app.use(
    internalRouter(purchasesContract, {
      merge: () => Promise.reject(new Error('not in this test')),
      resolveStores: () => Promise.reject(new Error('not in this test')),
      segmentFilter: () => Promise.reject(new Error('not in this test')),
      claimReceipt: () => Promise.reject(new Error('not in this test')),
      createShopifyDiscount: () => Promise.reject(new Error('not in this test')),
      deactivateShopifyDiscount: () => Promise.reject(new Error('not in this test')),
      smaregiMember: () => Promise.reject(new Error('not in this test')),
      smaregiBalance: (mark) => {
        marks.push(JSON.parse(JSON.stringify(mark)) as Mark);
        return answers.shift()?.() ?? Promise.resolve({ status: 'QUEUED' as const });
      },
    }, { internalSecret: TEST_INTERNAL_SECRET, logger: createLogger('silent') }),
  );
  server = await listen(app);
  const standIn = urlOf(server);
  const options = (connection: TestDatabase['connection'], env: Record<string, string>) =>
    testBuildOptions(connection, { config: testConfig(env), clock: () => new Date(now), services: { baseUrl: () => standIn } });
  db = await openTestDatabase();
  plainDb = await openTestDatabase();
  points = buildPointsSubgraph(options(db.connection, SMAREGI));
  plain = buildPointsSubgraph(options(plainDb.connection, {}));
  await ensureIndexes(db.connection);
  await ensureIndexes(plainDb.connection);
  pointsServer = await listen(express().use(points.routes!));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => pointsServer.close(resolve));
  await db.drop();
  await plainDb.drop();
});
beforeEach(async () => {
  now = START;
  // members' answer had before the test, as a running points has it: without one every event counts as wanted
  for (const { publisher } of [points.partnerEvents, plain.partnerEvents]) {
    publisher.wants('points.changed');
    await publisher.settled();
  }
  marks = [];
  answers = [];
});

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
}
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

const member = () => new Types.ObjectId().toHexString();
const at = (ms: number) => new Date(ms).toISOString();
const bonus = (subgraph: PointsSubgraph, memberId: string, points: number) =>
  subgraph.deps.ledger.bonus({ memberId, points, key: `bonus:${memberId}:${points}`, actor: 'test', reason: 'test' });
const settle = (subgraph: PointsSubgraph, memberId: string, purchaseId: string, amount: number, pointsToRedeem = 0, channel: 'STORE' | 'ONLINE' = 'STORE') =>
  subgraph.settlement.settle({ purchaseId, memberId, storeId: 'store-1', channel, amount, pointsToRedeem, occurredAt: at(now), actor: 'pos:key-1' });
type Item = { _id: string; type: string; payload: { memberId: string }; nextAttemptAt: Date; doneAt: Date | null; result: unknown };
const smaregiItems = (subgraph: PointsSubgraph) =>
  (subgraph === points ? db : plainDb).connection.collection<Item>('points_outbox').find({ type: { $in: ['smaregi-balance', 'smaregi-balance-matures'] } }).toArray();

describe('every change of a member’s points reaches the Smaregi connector', () => {
  it('sends the state read when each item runs: a bonus, then a sale that redeems and earns', async () => {
    const memberId = member();
    await bonus(points, memberId, 300);
    expect(await points.outbox.drain()).toBe(1);
    expect(marks).toEqual([{ memberId, seq: 1, balance: 300, asOf: at(START) }]);

    marks = [];
    now += 1_000;
    await settle(points, memberId, 'p-1', 5_360, 200);
    expect(await points.outbox.drain()).toBe(2);
    // both items (the redeem's and the earn's) read the head when they run: the state after the sale
    expect(marks).toEqual([1, 2].map(() => ({ memberId, seq: 3, balance: 153, asOf: at(START + 1_000) })));
    expect(await points.outbox.pending()).toBe(0);
  });

  it('follows a refund, a staff adjustment, a coupon and its give-back, and the expiry job', async () => {
    const memberId = member();
    await settle(points, memberId, 'p-2', 10_000);
    await points.settlement.reverse({ refundId: 'r-2', purchaseId: 'p-2', memberId, refundedAmountTotal: 5_000, refundAmount: 5_000, purchaseAmount: 10_000, purchaseOccurredAt: at(now), actor: 'pos:key-1' });
    await points.outbox.drain();
    expect(marks).toEqual([1, 2].map(() => ({ memberId, seq: 2, balance: 50, asOf: at(START) })));

    marks = [];
    await points.deps.ledger.adjust(admin, { memberId, amount: 450, reason: 'goodwill', idempotencyKey: `goodwill-${memberId}` });
    await points.outbox.drain();
    expect(marks).toEqual([{ memberId, seq: 3, balance: 500, asOf: at(START) }]);

    marks = [];
    const { rewardId } = await points.deps.rewards.create(admin, { nameJa: '100円引き', nameEn: '¥100 off', pointsCost: 100, benefit: { kind: 'YEN_OFF', yenOff: 100 }, storeIds: [new Types.ObjectId().toHexString()] });
    const coupon = await points.deps.coupons.redeem({ kind: 'customer', memberId }, { rewardId: rewardId.toHexString(), idempotencyKey: 'c-1' });
    await points.outbox.drain();
    expect(marks).toEqual([{ memberId, seq: 4, balance: 400, asOf: at(START) }]);
    marks = [];
    await points.deps.coupons.cancel(admin, coupon._id.toHexString());
    await points.outbox.drain();
    expect(marks).toEqual([{ memberId, seq: 5, balance: 500, asOf: at(START) }]);

    // every lot of this member expires at the end of the same JST day, a year on by the default policy
    marks = [];
    const { lots } = await points.deps.ledger.state(memberId);
    now = Math.max(...lots.map((l) => l.expiresAt.getTime()));
    await points.expiry.run(new Date(now));
    await points.outbox.drain();
    // the job writes off the earlier tests' members too, each followed by its own mark
    expect(marks.filter((m) => m.memberId === memberId)).toEqual([{ memberId, seq: 6, balance: 0, asOf: at(now) }]);
  });

  it('follows a merge: the merged member ends at 0, the survivor holds both balances', async () => {
    const [from, to] = [member(), member()];
    await bonus(points, from, 120);
    await bonus(points, to, 80);
    await points.outbox.drain();
    marks = [];
    await points.settlement.merge({ mergeId: `m-${from}`, fromMemberId: from, toMemberId: to, actor: 'staff:s1' });
    await points.outbox.drain();
    expect(marks).toHaveLength(2);
    expect(marks).toEqual(expect.arrayContaining([
      { memberId: from, seq: 2, balance: 0, asOf: at(START) },
      { memberId: to, seq: 2, balance: 200, asOf: at(START) },
    ]));
  });

  it('writes nothing and sends nothing when no Smaregi contract is configured', async () => {
    const memberId = member();
    await bonus(plain, memberId, 300);
    plainDb.commands.length = 0;
    await settle(plain, memberId, 'p-3', 5_000, 100);
    expect(plainDb.commands.filter((c) => Object.values(c.command).includes('points_outbox'))).toEqual([]);
    await plain.outbox.drain();
    expect(marks).toEqual([]);
    expect(await smaregiItems(plain)).toEqual([]);
  });

  it('costs one insert per ledger entry of a sale, and its items a few commands each when they run', async () => {
    const [withSmaregi, without] = [member(), member()];
    await bonus(points, withSmaregi, 300);
    await bonus(plain, without, 300);
    await points.outbox.drain();
    db.commands.length = 0;
    plainDb.commands.length = 0;
    await settle(points, withSmaregi, 'p-4', 5_000, 100);
    await settle(plain, without, 'p-4', 5_000, 100);
    const added = db.commands.length - plainDb.commands.length;
    expect(db.commands.filter((c) => Object.values(c.command).includes('points_outbox')).map((c) => c.commandName)).toEqual(['insert', 'insert']);
    expect(added).toBe(2);

    db.commands.length = 0;
    expect(await points.outbox.drain()).toBe(2);
    // the drain's due list and lease pruning once, then per item: its read, its lease, the entry by key, the
    // snapshot and its outcome (the item as that write left it is not read back)
    expect(db.commands.map((c) => c.commandName)).toHaveLength(2 + 2 * 5);
  });

  it('retries an unreachable purchases service with the outbox’s back-off, and is done on NOT_MAPPED and DISABLED', async () => {
    const memberId = member();
    answers.push(() => Promise.reject(new ServiceUnavailableError('smaregi', 'HTTP 503')));
    await bonus(points, memberId, 300);
    const key = `smaregi-balance:bonus:${memberId}:300`;
    expect(await points.outbox.process(key)).toMatchObject({ doneAt: null, attempts: 1, nextAttemptAt: new Date(START + 2_000) });
    now += 2_000;
    expect(await points.outbox.process(key)).toMatchObject({ doneAt: new Date(now), result: { status: 'QUEUED', seq: 1, balance: 300 } });
    expect(marks).toHaveLength(2);

    answers.push(() => Promise.resolve({ status: 'NOT_MAPPED' }), () => Promise.resolve({ status: 'DISABLED' }));
    await points.deps.ledger.adjust(admin, { memberId, amount: 5, reason: 'a', idempotencyKey: `a-${memberId}` });
    await points.deps.ledger.adjust(admin, { memberId, amount: 5, reason: 'b', idempotencyKey: `b-${memberId}` });
    expect(await points.outbox.drain()).toBe(2);
    // the two adjustments' items were due at once, in either order: each read the state after both
    const results = (await smaregiItems(points)).filter((i) => i.payload.memberId === memberId).map((i) => i.result as { status: string });
    expect(results.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { status: 'DISABLED', seq: 3, balance: 310 },
      { status: 'NOT_MAPPED', seq: 3, balance: 310 },
      { status: 'QUEUED', seq: 1, balance: 300 },
    ]);
  });

  it('ends an item whose mark purchases refuses, with the reason kept on it', async () => {
    const memberId = member();
    answers.push(() => Promise.reject(new AppError('balance is out of range', 'BAD_USER_INPUT')));
    await bonus(points, memberId, 300);
    expect(await points.outbox.drain()).toBe(1);
    expect(await points.outbox.find(`smaregi-balance:bonus:${memberId}:300`)).toMatchObject({ result: { refused: 'balance is out of range' } });
  });
});

describe('a process that dies between the item and the ledger entry', () => {
  const failInsertOnce = (subgraph: PointsSubgraph) =>
    jest.spyOn(subgraph.deps.models.ledger, 'create').mockImplementationOnce(() => Promise.reject(new Error('the process died')));

  it('leaves an item that sends nothing when the change never happens, and ends', async () => {
    const memberId = member();
    const spy = failInsertOnce(points);
    await expect(points.deps.ledger.adjust(admin, { memberId, amount: 40, reason: 'x', idempotencyKey: `x-${memberId}` })).rejects.toThrow('the process died');
    spy.mockRestore();
    const key = `smaregi-balance:adjust:x-${memberId}`;
    expect(await points.outbox.process(key)).toMatchObject({ doneAt: null, lastError: 'its ledger entry is not written yet' });
    now += 60_000;
    expect(await points.outbox.process(key)).toMatchObject({ doneAt: new Date(now), result: { skipped: 'no entry was written under this key' } });
    expect(marks).toEqual([]);
  });

  it('sends the change when the request is retried after its item has ended', async () => {
    const memberId = member();
    const spy = failInsertOnce(points);
    const request = { memberId, amount: 40, reason: 'x', idempotencyKey: `x-${memberId}` };
    await expect(points.deps.ledger.adjust(admin, request)).rejects.toThrow('the process died');
    spy.mockRestore();
    now += 60_000;
    await points.outbox.drain();
    expect(await points.outbox.find(`smaregi-balance:adjust:x-${memberId}`)).toMatchObject({ result: { skipped: 'no entry was written under this key' } });

    now += 1_000;
    await points.deps.ledger.adjust(admin, request);
    expect(await points.outbox.drain()).toBe(1);
    expect(marks).toEqual([{ memberId, seq: 1, balance: 40, asOf: at(now) }]);
  });

  it('sends the change when the retry that wrote the entry died too, before running its item again', async () => {
    const memberId = member();
    const spy = failInsertOnce(points);
    const request = { memberId, amount: 40, reason: 'w', idempotencyKey: `w-${memberId}` };
    await expect(points.deps.ledger.adjust(admin, request)).rejects.toThrow('the process died');
    spy.mockRestore();
    now += 60_000;
    await points.outbox.drain();
    const rearm = jest.spyOn(points.outbox, 'rearm').mockRejectedValueOnce(new Error('the process died'));
    await expect(points.deps.ledger.adjust(admin, request)).rejects.toThrow('the process died');
    rearm.mockRestore();
    expect(await points.outbox.drain()).toBe(0);
    expect(marks).toEqual([]);

    now += 1_000;
    await points.deps.ledger.adjust(admin, request);
    expect(await points.outbox.drain()).toBe(1);
    expect(marks).toEqual([{ memberId, seq: 1, balance: 40, asOf: at(now) }]);
  });

  it('does not send the state before the change when the item runs between the two writes', async () => {
    const memberId = member();
    await bonus(points, memberId, 100);
    await points.outbox.drain();
    marks = [];
    const ledgerModel = points.deps.models.ledger;
    const create = ledgerModel.create.bind(ledgerModel);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserting = false;
    const spy = jest.spyOn(ledgerModel, 'create').mockImplementationOnce((async (...args: Parameters<typeof create>) => {
      inserting = true;
      await held;
      return create(...args);
    }));
    const adjusting = points.deps.ledger.adjust(admin, { memberId, amount: 25, reason: 'y', idempotencyKey: `y-${memberId}` });
    const key = `smaregi-balance:adjust:y-${memberId}`;
    await until(() => inserting);
    expect(await points.outbox.process(key)).toMatchObject({ doneAt: null, lastError: 'its ledger entry is not written yet' });
    release();
    await adjusting;
    spy.mockRestore();
    now += 2_000;
    expect(await points.outbox.drain()).toBe(1);
    expect(marks).toEqual([{ memberId, seq: 2, balance: 125, asOf: at(now) }]);
  });
});

describe('pending points becoming usable', () => {
  it('arrange one more send, due when the earliest becomes usable', async () => {
    const memberId = member();
    await bonus(points, memberId, 50);
    await settle(points, memberId, 'online-1', 3_000, 0, 'ONLINE');
    now += 3_600_000;
    await settle(points, memberId, 'online-2', 2_000, 0, 'ONLINE');
    await points.outbox.drain();
    expect(marks.at(-1)).toEqual({ memberId, seq: 3, balance: 50, asOf: at(now) });
    const first = START + 14 * DAY;
    expect((await smaregiItems(points)).filter((i) => i.type === 'smaregi-balance-matures' && i.payload.memberId === memberId)).toEqual([
      expect.objectContaining({ _id: `smaregi-balance-matures:${memberId}:${first}`, nextAttemptAt: new Date(first), doneAt: null }),
    ]);

    marks = [];
    now = first - 1;
    expect(await points.outbox.drain()).toBe(0);
    now = first;
    expect(await points.outbox.drain()).toBe(1);
    expect(marks).toEqual([{ memberId, seq: 3, balance: 80, asOf: at(first) }]);
    const second = START + 3_600_000 + 14 * DAY;
    now = second;
    expect(await points.outbox.drain()).toBe(1);
    expect(marks).toEqual([{ memberId, seq: 3, balance: 80, asOf: at(first) }, { memberId, seq: 3, balance: 100, asOf: at(second) }]);
    expect((await smaregiItems(points)).filter((i) => i.payload.memberId === memberId && !i.doneAt)).toEqual([]);
  });
});

describe('balanceState (points’ internal route)', () => {
  const client = () => internalClient(pointsContract, { directory: { baseUrl: () => urlOf(pointsServer) }, internalSecret: TEST_INTERNAL_SECRET, service: 'purchases' });

  it('is seq 0 and balance 0 for a member with no ledger', async () => {
    const memberId = member();
    expect(await client().balanceState({ memberId })).toEqual({ memberId, seq: 0, balance: 0, asOf: new Date(START) });
  });

  it('counts usable points only, minus points owed, and arranges the send for pending ones', async () => {
    const memberId = member();
    await settle(points, memberId, 'online-3', 4_000, 0, 'ONLINE');
    await bonus(points, memberId, 30);
    // a register that spent 50 on a stale copy: the 30 usable are spent, then 20 of the online order's 40 pending
    // (as a refund's take-back would), so nothing is owed; the sale's earn of 10 is usable; 20 are still pending
    await points.settlement.settle({ purchaseId: 'store-3', memberId, storeId: 'store-1', channel: 'STORE', amount: 1_000, pointsToRedeem: 50, occurredAt: at(now), actor: 'pos:key-1', overdraft: 'ALLOW' });
    expect(await client().balanceState({ memberId })).toEqual({ memberId, seq: 4, balance: 10, asOf: new Date(START) });
    const maturity = `smaregi-balance-matures:${memberId}:${START + 14 * DAY}`;
    expect(await points.outbox.find(maturity)).toMatchObject({ nextAttemptAt: new Date(START + 14 * DAY), doneAt: null });

    // one that spent 100: the 30 usable and the 40 pending are spent and 30 owed; the earn of 10 pays 10 of it
    const owing = member();
    await settle(points, owing, 'online-4', 4_000, 0, 'ONLINE');
    await bonus(points, owing, 30);
    await points.settlement.settle({ purchaseId: 'store-4', memberId: owing, storeId: 'store-1', channel: 'STORE', amount: 1_000, pointsToRedeem: 100, occurredAt: at(now), actor: 'pos:key-1', overdraft: 'ALLOW' });
    expect(await client().balanceState({ memberId: owing })).toEqual({ memberId: owing, seq: 4, balance: -20, asOf: new Date(START) });

    now = START + 14 * DAY;
    expect(await client().balanceState({ memberId })).toEqual({ memberId, seq: 4, balance: 30, asOf: new Date(now) });
    expect(await client().balanceState({ memberId: owing })).toEqual({ memberId: owing, seq: 4, balance: -20, asOf: new Date(now) });
  });
});
