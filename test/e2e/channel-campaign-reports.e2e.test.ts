import { createStore, ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The two staff reports of issue 20 through the gateway: distinct members by the channels they bought at per JST
 * month (membersByChannel, purchases), and a campaign's purchases and points against the period before it
 * (Campaign.purchaseResults from purchases, Campaign.pointResults from points). The clock is fixed and moved, so
 * purchases and ledger entries land where the periods are.
 */
let system: TestSystem;
const T0 = new Date('2026-03-10T00:00:00.000Z');
const HOUR = 3_600_000;
let now = new Date(T0.getTime() - 3 * HOUR);
let storeA: string;
let storeB: string;
let online: string;
const members: string[] = [];
let campaignId: string;

const BY_CHANNEL = `query($from: DateTime!, $to: DateTime!) { membersByChannel(from: $from, to: $to) {
  from to storeOnly onlineOnly both rows { month storeOnly onlineOnly both }
} }`;
const RESULTS = `{ campaigns(all: true) { id
  purchaseResults { during { from to purchases sales members } before { from to purchases sales members } purchasesChange salesChange membersChange }
  pointResults { during { from to earned } before { from to earned } earnedChange campaignPurchases pointsOnCampaignPurchases }
} }`;

interface Sale {
  storeId: string;
  memberId: string | null;
  yen: number;
  occurredAt?: string;
}

let sequence = 0;
async function sale({ storeId, memberId, yen, occurredAt }: Sale): Promise<number> {
  const data = ok(
    await system.graphql<{ recordPurchase: { status: string; pointsEarned: number } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status pointsEarned } }',
      { input: { idempotencyKey: `report-${(sequence += 1)}`, storeId, memberId, lines: [{ sku: 'SKU-1', name: '商品', unitPrice: yen, quantity: 1 }], total: yen, occurredAt } },
      system.staffHeaders(),
    ),
  );
  expect(data.recordPurchase.status).toBe('COMPLETED');
  return data.recordPurchase.pointsEarned;
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  storeA = await createStore(system, { code: 'A01', name: '梅田店', kind: 'PHYSICAL' });
  storeB = await createStore(system, { code: 'B01', name: '難波店', kind: 'PHYSICAL' });
  online = await createStore(system, { code: 'EC1', name: 'オンラインストア', kind: 'ONLINE' });
  for (let i = 0; i < 5; i += 1) {
    const data = ok(
      await system.graphql<{ registerMember: { id: string } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
        { input: { displayName: `報告 ${i}`, email: `report-${i}@example.com`, registeredVia: 'ONLINE' } },
        system.staffHeaders(),
      ),
    );
    members.push(data.registerMember.id);
  }
});
afterAll(() => system.close());

