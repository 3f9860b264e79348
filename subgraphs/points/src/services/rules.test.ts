import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import type { CreateCampaignInput, UpdateCampaignInput } from './campaign.service';
import { currentEarnRules, earnRulesFor } from './earn-rules';
import { defaultPolicy } from './points-policy';
import type { SetPointsPolicyInput } from './policy.service';
import { createRulesModule, rulesModels, type RulesModels, type RulesModule } from './rules.module';
import type { SetStoreEarnRateInput } from './store-rate.service';
import type { TierRuleInput } from './tier-rules';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
const STAFF: Caller = { kind: 'staff', staffId: 'staff-2', role: 'STAFF' };
const OTHER_STAFF: Caller = { kind: 'staff', staffId: 'staff-2', role: 'ADMIN' };
const STORE_A = new Types.ObjectId().toHexString();
const STORE_B = new Types.ObjectId().toHexString();
const POS: Caller = { kind: 'pos', keyId: 'key-1', storeIds: [STORE_A] };
const CUSTOMER: Caller = { kind: 'customer', memberId: new Types.ObjectId().toHexString() };
const ANONYMOUS: Caller = { kind: 'anonymous' };
const START = new Date('2030-04-01T00:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let db: TestDatabase;
let models: RulesModels;
let rules: RulesModule;
let now: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  rules = createRulesModule(db.connection, () => now);
  models = rulesModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());
beforeEach(async () => {
  now = START;
  await Promise.all([models.policies.deleteMany({}), models.storeRates.deleteMany({}), models.campaigns.deleteMany({})]);
});

const at = (ms: number) => new Date(START.getTime() + ms);

async function storedCounts(): Promise<{ policies: number; storeRates: number; campaigns: number }> {
  const [policies, storeRates, campaigns] = await Promise.all([
    models.policies.countDocuments(),
    models.storeRates.countDocuments(),
    models.campaigns.countDocuments(),
  ]);
  return { policies, storeRates, campaigns };
}

function multiplierCampaign(overrides: Partial<CreateCampaignInput> = {}): CreateCampaignInput {
  return { name: 'Double points week', kind: 'MULTIPLIER', multiplierPercent: 200, startsAt: at(0), endsAt: at(7 * DAY), ...overrides };
}

function bonusCampaign(overrides: Partial<CreateCampaignInput> = {}): CreateCampaignInput {
  return { name: 'Spring bonus', kind: 'FIXED_BONUS', bonusPoints: 50, startsAt: at(0), endsAt: at(7 * DAY), ...overrides };
}

const TIER_RULES: TierRuleInput[] = [
  { tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 },
  { tier: 'SILVER', minSpend: 30_000, multiplierPercent: 120 },
  { tier: 'GOLD', minSpend: 100_000, multiplierPercent: 150 },
  { tier: 'PLATINUM', minSpend: 300_000, multiplierPercent: 200 },
];

describe('PolicyService.getPolicy', () => {
  it('is the default policy while staff have changed nothing', async () => {
    await expect(rules.policy.getPolicy()).resolves.toEqual({
      rounding: 'FLOOR',
      pendingDays: 0,
      onlinePendingDays: 14,
      expiryMode: 'PER_LOT',
      lotValidityDays: 365,
      inactivityDays: 365,
      signupBonusPoints: 100,
      birthdayBonusPoints: 0,
      tierWindowDays: 365,
      excludedCategories: ['gift-card', 'shipping'],
      channelRates: [
        { channel: 'STORE', ratePoints: 1, ratePerYen: 100 },
        { channel: 'ONLINE', ratePoints: 1, ratePerYen: 100 },
      ],
      tiers: [
        { tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 },
        { tier: 'SILVER', minSpend: 50_000, multiplierPercent: 110 },
        { tier: 'GOLD', minSpend: 150_000, multiplierPercent: 125 },
        { tier: 'PLATINUM', minSpend: 400_000, multiplierPercent: 150 },
      ],
    });
  });
});

