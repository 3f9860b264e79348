import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { decimalString, type EarnCalculator, type EarnInput, type EarnPreviewInput } from './earn-calculator';
import type { Rounding } from '../models/points-policy.model';
import type { CreateCampaignInput } from './campaign.service';
import { createRulesModule, rulesModels, type RulesModels, type RulesModule } from './rules.module';
import type { TierService } from './tier.service';
import { rejection } from '@omo/tools/testing/errors';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
const STORE = new Types.ObjectId().toHexString();
const OTHER_STORE = new Types.ObjectId().toHexString();
const POS: Caller = { kind: 'pos', keyId: 'key-1', storeIds: [STORE] };
const START = new Date('2030-04-01T00:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let db: TestDatabase;
let models: RulesModels;
let rules: RulesModule;
let tiers: TierService;
let calculator: EarnCalculator;
let now: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  rules = createRulesModule(db.connection, () => now);
  ({ tiers, calculator } = rules);
  models = rulesModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());
beforeEach(async () => {
  now = START;
  await Promise.all([models.policies.deleteMany({}), models.storeRates.deleteMany({}), models.campaigns.deleteMany({}), models.spend.deleteMany({})]);
});

const at = (ms: number) => new Date(START.getTime() + ms);

function purchase(overrides: Partial<EarnInput> = {}): EarnInput {
  return { storeId: STORE, channel: 'STORE', amount: 1000, tier: 'REGULAR', at: START, ...overrides };
}

const pointsFor = async (overrides: Partial<EarnInput> = {}) => (await calculator.calculate(purchase(overrides))).points;

function campaign(overrides: Partial<CreateCampaignInput>): Promise<string> {
  const base: CreateCampaignInput = { name: 'Campaign', kind: 'MULTIPLIER', multiplierPercent: 200, startsAt: START, endsAt: at(7 * DAY) };
  return rules.campaigns.createCampaign(ADMIN, { ...base, ...overrides }).then((c) => c.campaignId.toHexString());
}

describe('EarnCalculator.calculate: rates and rounding', () => {
  it('earns 1 point per 100 yen by default, rounded down, and explains how', async () => {
    await expect(calculator.calculate(purchase({ amount: 1999 }))).resolves.toEqual({
      amount: 1999,
      ratePoints: 1,
      ratePerYen: 100,
      basePoints: '19.99',
      tier: 'REGULAR',
      tierMultiplierPercent: 100,
      campaignMultiplierPercent: 100,
      multiplierCampaignId: null,
      bonusPoints: 0,
      campaignIds: [],
      rounding: 'FLOOR',
      points: 19,
    });
  });

  it.each<[number, Rounding, number]>([
    [0, 'FLOOR', 0],
    [0, 'HALF_UP', 0],
    [49, 'FLOOR', 0],
    [49, 'HALF_UP', 0],
    [50, 'FLOOR', 0],
    [50, 'HALF_UP', 1],
    [99, 'FLOOR', 0],
    [99, 'HALF_UP', 1],
    [100, 'FLOOR', 1],
    [100, 'HALF_UP', 1],
    [1949, 'HALF_UP', 19],
    [1950, 'FLOOR', 19],
    [1950, 'HALF_UP', 20],
    [1999, 'FLOOR', 19],
    [1999, 'HALF_UP', 20],
  ])('%i yen with %s earns %i points', async (amount, rounding, points) => {
    if (rounding !== 'FLOOR') await rules.policy.setPointsPolicy(ADMIN, { rounding });
    await expect(pointsFor({ amount })).resolves.toBe(points);
  });

  it('rounds once, after every multiplier, not at each step', async () => {
    // 19.99 × 1.1 = 21.989: rounding the base first would give 19 × 1.1 = 20.9 → 20
    await expect(pointsFor({ amount: 1999, tier: 'SILVER' })).resolves.toBe(21);
    await rules.policy.setPointsPolicy(ADMIN, { rounding: 'HALF_UP' });
    await expect(pointsFor({ amount: 1999, tier: 'SILVER' })).resolves.toBe(22);
  });

  it('is exact where float arithmetic is not', async () => {
    await rules.policy.setTierRules(ADMIN, [
      { tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 },
      { tier: 'SILVER', minSpend: 50_000, multiplierPercent: 115 },
      { tier: 'GOLD', minSpend: 150_000, multiplierPercent: 125 },
      { tier: 'PLATINUM', minSpend: 400_000, multiplierPercent: 150 },
    ]);
    // in floats, 10,000 × 0.01 × 1.15 is 114.99999999999999
    await expect(pointsFor({ amount: 10_000, tier: 'SILVER' })).resolves.toBe(115);
  });

  it('is exact at the largest amount and multipliers', async () => {
    await campaign({ multiplierPercent: 10_000 });
    // 999,999,999 ÷ 100 × 1.1 × 100 = 1,099,999,998.9
    const breakdown = await calculator.calculate(purchase({ amount: 999_999_999, tier: 'SILVER' }));
    expect(breakdown).toMatchObject({ basePoints: '9999999.99', points: 1_099_999_998 });
  });

  it('refuses a purchase that would earn more points than an Int holds, rather than overflow', async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE, ratePoints: 1000, ratePerYen: 1 });
    const error = await rejection(calculator.calculate(purchase({ amount: 10_000_000 })));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount' });
  });

  it("applies each channel's default rate", async () => {
    await rules.policy.setPointsPolicy(ADMIN, { channel: 'ONLINE', ratePoints: 3, ratePerYen: 200 });
    await expect(pointsFor({ channel: 'ONLINE', amount: 1000 })).resolves.toBe(15);
    await expect(pointsFor({ channel: 'STORE', amount: 1000 })).resolves.toBe(10);
  });

  it("overrides the channel default with the store's rate only inside its window", async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE, ratePoints: 3, startsAt: at(DAY), endsAt: at(15 * DAY) });
    await expect(pointsFor({ at: at(DAY - 1) })).resolves.toBe(10);
    await expect(pointsFor({ at: at(DAY) })).resolves.toBe(30);
    await expect(pointsFor({ at: at(15 * DAY - 1) })).resolves.toBe(30);
    await expect(pointsFor({ at: at(15 * DAY) })).resolves.toBe(10);
    await expect(pointsFor({ at: at(2 * DAY), storeId: OTHER_STORE })).resolves.toBe(10);
  });

  it('goes back to the channel default once the store rate is removed', async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE, ratePoints: 3 });
    await expect(pointsFor()).resolves.toBe(30);
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE, ratePoints: null });
    await expect(pointsFor()).resolves.toBe(10);
  });

  it.each<[string, number, number]>([
    ['REGULAR', 100, 10],
    ['SILVER', 110, 11],
    ['GOLD', 125, 12],
    ['PLATINUM', 150, 15],
  ])("applies the %s tier's multiplier of %i%%", async (tier, tierMultiplierPercent, points) => {
    await expect(calculator.calculate(purchase({ tier: tier as EarnInput['tier'] }))).resolves.toMatchObject({ tierMultiplierPercent, points });
  });

  it.each<[string, Partial<EarnInput>]>([
    ['a negative amount', { amount: -1 }],
    ['a fractional amount', { amount: 100.5 }],
    ['an amount over 10^9', { amount: 1_000_000_001 }],
  ])('rejects %s as BAD_USER_INPUT', async (_label, overrides) => {
    const error = await rejection(calculator.calculate(purchase(overrides)));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount' });
  });
});

