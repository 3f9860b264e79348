import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { createRulesModule, rulesModels, type RulesModels } from './rules.module';
import type { PolicyService } from './policy.service';
import type { RecordSpendInput, TierService } from './tier.service';
import { rejection } from '@omo/tools/testing/errors';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
const START = new Date('2030-04-01T00:00:00.000Z');
const DAY = 86_400_000;

let db: TestDatabase;
let models: RulesModels;
let policy: PolicyService;
let tiers: TierService;
let now: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  ({ policy, tiers } = createRulesModule(db.connection, () => now));
  models = rulesModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());
beforeEach(async () => {
  now = START;
  await Promise.all([models.policies.deleteMany({}), models.spend.deleteMany({})]);
});

const at = (ms: number) => new Date(START.getTime() + ms);
const newMember = () => new Types.ObjectId().toHexString();
let keys = 0;

function spend(memberId: string, amountDelta: number, occurredAt = START, key = `purchase-${(keys += 1)}`): Promise<void> {
  return tiers.recordSpend({ key, memberId, amountDelta, occurredAt, reason: 'PURCHASE' });
}

describe('TierService.tierFor', () => {
  it('puts a member without spend in REGULAR, with the way to SILVER', async () => {
    await expect(tiers.tierFor(newMember(), START)).resolves.toEqual({
      tier: 'REGULAR',
      qualifyingSpend: 0,
      nextTier: 'SILVER',
      spendToNextTier: 50_000,
      multiplierPercent: 100,
    });
  });

  it.each<[number, string, string | null, number, number]>([
    [49_999, 'REGULAR', 'SILVER', 1, 100],
    [50_000, 'SILVER', 'GOLD', 100_000, 110],
    [149_999, 'SILVER', 'GOLD', 1, 110],
    [150_000, 'GOLD', 'PLATINUM', 250_000, 125],
    [399_999, 'GOLD', 'PLATINUM', 1, 125],
    [400_000, 'PLATINUM', null, 0, 150],
    [2_000_000, 'PLATINUM', null, 0, 150],
  ])('with %i yen of spend: %s, next %s in %i yen, %i%%', async (amount, tier, nextTier, spendToNextTier, multiplierPercent) => {
    const memberId = newMember();
    await spend(memberId, amount);
    await expect(tiers.tierFor(memberId, START)).resolves.toEqual({ tier, qualifyingSpend: amount, nextTier, spendToNextTier, multiplierPercent });
  });

  it('adds up several purchases in the window', async () => {
    const memberId = newMember();
    await spend(memberId, 30_000, at(-100 * DAY));
    await spend(memberId, 25_000, at(-DAY));
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'SILVER', qualifyingSpend: 55_000 });
  });

  it('moves a member down when their spend leaves the rolling window, exactly tierWindowDays later', async () => {
    const memberId = newMember();
    await spend(memberId, 60_000, START);
    await expect(tiers.tierFor(memberId, at(365 * DAY - 1))).resolves.toMatchObject({ tier: 'SILVER', qualifyingSpend: 60_000 });
    await expect(tiers.tierFor(memberId, at(365 * DAY))).resolves.toMatchObject({ tier: 'REGULAR', qualifyingSpend: 0 });
  });

  it('does not count spend after the moment asked about', async () => {
    const memberId = newMember();
    await spend(memberId, 60_000, at(1));
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'REGULAR', qualifyingSpend: 0 });
    await expect(tiers.tierFor(memberId, at(1))).resolves.toMatchObject({ tier: 'SILVER' });
  });

  it('follows a change of the tier window', async () => {
    const memberId = newMember();
    await spend(memberId, 60_000, at(-200 * DAY));
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'SILVER' });
    await policy.setPointsPolicy(ADMIN, { tierWindowDays: 180 });
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'REGULAR' });
  });

  it('follows a change of the tier rules', async () => {
    const memberId = newMember();
    await spend(memberId, 60_000);
    await policy.setTierRules(ADMIN, [
      { tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 },
      { tier: 'SILVER', minSpend: 10_000, multiplierPercent: 105 },
      { tier: 'GOLD', minSpend: 50_000, multiplierPercent: 120 },
      { tier: 'PLATINUM', minSpend: 100_000, multiplierPercent: 140 },
    ]);
    await expect(tiers.tierFor(memberId, START)).resolves.toEqual({
      tier: 'GOLD',
      qualifyingSpend: 60_000,
      nextTier: 'PLATINUM',
      spendToNextTier: 40_000,
      multiplierPercent: 120,
    });
  });

  it('lowers the tier after a refund (negative spend)', async () => {
    const memberId = newMember();
    await spend(memberId, 160_000, at(-10 * DAY));
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'GOLD' });
    await spend(memberId, -20_000, at(-10 * DAY));
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'SILVER', qualifyingSpend: 140_000, spendToNextTier: 10_000 });
  });

  it('never reports spend below zero when refunds outweigh purchases in the window', async () => {
    const memberId = newMember();
    await spend(memberId, 10_000, at(-400 * DAY));
    await spend(memberId, -10_000, at(-DAY));
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'REGULAR', qualifyingSpend: 0, spendToNextTier: 50_000 });
  });
});