describe('PolicyService.getPolicy of a policy written before ONLINE had its own return window', () => {
  it('keeps online purchases pending as long as store ones, as that revision meant', async () => {
    const { onlinePendingDays: _online, ...before } = defaultPolicy();
    await models.policies.create({ _id: 1, ...before, pendingDays: 5, change: { actor: 'staff:staff-1', at: START, action: 'SET_POINTS_POLICY', changes: [{ field: 'pendingDays', before: 0, after: 5 }] } });
    await expect(rules.policy.getPolicy()).resolves.toMatchObject({ pendingDays: 5, onlinePendingDays: 5 });
  });
});

describe('PolicyService.getPolicy of a policy written before the birthday bonus existed', () => {
  it('has the birthday bonus off, and a later change audits it from 0', async () => {
    const { birthdayBonusPoints: _birthday, ...before } = defaultPolicy();
    await models.policies.create({ _id: 1, ...before, signupBonusPoints: 200, change: { actor: 'staff:staff-1', at: START, action: 'SET_POINTS_POLICY', changes: [{ field: 'signupBonusPoints', before: 100, after: 200 }] } });
    await expect(rules.policy.getPolicy()).resolves.toMatchObject({ signupBonusPoints: 200, birthdayBonusPoints: 0 });
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const revision = await models.policies.findById(2).lean();
    expect(revision?.change.changes).toEqual([{ field: 'birthdayBonusPoints', before: 0, after: 300 }]);
  });
});

describe('earnRulesFor', () => {
  it.each<[string, Caller]>([
    ['staff', STAFF],
    ['a POS key', POS],
  ])('shows %s the policy and the store rates in force', async (_who, caller) => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: 3 });
    const earnRules = await earnRulesFor(caller, rules);
    expect(earnRules).toMatchObject({ ...defaultPolicy(), storeRates: [{ storeId: STORE_A, ratePoints: 3, ratePerYen: 100 }] });
  });

  it.each<[string, Caller, string]>([
    ['a customer', CUSTOMER, 'FORBIDDEN'],
    ['an anonymous caller', ANONYMOUS, 'UNAUTHENTICATED'],
  ])('refuses %s with %s', async (_who, caller, code) => {
    const error = await rejection(earnRulesFor(caller, rules));
    expect(error.extensions.code).toBe(code);
  });
});