describe('EarnCalculator.calculate: campaigns', () => {
  it('applies the highest of overlapping multipliers and adds up every fixed bonus', async () => {
    await campaign({ name: 'Double', multiplierPercent: 200 });
    const triple = await campaign({ name: 'Triple', multiplierPercent: 300 });
    const bonus10 = await campaign({ name: 'Bonus 10', kind: 'FIXED_BONUS', multiplierPercent: null, bonusPoints: 10 });
    const bonus5 = await campaign({ name: 'Bonus 5', kind: 'FIXED_BONUS', multiplierPercent: null, bonusPoints: 5 });
    const breakdown = await calculator.calculate(purchase({ amount: 1000, tier: 'GOLD' }));
    expect(breakdown).toMatchObject({
      campaignMultiplierPercent: 300,
      multiplierCampaignId: triple,
      bonusPoints: 15,
      // 10 × 1.25 × 3 = 37.5 → 37, then + 15
      points: 52,
    });
    expect(breakdown.campaignIds).toEqual([triple, ...[bonus10, bonus5].sort()]);
  });

  it('gives a bonus even where rounding leaves no points from the rate', async () => {
    await campaign({ kind: 'FIXED_BONUS', multiplierPercent: null, bonusPoints: 30 });
    await expect(pointsFor({ amount: 99 })).resolves.toBe(30);
  });

  it.each<[string, boolean, Partial<CreateCampaignInput>, Partial<EarnInput>]>([
    ['in its store', true, { storeIds: [STORE] }, {}],
    ['in another store', false, { storeIds: [OTHER_STORE] }, {}],
    ['in its channel', true, { channels: ['STORE'] }, {}],
    ['in another channel', false, { channels: ['ONLINE'] }, {}],
    ['by a member of its tiers', true, { tiers: ['GOLD', 'PLATINUM'] }, { tier: 'GOLD' }],
    ['by a member of another tier', false, { tiers: ['GOLD', 'PLATINUM'] }, { tier: 'SILVER' }],
    ['of exactly its minimum amount', true, { minAmount: 1000 }, { amount: 1000 }],
    ['below its minimum amount', false, { minAmount: 1000 }, { amount: 999 }],
    ['at the first moment of its window', true, { startsAt: at(DAY), endsAt: at(2 * DAY) }, { at: at(DAY) }],
    ['just before its window', false, { startsAt: at(DAY), endsAt: at(2 * DAY) }, { at: at(DAY - 1) }],
    ['at the last moment of its window', true, { startsAt: at(DAY), endsAt: at(2 * DAY) }, { at: at(2 * DAY - 1) }],
    ['at the end of its window', false, { startsAt: at(DAY), endsAt: at(2 * DAY) }, { at: at(2 * DAY) }],
  ])('a campaign, for a purchase %s, applies: %s', async (_label, applies, scope, purchaseAt) => {
    const id = await campaign(scope);
    const breakdown = await calculator.calculate(purchase(purchaseAt));
    expect(breakdown.campaignIds).toEqual(applies ? [id] : []);
    expect(breakdown.campaignMultiplierPercent).toBe(applies ? 200 : 100);
  });

  it('stops applying a campaign from the moment it is ended', async () => {
    const id = await campaign({});
    now = at(HOUR);
    await rules.campaigns.endCampaign(ADMIN, id);
    await expect(pointsFor({ at: at(HOUR - 1) })).resolves.toBe(20);
    await expect(pointsFor({ at: at(HOUR) })).resolves.toBe(10);
  });

  it('applies the latest revision of a changed campaign', async () => {
    const id = await campaign({ multiplierPercent: 200 });
    await rules.campaigns.updateCampaign(ADMIN, id, { multiplierPercent: 500 });
    await expect(pointsFor()).resolves.toBe(50);
  });
});