describe('TierService.recordSpend', () => {
  it('stores the same key once under 20 concurrent calls', async () => {
    const memberId = newMember();
    const input: RecordSpendInput = { key: 'purchase:p-1', memberId, amountDelta: 60_000, occurredAt: START, purchaseId: 'p-1', reason: 'PURCHASE' };
    await Promise.all(Array.from({ length: 20 }, () => tiers.recordSpend(input)));
    await expect(models.spend.countDocuments({ memberId })).resolves.toBe(1);
    await expect(tiers.tierFor(memberId, START)).resolves.toMatchObject({ tier: 'SILVER', qualifyingSpend: 60_000 });
  });

  it.each<[string, Partial<RecordSpendInput>, string]>([
    ['a fractional amount', { amountDelta: 100.5 }, 'amountDelta'],
    ['an amount over 10^9', { amountDelta: 1_000_000_001 }, 'amountDelta'],
    ['a malformed member id', { memberId: 'member-1' }, 'memberId'],
    ['an empty key', { key: '' }, 'key'],
    ['an invalid date', { occurredAt: new Date('nope') }, 'occurredAt'],
  ])('rejects %s as BAD_USER_INPUT and writes nothing', async (_label, overrides, field) => {
    const error = await rejection(tiers.recordSpend({ key: 'k', memberId: newMember(), amountDelta: 100, occurredAt: START, reason: 'PURCHASE', ...overrides }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(models.spend.countDocuments()).resolves.toBe(0);
  });
});

describe('TierService.tierForMany', () => {
  async function queriesFor(memberIds: string[]): Promise<number> {
    db.commands.length = 0;
    await tiers.tierForMany(memberIds, START);
    return db.commands.filter((c) => c.commandName === 'find' || c.commandName === 'aggregate').length;
  }

  it('answers for 50 members in as many queries as for 1', async () => {
    const members = Array.from({ length: 50 }, newMember);
    for (const [i, memberId] of members.entries()) await spend(memberId, i * 10_000);
    const one = await queriesFor(members.slice(0, 1));
    const fifty = await queriesFor(members);
    expect(one).toBe(2); // the policy in force, then one aggregation
    expect(fifty).toBe(one);
  });

  it('gives each member their own standing, including members without spend', async () => {
    const [silver, gold, none] = [newMember(), newMember(), newMember()];
    await spend(silver, 50_000);
    await spend(gold, 200_000);
    const standings = await tiers.tierForMany([gold, none, silver], START);
    expect([...standings.entries()].map(([id, s]) => [id, s.tier])).toEqual([
      [gold, 'GOLD'],
      [none, 'REGULAR'],
      [silver, 'SILVER'],
    ]);
  });
});

describe('TierService.transferSpend', () => {
  it("moves a merged member's spend to the survivor, once however often it runs", async () => {
    const [merged, survivor] = [newMember(), newMember()];
    await spend(merged, 40_000, at(-300 * DAY));
    await spend(survivor, 20_000, at(-DAY));
    const transfer = { key: 'merge:m-1', fromMemberId: merged, toMemberId: survivor };
    await Promise.all([tiers.transferSpend(transfer), tiers.transferSpend(transfer)]);
    await tiers.transferSpend(transfer);
    await expect(tiers.tierFor(survivor, START)).resolves.toMatchObject({ tier: 'SILVER', qualifyingSpend: 60_000 });
    await expect(tiers.tierFor(merged, START)).resolves.toMatchObject({ tier: 'REGULAR', qualifyingSpend: 0 });
  });

  it('keeps when the moved spend happened, so it leaves the survivor window on time', async () => {
    const [merged, survivor] = [newMember(), newMember()];
    await spend(merged, 40_000, at(-300 * DAY));
    await spend(survivor, 20_000, at(-DAY));
    await tiers.transferSpend({ key: 'merge:m-2', fromMemberId: merged, toMemberId: survivor });
    await expect(tiers.tierFor(survivor, at(65 * DAY))).resolves.toMatchObject({ tier: 'REGULAR', qualifyingSpend: 20_000 });
  });

  it('refuses to merge a member into itself', async () => {
    const memberId = newMember();
    const error = await rejection(tiers.transferSpend({ key: 'merge:m-3', fromMemberId: memberId, toMemberId: memberId }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'toMemberId' });
  });
});