describe('PolicyService.setPointsPolicy', () => {
  it('changes only the fields given and audits each with its value before and after', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { rounding: 'HALF_UP', pendingDays: 14 });
    const earnRules = await currentEarnRules(rules);
    expect(earnRules).toMatchObject({ rounding: 'HALF_UP', pendingDays: 14, expiryMode: 'PER_LOT', signupBonusPoints: 100 });
    const [revision] = await models.policies.find().lean();
    expect(revision?.change).toEqual({
      actor: 'staff:staff-1',
      at: START,
      action: 'SET_POINTS_POLICY',
      changes: [
        { field: 'rounding', before: 'FLOOR', after: 'HALF_UP' },
        { field: 'pendingDays', before: 0, after: 14 },
      ],
    });
  });

  it('turns the birthday bonus on and off again, each change audited with the whole policy after it', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 500 });
    now = at(HOUR);
    await rules.policy.setPointsPolicy(OTHER_STAFF, { birthdayBonusPoints: 0 });
    await expect(rules.policy.getPolicy()).resolves.toEqual(defaultPolicy());
    const revisions = await models.policies.find().sort({ _id: 1 }).lean();
    expect(revisions.map((r) => [r.birthdayBonusPoints, r.signupBonusPoints, r.change])).toEqual([
      [500, 100, { actor: 'staff:staff-1', at: START, action: 'SET_POINTS_POLICY', changes: [{ field: 'birthdayBonusPoints', before: 0, after: 500 }] }],
      [0, 100, { actor: 'staff:staff-2', at: at(HOUR), action: 'SET_POINTS_POLICY', changes: [{ field: 'birthdayBonusPoints', before: 500, after: 0 }] }],
    ]);
  });

  it("changes one channel's rate and keeps the part of it not given", async () => {
    await rules.policy.setPointsPolicy(ADMIN, { channel: 'ONLINE', ratePoints: 2 });
    const { channelRates } = await rules.policy.getPolicy();
    expect(channelRates).toEqual([
      { channel: 'STORE', ratePoints: 1, ratePerYen: 100 },
      { channel: 'ONLINE', ratePoints: 2, ratePerYen: 100 },
    ]);
  });

  it('writes nothing when nothing would change', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { rounding: 'FLOOR', pendingDays: 0 });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
  });

  it('keeps every one of several concurrent changes to different fields, each audited once', async () => {
    const changes: SetPointsPolicyInput[] = [
      { pendingDays: 7 },
      { onlinePendingDays: 30 },
      { signupBonusPoints: 500 },
      { birthdayBonusPoints: 200 },
      { lotValidityDays: 730 },
      { inactivityDays: 400 },
      { tierWindowDays: 180 },
      { expiryMode: 'AFTER_LAST_PURCHASE' },
      { rounding: 'HALF_UP' },
      { channel: 'STORE', ratePerYen: 200 },
    ];
    await Promise.all(changes.map((change) => rules.policy.setPointsPolicy(ADMIN, change)));
    await expect(rules.policy.getPolicy()).resolves.toMatchObject({
      pendingDays: 7,
      onlinePendingDays: 30,
      signupBonusPoints: 500,
      birthdayBonusPoints: 200,
      lotValidityDays: 730,
      inactivityDays: 400,
      tierWindowDays: 180,
      expiryMode: 'AFTER_LAST_PURCHASE',
      rounding: 'HALF_UP',
      channelRates: [{ channel: 'STORE', ratePoints: 1, ratePerYen: 200 }, { channel: 'ONLINE' }],
    });
    const revisions = await models.policies.find().sort({ _id: 1 }).lean();
    expect(revisions.map((r) => r._id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(revisions.every((r) => r.change.changes.length === 1)).toBe(true);
  });
});

describe('PolicyService.setTierRules', () => {
  it('replaces the four tier rules, lowest first, whatever order they are given in', async () => {
    await rules.policy.setTierRules(ADMIN, [...TIER_RULES].reverse());
    const earnRules = await currentEarnRules(rules);
    expect(earnRules.tiers).toEqual(TIER_RULES);
    const [revision] = await models.policies.find().lean();
    expect(revision?.change).toMatchObject({ actor: 'staff:staff-1', action: 'SET_TIER_RULES', changes: [{ field: 'tiers', before: defaultPolicy().tiers, after: TIER_RULES }] });
  });
});

describe('StoreRateService.setStoreEarnRate', () => {
  it('sets a store rate from now, open-ended unless an end is given', async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: 3 });
    const earnRules = await currentEarnRules(rules);
    expect(earnRules.storeRates).toEqual([{ storeId: STORE_A, ratePoints: 3, ratePerYen: 100, startsAt: START, endsAt: null }]);
  });

  it('lists only rates not over yet, and only the latest of each store', async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: 3, endsAt: at(14 * DAY) });
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: 2, ratePerYen: 100, startsAt: at(DAY), endsAt: at(3 * DAY) });
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_B, ratePoints: 5, endsAt: at(DAY) });
    expect((await earnRulesFor(ADMIN, rules)).storeRates.map((r) => [r.storeId, r.ratePoints])).toEqual(
      [
        [STORE_A, 2],
        [STORE_B, 5],
      ].sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    now = at(DAY);
    expect((await earnRulesFor(ADMIN, rules)).storeRates.map((r) => r.storeId)).toEqual([STORE_A]);
  });

  it('removes a store rate with a null ratePoints, audited as a removal', async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: 3 });
    await rules.storeRates.setStoreEarnRate(OTHER_STAFF, { storeId: STORE_A, ratePoints: null });
    const earnRules = await currentEarnRules(rules);
    expect(earnRules.storeRates).toEqual([]);
    await expect(rules.storeRates.storeRate(STORE_A)).resolves.toBeNull();
    const removal = await models.storeRates.findOne({ storeId: STORE_A, revision: 2 }).lean();
    expect(removal?.change).toMatchObject({
      actor: 'staff:staff-2',
      action: 'REMOVE_STORE_EARN_RATE',
      changes: expect.arrayContaining([{ field: 'ratePoints', before: 3, after: null }]) as unknown,
    });
  });

  it('writes nothing when removing a rate the store does not have', async () => {
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: null });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
  });
});