describe('membersByChannel', () => {
  const [jan, feb] = ['2026-01', '2026-02'];
  // JST months: 2026-01 is [2025-12-31T15:00Z, 2026-01-31T15:00Z)
  const period = { from: '2025-12-31T15:00:00.000Z', to: '2026-02-28T15:00:00.000Z' };

  beforeAll(async () => {
    now = new Date(T0.getTime() - 2 * HOUR);
    const [m1, m2, m3, m4, m5] = members as [string, string, string, string, string];
    await sale({ storeId: storeA, memberId: m1, yen: 1_000, occurredAt: '2026-01-10T03:00:00.000Z' });
    await sale({ storeId: online, memberId: m1, yen: 2_000, occurredAt: '2026-01-20T03:00:00.000Z' });
    await sale({ storeId: online, memberId: m2, yen: 3_000, occurredAt: '2026-01-31T14:30:00.000Z' }); // Jan 31 23:30 JST
    await sale({ storeId: storeA, memberId: m2, yen: 4_000, occurredAt: '2026-01-31T15:30:00.000Z' }); // Feb 1 00:30 JST
    await sale({ storeId: online, memberId: m3, yen: 5_000, occurredAt: '2026-02-05T03:00:00.000Z' });
    await sale({ storeId: online, memberId: m3, yen: 500, occurredAt: '2026-02-06T03:00:00.000Z' });
    await sale({ storeId: storeB, memberId: m4, yen: 6_000, occurredAt: '2026-02-07T03:00:00.000Z' });
    await sale({ storeId: storeA, memberId: null, yen: 7_000, occurredAt: '2026-02-08T03:00:00.000Z' }); // a guest: no one's
    // more points than m5 has: stored REJECTED, never a sale
    const refused = await system.graphql(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status } }',
      { input: { idempotencyKey: 'report-rejected', storeId: storeB, memberId: m5, lines: [{ sku: 'SKU-1', name: '商品', unitPrice: 8_000, quantity: 1 }], total: 8_000, pointsToRedeem: 5_000, occurredAt: '2026-02-09T03:00:00.000Z' } },
      system.staffHeaders(),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    expect(await system.db.collection('purchases').countDocuments({ state: 'REJECTED' })).toBe(1);
  });

  it('counts each JST month’s members who bought only in stores, only online and at both, and the same over the period', async () => {
    const report = ok(await system.graphql<{ membersByChannel: unknown }>(BY_CHANNEL, period, system.staffHeaders())).membersByChannel;
    expect(report).toEqual({
      ...period,
      rows: [
        { month: jan, storeOnly: 0, onlineOnly: 1, both: 1 },
        { month: feb, storeOnly: 2, onlineOnly: 1, both: 0 },
      ],
      // m1 and m2 bought at both over the period (m2 in different months), m3 only online, m4 only in a store
      storeOnly: 1,
      onlineOnly: 1,
      both: 2,
    });
  });

  it('counts only the period’s purchases and leaves out months without any', async () => {
    // from Feb 1 JST: m2's Jan 31 (JST) online purchase is outside, so m2 bought only in a store
    const february = { from: '2026-01-31T15:00:00.000Z', to: '2026-03-09T00:00:00.000Z' };
    const report = ok(await system.graphql<{ membersByChannel: unknown }>(BY_CHANNEL, february, system.staffHeaders())).membersByChannel;
    expect(report).toEqual({ ...february, rows: [{ month: feb, storeOnly: 2, onlineOnly: 1, both: 0 }], storeOnly: 2, onlineOnly: 1, both: 0 });
    const empty = ok(await system.graphql<{ membersByChannel: unknown }>(BY_CHANNEL, { from: '2025-01-01T00:00:00.000Z', to: '2025-12-01T00:00:00.000Z' }, system.staffHeaders())).membersByChannel;
    expect(empty).toEqual({ from: '2025-01-01T00:00:00.000Z', to: '2025-12-01T00:00:00.000Z', rows: [], storeOnly: 0, onlineOnly: 0, both: 0 });
  });

  it('refuses customers, POS keys and callers without auth, a backwards period and one longer than 731 days', async () => {
    expect((await system.graphql(BY_CHANNEL, period, system.customerHeaders(members[0]!))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await system.graphql(BY_CHANNEL, period, await system.posHeaders([storeA]))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await system.graphql(BY_CHANNEL, period)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const backwards = await system.graphql(BY_CHANNEL, { from: period.to, to: period.from }, system.staffHeaders());
    expect(backwards.errors).toEqual([expect.objectContaining({ message: 'to must be after from', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'to' }) })]);
    const same = await system.graphql(BY_CHANNEL, { from: period.from, to: period.from }, system.staffHeaders());
    expect(same.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const long = await system.graphql(BY_CHANNEL, { from: '2024-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }, system.staffHeaders());
    expect(long.errors).toEqual([expect.objectContaining({ message: 'The period can be at most 731 days', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    // exactly 731 days is allowed
    ok(await system.graphql(BY_CHANNEL, { from: '2024-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }, system.staffHeaders()));
  });
});

describe('a campaign’s results', () => {
  const startsAt = new Date(T0.getTime() + 10 * HOUR);
  const earnedBefore: number[] = [];
  const earnedDuring: number[] = [];

  beforeAll(async () => {
    const [m1, m2, m3] = members as [string, string, string];
    now = T0;
    const created = ok(
      await system.graphql<{ createCampaign: { id: string } }>(
        'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
        { input: { name: '春の2倍', kind: 'MULTIPLIER', multiplierPercent: 200, storeIds: [storeA, online], startsAt: startsAt.toISOString(), endsAt: new Date(T0.getTime() + 30 * 24 * HOUR).toISOString() } },
        system.adminHeaders(),
      ),
    );
    campaignId = created.createCampaign.id;
    // before either period: counts nowhere
    now = new Date(T0.getTime() - HOUR);
    await sale({ storeId: storeA, memberId: m1, yen: 20_000 });
    // the period before the campaign (at the query, [T0, T0 + 10h))
    now = new Date(T0.getTime() + 2 * HOUR);
    earnedBefore.push(await sale({ storeId: storeA, memberId: m1, yen: 10_000 }));
    earnedBefore.push(await sale({ storeId: online, memberId: m2, yen: 5_000 }));
    await sale({ storeId: storeA, memberId: null, yen: 3_000 });
    await sale({ storeId: storeB, memberId: m3, yen: 7_000 }); // not a campaign store
    // during the campaign
    now = new Date(T0.getTime() + 12 * HOUR);
    earnedDuring.push(await sale({ storeId: storeA, memberId: m1, yen: 8_000 }));
    earnedDuring.push(await sale({ storeId: online, memberId: m1, yen: 2_000 }));
    earnedDuring.push(await sale({ storeId: storeA, memberId: m3, yen: 4_000 }));
    await sale({ storeId: storeB, memberId: m2, yen: 9_000 }); // not a campaign store
    now = new Date(T0.getTime() + 20 * HOUR);
  });

  it('compares the purchases and points at the campaign’s stores in its window with the period of the same length before it', async () => {
    const campaigns = ok(await system.graphql<{ campaigns: { id: string; purchaseResults: unknown; pointResults: unknown }[] }>(RESULTS, {}, system.staffHeaders())).campaigns;
    const campaign = campaigns.find((c) => c.id === campaignId)!;
    const during = { from: startsAt.toISOString(), to: now.toISOString() };
    const before = { from: T0.toISOString(), to: startsAt.toISOString() };
    expect(campaign.purchaseResults).toEqual({
      // the guest's purchase counts, not as a member
      before: { ...before, purchases: 3, sales: 18_000, members: 2 },
      during: { ...during, purchases: 3, sales: 14_000, members: 2 },
      purchasesChange: 1,
      salesChange: 14_000 / 18_000,
      membersChange: 1,
    });
    const sum = (list: number[]) => list.reduce((total, n) => total + n, 0);
    // doubled by the campaign: 2% of 14,000 against 1% of 15,000 (the guest earned nothing)
    expect(sum(earnedDuring)).toBeGreaterThan(sum(earnedBefore));
    expect(campaign.pointResults).toEqual({
      before: { ...before, earned: sum(earnedBefore) },
      during: { ...during, earned: sum(earnedDuring) },
      earnedChange: sum(earnedDuring) / sum(earnedBefore),
      campaignPurchases: 3,
      pointsOnCampaignPurchases: sum(earnedDuring),
    });
  });

  it('answers one campaign by id with the same results, and null for an id that is none', async () => {
    const ONE = `query($id: ID!) { campaign(id: $id) { id name
      purchaseResults { during { purchases sales members } before { purchases sales members } }
      pointResults { during { earned } before { earned } }
    } }`;
    const all = ok(await system.graphql<{ campaigns: { id: string; purchaseResults: { during: object; before: object }; pointResults: { during: object; before: object } }[] }>(RESULTS, {}, system.staffHeaders())).campaigns.find((c) => c.id === campaignId)!;
    const one = ok(await system.graphql<{ campaign: { id: string; name: string; purchaseResults: unknown; pointResults: unknown } }>(ONE, { id: campaignId }, system.staffHeaders())).campaign;
    expect(one).toEqual({
      id: campaignId,
      name: '春の2倍',
      purchaseResults: { during: expect.objectContaining({ purchases: 3, sales: 14_000 }), before: expect.objectContaining({ purchases: 3, sales: 18_000 }) },
      pointResults: { during: { earned: (all.pointResults.during as { earned: number }).earned }, before: { earned: (all.pointResults.before as { earned: number }).earned } },
    });
    for (const id of ['0123456789abcdef01234567', 'not-an-id']) {
      expect(ok(await system.graphql<{ campaign: null }>(ONE, { id }, system.staffHeaders()))).toEqual({ campaign: null });
    }
    expect((await system.graphql(ONE, { id: campaignId }, system.customerHeaders(members[0]!))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers empty periods and null changes before the campaign starts', async () => {
    now = new Date(T0.getTime() + 5 * HOUR);
    try {
      const campaign = ok(await system.graphql<{ campaigns: { id: string; purchaseResults: unknown; pointResults: unknown }[] }>(RESULTS, {}, system.staffHeaders())).campaigns.find((c) => c.id === campaignId)!;
      const empty = { from: startsAt.toISOString(), to: startsAt.toISOString() };
      expect(campaign.purchaseResults).toEqual({ before: { ...empty, purchases: 0, sales: 0, members: 0 }, during: { ...empty, purchases: 0, sales: 0, members: 0 }, purchasesChange: null, salesChange: null, membersChange: null });
      expect(campaign.pointResults).toEqual({ before: { ...empty, earned: 0 }, during: { ...empty, earned: 0 }, earnedChange: null, campaignPurchases: 0, pointsOnCampaignPurchases: 0 });
    } finally {
      now = new Date(T0.getTime() + 20 * HOUR);
    }
  });

  it('refuses customers, POS keys and callers without auth', async () => {
    expect((await system.graphql(RESULTS, {}, system.customerHeaders(members[0]!))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await system.graphql(RESULTS, {}, await system.posHeaders([storeA]))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await system.graphql(RESULTS, {})).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