describe('EarnCalculator.preview', () => {
  const preview = (caller: Caller, overrides: Partial<EarnPreviewInput> = {}) =>
    calculator.preview(caller, { storeId: STORE, channel: 'STORE', amount: 1000, ...overrides });

  it("uses the member's tier now", async () => {
    const memberId = new Types.ObjectId().toHexString();
    await tiers.recordSpend({ key: 'purchase:p-1', memberId, amountDelta: 150_000, occurredAt: at(-DAY), reason: 'PURCHASE' });
    const result = await preview(ADMIN, { memberId });
    expect(result).toMatchObject({ points: 12, breakdown: { tier: 'GOLD', tierMultiplierPercent: 125, points: 12 } });
  });

  it('uses REGULAR without a member', async () => {
    await expect(preview(ADMIN)).resolves.toMatchObject({ points: 10, breakdown: { tier: 'REGULAR' } });
  });

  it('uses the rules in force now', async () => {
    await campaign({ startsAt: at(DAY), endsAt: at(2 * DAY) });
    await expect(preview(ADMIN)).resolves.toMatchObject({ points: 10 });
    now = at(DAY);
    await expect(preview(ADMIN)).resolves.toMatchObject({ points: 20 });
  });

  it('lets a POS key preview a purchase at its own store', async () => {
    await expect(preview(POS)).resolves.toMatchObject({ points: 10 });
  });

  it.each<[string, Caller, Partial<EarnPreviewInput>, string]>([
    ['a POS key at another store', POS, { storeId: OTHER_STORE }, 'FORBIDDEN'],
    ['a customer', { kind: 'customer', memberId: new Types.ObjectId().toHexString() }, {}, 'FORBIDDEN'],
    ['an anonymous caller', { kind: 'anonymous' }, {}, 'UNAUTHENTICATED'],
  ])('refuses %s with %s', async (_label, caller, overrides, code) => {
    const error = await rejection(preview(caller, overrides));
    expect(error.extensions.code).toBe(code);
  });

  it.each<[string, Partial<EarnPreviewInput>, string]>([
    ['a negative amount', { amount: -100 }, 'amount'],
    ['a fractional amount', { amount: 0.5 }, 'amount'],
    ['an amount over 10^9', { amount: 1_000_000_001 }, 'amount'],
    ['a malformed store id', { storeId: 'store-1' }, 'storeId'],
    ['a malformed member id', { memberId: 'member-1' }, 'memberId'],
  ])('rejects %s as BAD_USER_INPUT', async (_label, overrides, field) => {
    const error = await rejection(preview(ADMIN, overrides));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('decimalString', () => {
  it.each<[bigint, bigint, string]>([
    [1999n, 100n, '19.99'],
    [2000n, 100n, '20'],
    [5n, 100n, '0.05'],
    [0n, 100n, '0'],
    [10n, 3n, '3.333333'],
  ])('%s ÷ %s is "%s"', (numerator, denominator, text) => {
    expect(decimalString(numerator, denominator)).toBe(text);
  });
});