describe('CampaignService', () => {
  it('creates a campaign with defaults for the fields not given, audited as a creation', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ name: '  Ｄouble week ' }));
    expect(campaign).toMatchObject({
      name: 'Double week',
      kind: 'MULTIPLIER',
      multiplierPercent: 200,
      bonusPoints: null,
      minAmount: 0,
      storeIds: [],
      channels: [],
      tiers: [],
      revision: 1,
      createdAt: START,
      change: { actor: 'staff:staff-1', at: START, action: 'CREATE_CAMPAIGN' },
    });
    expect(campaign.change.changes).toContainEqual({ field: 'multiplierPercent', before: null, after: 200 });
  });

  it('lists the campaigns active at a moment: start inclusive, end exclusive', async () => {
    const first = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ startsAt: at(0), endsAt: at(DAY) }));
    const second = await rules.campaigns.createCampaign(ADMIN, bonusCampaign({ startsAt: at(DAY), endsAt: at(2 * DAY) }));
    const ids = async (activeAt: Date) => (await rules.campaigns.list(ADMIN, { activeAt })).map((c) => c.campaignId.toHexString());
    await expect(ids(at(0))).resolves.toEqual([first.campaignId.toHexString()]);
    await expect(ids(at(DAY - 1))).resolves.toEqual([first.campaignId.toHexString()]);
    await expect(ids(at(DAY))).resolves.toEqual([second.campaignId.toHexString()]);
    await expect(ids(at(2 * DAY))).resolves.toEqual([]);
  });

  it('lists every campaign, once each at its latest revision, with all', async () => {
    const first = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ endsAt: at(DAY) }));
    await rules.campaigns.updateCampaign(ADMIN, first.campaignId.toHexString(), { name: 'Renamed' });
    await rules.campaigns.createCampaign(ADMIN, bonusCampaign({ startsAt: at(10 * DAY), endsAt: at(20 * DAY) }));
    const all = await rules.campaigns.list(ADMIN, { all: true });
    expect(all.map((c) => c.name)).toEqual(['Renamed', 'Spring bonus']);
  });

  it('updates the fields given, audited with their values before and after, keeping the others', async () => {
    const created = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign());
    now = at(HOUR);
    const updated = await rules.campaigns.updateCampaign(OTHER_STAFF, created.campaignId.toHexString(), { multiplierPercent: 300, channels: ['ONLINE'] });
    expect(updated).toMatchObject({ revision: 2, multiplierPercent: 300, channels: ['ONLINE'], name: 'Double points week', createdAt: START });
    expect(updated.change).toEqual({
      actor: 'staff:staff-2',
      at: at(HOUR),
      action: 'UPDATE_CAMPAIGN',
      changes: [
        { field: 'multiplierPercent', before: 200, after: 300 },
        { field: 'channels', before: [], after: ['ONLINE'] },
      ],
    });
  });

  it('no longer finds a campaign at a moment its latest window has left', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ startsAt: at(0), endsAt: at(7 * DAY) }));
    await rules.campaigns.updateCampaign(ADMIN, campaign.campaignId.toHexString(), { startsAt: at(3 * DAY) });
    await expect(rules.campaigns.activeCampaigns(at(DAY))).resolves.toEqual([]);
    await expect(rules.campaigns.activeCampaigns(at(3 * DAY))).resolves.toHaveLength(1);
  });

  it('keeps every one of several concurrent updates to one campaign, as consecutive revisions', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign());
    const id = campaign.campaignId.toHexString();
    const updates: UpdateCampaignInput[] = [{ name: 'A' }, { multiplierPercent: 500 }, { minAmount: 1000 }, { channels: ['STORE'] }, { tiers: ['GOLD'] }];
    await Promise.all(updates.map((update) => rules.campaigns.updateCampaign(ADMIN, id, update)));
    const [latest] = await rules.campaigns.activeCampaigns(at(HOUR));
    expect(latest).toMatchObject({ revision: 6, name: 'A', multiplierPercent: 500, minAmount: 1000, channels: ['STORE'], tiers: ['GOLD'] });
  });

  it('ends a running campaign now, so it no longer applies from this moment', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign());
    now = at(DAY);
    const ended = await rules.campaigns.endCampaign(ADMIN, campaign.campaignId.toHexString());
    expect(ended).toMatchObject({ startsAt: START, endsAt: at(DAY), change: { action: 'END_CAMPAIGN' } });
    await expect(rules.campaigns.activeCampaigns(at(DAY))).resolves.toEqual([]);
    await expect(rules.campaigns.activeCampaigns(at(DAY - 1))).resolves.toHaveLength(1);
  });

  it('ends a campaign that has not started yet so that it never starts', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ startsAt: at(2 * DAY), endsAt: at(3 * DAY) }));
    const ended = await rules.campaigns.endCampaign(ADMIN, campaign.campaignId.toHexString());
    expect(ended).toMatchObject({ startsAt: START, endsAt: START });
    await expect(rules.campaigns.activeCampaigns(at(2 * DAY))).resolves.toEqual([]);
  });

  it('returns a campaign that is already over unchanged and writes nothing', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ endsAt: at(DAY) }));
    now = at(2 * DAY);
    const ended = await rules.campaigns.endCampaign(ADMIN, campaign.campaignId.toHexString());
    expect(ended).toMatchObject({ revision: 1, endsAt: at(DAY) });
    await expect(models.campaigns.countDocuments()).resolves.toBe(1);
  });

  it('refuses to change a campaign that is over', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign({ endsAt: at(DAY) }));
    now = at(DAY);
    const error = await rejection(rules.campaigns.updateCampaign(ADMIN, campaign.campaignId.toHexString(), { endsAt: at(5 * DAY) }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it.each<[string, (id: string) => Promise<unknown>]>([
    ['updateCampaign', (id) => rules.campaigns.updateCampaign(ADMIN, id, { name: 'x' })],
    ['endCampaign', (id) => rules.campaigns.endCampaign(ADMIN, id)],
  ])('%s of an unknown campaign is NOT_FOUND', async (_name, call) => {
    const error = await rejection(call(new Types.ObjectId().toHexString()));
    expect(error.extensions.code).toBe('NOT_FOUND');
  });
});

