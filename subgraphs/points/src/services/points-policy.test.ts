import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { ledgerEntryModel, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import { endOfJstDay } from '@omo/lib/core/time';
import { ExpiryJob } from './expiry.job';
import { LedgerService } from './ledger.service';
import { verifyLedger } from './ledger-verify';
import { viewAt } from './lots';
import { createRulesModule, type RulesModule } from './rules.module';
import { SettlementService } from './settlement.service';
import { createLogger } from '@omo/lib/core/logger';

const staff: Caller = { kind: 'staff', staffId: 'policy-admin', role: 'ADMIN' };
const DAY = 86_400_000;
const START = new Date('2026-06-01T01:00:00Z'); // 10:00 JST

let db: TestDatabase;
let ledgerModel: LedgerEntryModel;
let accounts: PointAccountModel;
let rules: RulesModule;
let ledger: LedgerService;
let settlement: SettlementService;
let now: Date;

beforeEach(async () => {
  db = await openTestDatabase();
  now = START;
  const clock = () => now;
  ledgerModel = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
  rules = createRulesModule(db.connection, clock);
  ledger = new LedgerService(ledgerModel, accounts, rules.policy, clock, () => Promise.resolve(true));
  settlement = new SettlementService(ledger, rules.policy, rules.tiers, rules.calculator);
  await ensureIndexes(db.connection);
});
afterEach(async () => {
  expect((await verifyLedger(ledgerModel, accounts)).problems).toEqual([]);
  await db.drop();
});

const memberId = () => new Types.ObjectId().toHexString();
const view = async (id: string) => viewAt(await ledger.state(id), now);
const buy = (id: string, purchaseId: string, amount: number, at: Date) =>
  settlement.settle({ purchaseId, memberId: id, storeId: 'store-1', channel: 'STORE', amount, pointsToRedeem: 0, occurredAt: at.toISOString(), actor: 'pos:k' });

describe('point policy over time', () => {
  it('ends a day at midnight Japan time', () => {
    expect(endOfJstDay(new Date('2026-06-01T14:59:59.999Z')).toISOString()).toBe('2026-06-01T14:59:59.999Z');
    expect(endOfJstDay(new Date('2026-06-01T15:00:00.000Z')).toISOString()).toBe('2026-06-02T14:59:59.999Z');
    expect(endOfJstDay(new Date('2026-05-31T20:00:00.000Z')).toISOString()).toBe('2026-06-01T14:59:59.999Z');
  });

  it('keeps purchase points pending through the return window, then makes them usable', async () => {
    await rules.policy.setPointsPolicy(staff, { pendingDays: 14 });
    const id = memberId();
    await buy(id, 'p-1', 10_000, START);
    expect(await view(id)).toMatchObject({ balance: 0, pending: 100 });
    await expect(settlement.settle({ purchaseId: 'p-2', memberId: id, storeId: 'store-1', channel: 'STORE', amount: 0, pointsToRedeem: 1, occurredAt: START.toISOString(), actor: 'pos:k' })).rejects.toMatchObject({
      extensions: { code: 'INSUFFICIENT_POINTS' },
    });
    now = new Date(START.getTime() + 14 * DAY);
    expect(await view(id)).toMatchObject({ balance: 100, pending: 0 });
  });

  it('expires each lot a validity period after it was earned, soonest first, with the job writing each off once', async () => {
    await rules.policy.setPointsPolicy(staff, { lotValidityDays: 30 });
    const id = memberId();
    await buy(id, 'p-3', 5_000, START);
    await buy(id, 'p-4', 7_000, new Date(START.getTime() + 10 * DAY));
    expect((await view(id)).expiring.map((e) => e.points)).toEqual([50, 70]);

    now = new Date(START.getTime() + 31 * DAY);
    expect(await view(id)).toMatchObject({ balance: 70 });
    const job = new ExpiryJob(accounts, ledger, createLogger('silent'));
    const [a, b] = await Promise.all([job.run(now), job.run(now)]);
    expect(a.entriesWritten + b.entriesWritten).toBe(1);
    expect(a.pointsExpired + b.pointsExpired).toBe(50);
    expect((await ledger.state(id)).lots.map((l) => l.remaining)).toEqual([70]);
  });

  it('under AFTER_LAST_PURCHASE, extends every lot with each purchase and expires all after inactivity', async () => {
    await rules.policy.setPointsPolicy(staff, { expiryMode: 'AFTER_LAST_PURCHASE', inactivityDays: 60 });
    const id = memberId();
    await buy(id, 'p-5', 3_000, START);
    const later = new Date(START.getTime() + 50 * DAY);
    now = later;
    await buy(id, 'p-6', 2_000, later);
    // the first lot would have expired at day 60; the second purchase moved both to day 110
    now = new Date(START.getTime() + 100 * DAY);
    expect(await view(id)).toMatchObject({ balance: 50, expiring: [{ points: 50, expiresAt: endOfJstDay(new Date(later.getTime() + 60 * DAY)) }] });
    now = new Date(START.getTime() + 111 * DAY);
    expect(await view(id)).toMatchObject({ balance: 0 });
  });
});
