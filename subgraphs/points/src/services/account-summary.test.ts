import express from 'express';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { internalClient } from '@omo/lib/server/internal-api';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';
import { pointsContract, type AccountSummary } from '@omo/lib/contracts/points';
import { createLogger } from '@omo/lib/core/logger';
import { accountSummary } from './account-summary';
import { BirthdayBonusJob, type BirthdayPages } from './birthday-bonus.job';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
const START = new Date('2026-05-10T03:00:00.000Z');
const DAY_MS = 86_400_000;

let db: TestDatabase;
let points: PointsSubgraph;
let http: RunningHttpServer;
let now: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  points = buildPointsSubgraph(testBuildOptions(db.connection, { clock: () => now }));
  await ensureIndexes(db.connection);
  http = await listen(express().use(points.routes!), 0);
});
afterAll(async () => {
  await http.close();
  await db.drop();
});
beforeEach(async () => {
  now = START;
  // one test turns the return window on: every test starts from the default policy
  await points.deps.policy.setPointsPolicy(ADMIN, { pendingDays: 0 });
});

const newMember = () => new Types.ObjectId().toHexString();
const summaryOf = (memberId: string) => accountSummary(points.deps, { memberId });
const signUp = (memberId: string) => points.settlement.signupBonus({ memberId, actor: 'system' });

let purchases = 0;
function buy(memberId: string, amount: number, pointsToRedeem = 0, where: { storeId: string; channel: 'STORE' | 'ONLINE' } = { storeId: 'store-1', channel: 'STORE' }) {
  purchases += 1;
  return points.settlement.settle({
    purchaseId: `p-${purchases}`,
    memberId,
    ...where,
    amount,
    pointsToRedeem,
    occurredAt: now.toISOString(),
    actor: 'pos:key-1',
  });
}

describe('account summary', () => {
  it('shows a member without any points as an empty REGULAR account on the way to SILVER', async () => {
    expect(await summaryOf(newMember())).toEqual<AccountSummary>({
      balance: 0,
      pendingBalance: 0,
      tier: 'REGULAR',
      qualifyingSpend: 0,
      nextTier: 'SILVER',
      spendToNextTier: 50_000,
      expiring: [],
      history: [],
    });
  });

  it('gives balance, pending points, tier progress, expiry dates and history as of one moment', async () => {
    const memberId = newMember();
    await signUp(memberId);
    await points.deps.policy.setPointsPolicy(ADMIN, { pendingDays: 14 });
    now = new Date(START.getTime() + DAY_MS);
    await buy(memberId, 60_000, 50);

    expect(await summaryOf(memberId)).toEqual<AccountSummary>({
      balance: 50,
      pendingBalance: 600,
      tier: 'SILVER',
      qualifyingSpend: 60_000,
      nextTier: 'GOLD',
      spendToNextTier: 90_000,
      // each lot lasts 365 days, to the end of that day in Japan
      expiring: [
        { points: 50, expiresAt: new Date('2027-05-10T14:59:59.999Z') },
        { points: 600, expiresAt: new Date('2027-05-11T14:59:59.999Z') },
      ],
      history: [
        { type: 'EARN', amount: 600, createdAt: now, channel: 'STORE', storeId: 'store-1', reason: null },
        { type: 'REDEEM', amount: -50, createdAt: now, channel: 'STORE', storeId: 'store-1', reason: null },
        { type: 'BONUS', amount: 100, createdAt: START, channel: null, storeId: null, reason: 'signup' },
      ],
    });
  });

  it('lists only the five newest entries, newest first', async () => {
    const memberId = newMember();
    await signUp(memberId);
    for (const amount of [100, 200, 300, 400, 500, 600]) await buy(memberId, amount);
    const { history } = await summaryOf(memberId);
    expect(history.map((entry) => [entry.type, entry.amount])).toEqual([
      ['EARN', 6],
      ['EARN', 5],
      ['EARN', 4],
      ['EARN', 3],
      ['EARN', 2],
    ]);
  });

  it('counts expired points for nothing even before the expiry job writes them off', async () => {
    const memberId = newMember();
    await signUp(memberId);
    now = new Date('2027-05-10T15:00:00.000Z');
    expect(await summaryOf(memberId)).toMatchObject({ balance: 0, expiring: [], history: [{ type: 'BONUS', amount: 100 }] });
  });

  it('says where each entry happened and what a bonus was for, across channels and refunds', async () => {
    const memberId = newMember();
    await signUp(memberId);
    await points.deps.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 200 });
    const birthdays: BirthdayPages = () => Promise.resolve({ members: [{ memberId }], next: null });
    await new BirthdayBonusJob(points.deps.policy, points.deps.ledger, points.deps.models.ledger, birthdays, createLogger('silent')).run(now);
    await points.deps.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 0 });
    await buy(memberId, 3_000, 0, { storeId: 'shop-online', channel: 'ONLINE' });
    const online = `p-${purchases}`;
    await buy(memberId, 1_000, 0, { storeId: 'store-2', channel: 'STORE' });
    await points.settlement.reverse({
      refundId: 'r-1',
      purchaseId: online,
      memberId,
      refundedAmountTotal: 3_000,
      refundAmount: 3_000,
      purchaseAmount: 3_000,
      purchaseOccurredAt: now.toISOString(),
      actor: 'shopify',
    });
    const { history } = await summaryOf(memberId);
    expect(history.map(({ type, amount, channel, storeId, reason }) => ({ type, amount, channel, storeId, reason }))).toEqual([
      { type: 'REVERSAL', amount: -30, channel: 'ONLINE', storeId: 'shop-online', reason: null },
      { type: 'EARN', amount: 10, channel: 'STORE', storeId: 'store-2', reason: null },
      { type: 'EARN', amount: 30, channel: 'ONLINE', storeId: 'shop-online', reason: null },
      { type: 'BONUS', amount: 200, channel: null, storeId: null, reason: 'birthday' },
      { type: 'BONUS', amount: 100, channel: null, storeId: null, reason: 'signup' },
    ]);
  });

  it('names no reason for a bonus that is neither the sign-up nor the birthday bonus, so a text written for staff never reaches the customer', async () => {
    const memberId = newMember();
    await points.deps.ledger.bonus({ memberId, points: 50, key: `goodwill:${memberId}`, actor: 'staff:staff-1', reason: 'complained twice, keep him sweet' });
    const { history } = await summaryOf(memberId);
    expect(history.map(({ type, amount, reason }) => ({ type, amount, reason }))).toEqual([{ type: 'BONUS', amount: 50, reason: null }]);
  });

  it('refuses a malformed member id as BAD_USER_INPUT', async () => {
    expect((await rejection(summaryOf('not-an-id'))).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberId' });
  });

  it('is served to other services at POST /internal/accounts/summary, its dates read back as the same instants', async () => {
    const memberId = newMember();
    await signUp(memberId);
    const client = internalClient(pointsContract, { directory: { baseUrl: () => http.url }, internalSecret: TEST_INTERNAL_SECRET, service: 'line' });
    expect(await client.accountSummary({ memberId })).toMatchObject({
      balance: 100,
      expiring: [{ points: 100, expiresAt: new Date('2027-05-10T14:59:59.999Z') }],
      history: [{ type: 'BONUS', amount: 100, createdAt: START, channel: null, storeId: null, reason: 'signup' }],
    });
    expect((await rejection(client.accountSummary({ memberId: 42 as unknown as string }))).extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