describe('who may change the rules', () => {
  const changes: [string, (caller: Caller) => Promise<unknown>][] = [
    ['createCampaign', (caller) => rules.campaigns.createCampaign(caller, multiplierCampaign())],
    ['updateCampaign', (caller) => rules.campaigns.updateCampaign(caller, new Types.ObjectId().toHexString(), { name: 'x' })],
    ['endCampaign', (caller) => rules.campaigns.endCampaign(caller, new Types.ObjectId().toHexString())],
    ['setStoreEarnRate', (caller) => rules.storeRates.setStoreEarnRate(caller, { storeId: STORE_A, ratePoints: 3 })],
    ['setTierRules', (caller) => rules.policy.setTierRules(caller, TIER_RULES)],
    ['setPointsPolicy', (caller) => rules.policy.setPointsPolicy(caller, { pendingDays: 3 })],
    ['campaigns', (caller) => rules.campaigns.list(caller, {})],
  ];
  const refusals: [string, Caller, string][] = [
    ['a POS key', POS, 'FORBIDDEN'],
    ['a customer', CUSTOMER, 'FORBIDDEN'],
    ['an anonymous caller', ANONYMOUS, 'UNAUTHENTICATED'],
  ];

  it.each(changes.flatMap(([name, call]) => refusals.map(([who, caller, code]) => [name, who, code, caller, call] as const)))(
    '%s refuses %s with %s and writes nothing',
    async (_name, _who, code, caller, call) => {
      const error = await rejection(call(caller));
      expect(error.extensions.code).toBe(code);
      await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
    },
  );
});

describe('bad input', () => {
  const badCampaigns: [string, CreateCampaignInput, string][] = [
    ['an end equal to the start', multiplierCampaign({ endsAt: at(0) }), 'endsAt'],
    ['an end before the start', multiplierCampaign({ startsAt: at(DAY), endsAt: at(HOUR) }), 'endsAt'],
    ['an end already past', multiplierCampaign({ startsAt: at(-2 * DAY), endsAt: at(-DAY) }), 'endsAt'],
    ['a multiplier of 100', multiplierCampaign({ multiplierPercent: 100 }), 'multiplierPercent'],
    ['a multiplier of 0', multiplierCampaign({ multiplierPercent: 0 }), 'multiplierPercent'],
    ['a negative multiplier', multiplierCampaign({ multiplierPercent: -200 }), 'multiplierPercent'],
    ['a multiplier over 10000', multiplierCampaign({ multiplierPercent: 10_001 }), 'multiplierPercent'],
    ['a fractional multiplier', multiplierCampaign({ multiplierPercent: 150.5 }), 'multiplierPercent'],
    ['a multiplier campaign without a multiplier', multiplierCampaign({ multiplierPercent: null }), 'multiplierPercent'],
    ['a multiplier campaign with a bonus', multiplierCampaign({ bonusPoints: 10 }), 'bonusPoints'],
    ['a bonus of 0', bonusCampaign({ bonusPoints: 0 }), 'bonusPoints'],
    ['a bonus over 1,000,000', bonusCampaign({ bonusPoints: 1_000_001 }), 'bonusPoints'],
    ['a fractional bonus', bonusCampaign({ bonusPoints: 1.5 }), 'bonusPoints'],
    ['a bonus campaign with a multiplier', bonusCampaign({ multiplierPercent: 200 }), 'multiplierPercent'],
    ['an empty name', multiplierCampaign({ name: '   ' }), 'name'],
    ['a name over 100 characters', multiplierCampaign({ name: 'x'.repeat(101) }), 'name'],
    ['a negative minimum amount', multiplierCampaign({ minAmount: -1 }), 'minAmount'],
    ['a fractional minimum amount', multiplierCampaign({ minAmount: 99.5 }), 'minAmount'],
    ['a malformed store id', multiplierCampaign({ storeIds: ['store-1'] }), 'storeIds'],
    ['an unknown channel', multiplierCampaign({ channels: ['PHONE' as 'STORE'] }), 'channels'],
    ['an invalid start', multiplierCampaign({ startsAt: new Date('nope') }), 'startsAt'],
  ];
  it.each(badCampaigns)('createCampaign rejects %s as BAD_USER_INPUT and writes nothing', async (_label, input, field) => {
    const error = await rejection(rules.campaigns.createCampaign(ADMIN, input));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
  });

  const badUpdates: [string, 'MULTIPLIER' | 'FIXED_BONUS', UpdateCampaignInput, string][] = [
    ['a multiplier on a bonus campaign', 'FIXED_BONUS', { multiplierPercent: 200 }, 'multiplierPercent'],
    ['a bonus on a multiplier campaign', 'MULTIPLIER', { bonusPoints: 10 }, 'bonusPoints'],
    ['a multiplier of 100', 'MULTIPLIER', { multiplierPercent: 100 }, 'multiplierPercent'],
    ['an end before the start', 'MULTIPLIER', { endsAt: at(-HOUR) }, 'endsAt'],
    ['a start after the end', 'MULTIPLIER', { startsAt: at(8 * DAY) }, 'endsAt'],
    ['an empty name', 'MULTIPLIER', { name: '' }, 'name'],
  ];
  it.each(badUpdates)('updateCampaign rejects %s as BAD_USER_INPUT and writes nothing', async (_label, kind, input, field) => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, kind === 'MULTIPLIER' ? multiplierCampaign() : bonusCampaign());
    const error = await rejection(rules.campaigns.updateCampaign(ADMIN, campaign.campaignId.toHexString(), input));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 1 });
  });

  it.each<[string, (id: string) => Promise<unknown>]>([
    ['updateCampaign', (id) => rules.campaigns.updateCampaign(ADMIN, id, { name: 'x' })],
    ['endCampaign', (id) => rules.campaigns.endCampaign(ADMIN, id)],
  ])('%s rejects a malformed id as BAD_USER_INPUT', async (_name, call) => {
    const error = await rejection(call('not-an-id'));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  const withTier = (tier: string, change: Partial<TierRuleInput>) => TIER_RULES.map((r) => (r.tier === tier ? { ...r, ...change } : r));
  const badTiers: [string, TierRuleInput[], string][] = [
    ['three tiers', TIER_RULES.slice(0, 3), 'tiers'],
    ['a tier twice', [...TIER_RULES.slice(0, 3), { tier: 'GOLD', minSpend: 500_000, multiplierPercent: 200 }], 'tiers'],
    ['REGULAR above 0', withTier('REGULAR', { minSpend: 1 }), 'minSpend'],
    ['two tiers at the same spend', withTier('GOLD', { minSpend: 30_000 }), 'minSpend'],
    ['a higher tier at a lower spend', withTier('PLATINUM', { minSpend: 90_000 }), 'minSpend'],
    ['a negative spend', withTier('SILVER', { minSpend: -5 }), 'minSpend'],
    ['a fractional spend', withTier('SILVER', { minSpend: 30_000.5 }), 'minSpend'],
    ['a multiplier under 100', withTier('SILVER', { multiplierPercent: 99 }), 'multiplierPercent'],
    ['a multiplier over 1000', withTier('PLATINUM', { multiplierPercent: 1001 }), 'multiplierPercent'],
  ];
  it.each(badTiers)('setTierRules rejects %s as BAD_USER_INPUT and writes nothing', async (_label, tiers, field) => {
    const error = await rejection(rules.policy.setTierRules(ADMIN, tiers));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
  });

  const badStoreRates: [string, SetStoreEarnRateInput, string][] = [
    ['a malformed store id', { storeId: 'store-1', ratePoints: 3 }, 'storeId'],
    ['a rate over 1000 points', { storeId: STORE_A, ratePoints: 1001 }, 'ratePoints'],
    ['a negative rate', { storeId: STORE_A, ratePoints: -1 }, 'ratePoints'],
    ['a fractional rate', { storeId: STORE_A, ratePoints: 1.5 }, 'ratePoints'],
    ['a yen unit of 0', { storeId: STORE_A, ratePoints: 1, ratePerYen: 0 }, 'ratePerYen'],
    ['a yen unit over 100000', { storeId: STORE_A, ratePoints: 1, ratePerYen: 100_001 }, 'ratePerYen'],
    ['an end before the start', { storeId: STORE_A, ratePoints: 3, startsAt: at(DAY), endsAt: at(HOUR) }, 'endsAt'],
    ['an end already past', { storeId: STORE_A, ratePoints: 3, startsAt: at(-DAY), endsAt: at(-HOUR) }, 'endsAt'],
    ['a window on a removal', { storeId: STORE_A, ratePoints: null, endsAt: at(DAY) }, 'endsAt'],
  ];
  it.each(badStoreRates)('setStoreEarnRate rejects %s as BAD_USER_INPUT and writes nothing', async (_label, input, field) => {
    const error = await rejection(rules.storeRates.setStoreEarnRate(ADMIN, input));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
  });

  const badPolicies: [string, SetPointsPolicyInput, string][] = [
    ['a rate without its channel', { ratePoints: 2 }, 'channel'],
    ['a channel without a rate', { channel: 'STORE' }, 'ratePoints'],
    ['a channel rate over 1000', { channel: 'STORE', ratePoints: 1001 }, 'ratePoints'],
    ['a channel yen unit of 0', { channel: 'ONLINE', ratePerYen: 0 }, 'ratePerYen'],
    ['pending days over 365', { pendingDays: 366 }, 'pendingDays'],
    ['negative pending days', { pendingDays: -1 }, 'pendingDays'],
    ['online pending days over 365', { onlinePendingDays: 366 }, 'onlinePendingDays'],
    ['a lot validity of 0 days', { lotValidityDays: 0 }, 'lotValidityDays'],
    ['a lot validity over 3650 days', { lotValidityDays: 3651 }, 'lotValidityDays'],
    ['fractional inactivity days', { inactivityDays: 1.5 }, 'inactivityDays'],
    ['a negative sign-up bonus', { signupBonusPoints: -1 }, 'signupBonusPoints'],
    ['a sign-up bonus over 100000', { signupBonusPoints: 100_001 }, 'signupBonusPoints'],
    ['a negative birthday bonus', { birthdayBonusPoints: -1 }, 'birthdayBonusPoints'],
    ['a birthday bonus over 100000', { birthdayBonusPoints: 100_001 }, 'birthdayBonusPoints'],
    ['a fractional birthday bonus', { birthdayBonusPoints: 1.5 }, 'birthdayBonusPoints'],
    ['a tier window over 1095 days', { tierWindowDays: 1096 }, 'tierWindowDays'],
    ['a tier window of 0 days', { tierWindowDays: 0 }, 'tierWindowDays'],
    ['an unknown rounding', { rounding: 'CEILING' as 'FLOOR' }, 'rounding'],
    ['a valid field next to an invalid one', { pendingDays: 3, tierWindowDays: 0 }, 'tierWindowDays'],
  ];
  it.each(badPolicies)('setPointsPolicy rejects %s as BAD_USER_INPUT and writes nothing', async (_label, input, field) => {
    const error = await rejection(rules.policy.setPointsPolicy(ADMIN, input));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(storedCounts()).resolves.toEqual({ policies: 0, storeRates: 0, campaigns: 0 });
  });
});

describe('the audit of rule changes', () => {
  it('records every change exactly once, naming the staff member who made it', async () => {
    const campaign = await rules.campaigns.createCampaign(ADMIN, multiplierCampaign());
    const id = campaign.campaignId.toHexString();
    await rules.campaigns.updateCampaign(ADMIN, id, { name: 'Triple' });
    now = at(HOUR);
    await rules.campaigns.endCampaign(ADMIN, id);
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: 3 });
    await rules.storeRates.setStoreEarnRate(ADMIN, { storeId: STORE_A, ratePoints: null });
    await rules.policy.setTierRules(ADMIN, TIER_RULES);
    await rules.policy.setPointsPolicy(ADMIN, { signupBonusPoints: 300 });

    const records = (
      await Promise.all([models.campaigns.find().lean(), models.storeRates.find().lean(), models.policies.find().lean()])
    ).flatMap((docs) => docs.map((doc) => doc.change));
    expect(records.map((r) => [r.action, r.changes.map((c) => c.field)]).sort(([a], [b]) => String(a).localeCompare(String(b)))).toEqual([
      ['CREATE_CAMPAIGN', ['name', 'kind', 'multiplierPercent', 'bonusPoints', 'minAmount', 'storeIds', 'channels', 'tiers', 'startsAt', 'endsAt']],
      ['END_CAMPAIGN', ['endsAt']],
      ['REMOVE_STORE_EARN_RATE', ['ratePoints', 'ratePerYen', 'startsAt']],
      ['SET_POINTS_POLICY', ['signupBonusPoints']],
      ['SET_STORE_EARN_RATE', ['ratePoints', 'ratePerYen', 'startsAt']],
      ['SET_TIER_RULES', ['tiers']],
      ['UPDATE_CAMPAIGN', ['name']],
    ]);
    expect(new Set(records.map((r) => r.actor))).toEqual(new Set(['staff:staff-1']));
  });
});
