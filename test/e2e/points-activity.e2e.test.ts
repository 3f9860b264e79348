import { createStore, ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Points earned and redeemed by month × store × channel, and the redemption rate, through the gateway, against
 * what each purchase said it earned and redeemed. Only staff may read it.
 */
let system: TestSystem;
let storeA: string;
let storeB: string;
const sales: { storeId: string; earned: number; redeemed: number }[] = [];
let signupBonuses = 0;
let start: Date;

const ACTIVITY = `query($from: DateTime!, $to: DateTime!) { pointsActivity(from: $from, to: $to) {
  earned redeemed redemptionRate rows { month storeId channel earned redeemed expired earnReversed redeemReturned }
} }`;

interface Row {
  month: string;
  storeId: string | null;
  channel: string | null;
  earned: number;
  redeemed: number;
  expired: number;
  earnReversed: number;
  redeemReturned: number;
}

async function sale(storeId: string, memberId: string, key: string, yen: number, pointsToRedeem = 0): Promise<void> {
  const data = ok(
    await system.graphql<{ recordPurchase: { status: string; pointsEarned: number; pointsRedeemed: number } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status pointsEarned pointsRedeemed } }',
      { input: { idempotencyKey: key, storeId, memberId, lines: [{ sku: 'SKU-1', name: '商品', unitPrice: yen, quantity: 1 }], total: yen, pointsToRedeem } },
      system.staffHeaders(),
    ),
  );
  expect(data.recordPurchase.status).toBe('COMPLETED');
  sales.push({ storeId, earned: data.recordPurchase.pointsEarned, redeemed: data.recordPurchase.pointsRedeemed });
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  start = new Date();
  storeA = await createStore(system, { code: 'A01', name: '梅田店', kind: 'PHYSICAL' });
  storeB = await createStore(system, { code: 'B01', name: '難波店', kind: 'PHYSICAL' });
  const members: string[] = [];
  for (const [i, name] of ['活動 一', '活動 二'].entries()) {
    const data = ok(
      await system.graphql<{ registerMember: { id: string; points: { balance: number } } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id points { balance } } }',
        { input: { displayName: name, email: `activity-${i}@example.com`, registeredVia: 'ONLINE' } },
        system.staffHeaders(),
      ),
    );
    members.push(data.registerMember.id);
    signupBonuses += data.registerMember.points.balance;
  }
  await sale(storeA, members[0]!, 'act-1', 12_800);
  await sale(storeA, members[1]!, 'act-2', 4_400);
  await sale(storeB, members[0]!, 'act-3', 5_000, 60);
});
afterAll(() => system.close());

describe('points activity', () => {
  it('sums each store’s earned and redeemed points as the purchases reported them, with the bonuses apart, and the rate', async () => {
    const to = new Date(Date.now() + 1_000);
    const report = ok(await system.graphql<{ pointsActivity: { earned: number; redeemed: number; redemptionRate: number | null; rows: Row[] } }>(ACTIVITY, { from: start.toISOString(), to: to.toISOString() }, system.staffHeaders())).pointsActivity;
    const at = (storeId: string) => sales.filter((s) => s.storeId === storeId);
    const total = (list: { earned: number; redeemed: number }[], key: 'earned' | 'redeemed') => list.reduce((sum, s) => sum + s[key], 0);
    const month = report.rows[0]!.month;
    expect(month).toMatch(/^\d{4}-\d{2}$/);
    const expected: Row[] = [
      { month, storeId: storeA, channel: 'STORE', earned: total(at(storeA), 'earned'), redeemed: 0, expired: 0, earnReversed: 0, redeemReturned: 0 },
      { month, storeId: storeB, channel: 'STORE', earned: total(at(storeB), 'earned'), redeemed: 60, expired: 0, earnReversed: 0, redeemReturned: 0 },
    ];
    if (signupBonuses > 0) expected.unshift({ month, storeId: null, channel: null, earned: signupBonuses, redeemed: 0, expired: 0, earnReversed: 0, redeemReturned: 0 });
    expect(report.rows).toEqual(expected.sort((a, b) => (a.storeId ?? '').localeCompare(b.storeId ?? '')));
    expect(total(sales, 'earned')).toBeGreaterThan(0);
    const earned = total(sales, 'earned') + signupBonuses;
    expect(report).toMatchObject({ earned, redeemed: 60 });
    expect(report.redemptionRate).toBeCloseTo(60 / earned, 10);
  });

  it('counts nothing outside the period', async () => {
    const report = ok(await system.graphql<{ pointsActivity: { earned: number; rows: Row[]; redemptionRate: number | null } }>(ACTIVITY, { from: new Date(start.getTime() - 30 * 86_400_000).toISOString(), to: start.toISOString() }, system.staffHeaders())).pointsActivity;
    expect(report).toEqual({ earned: 0, redeemed: 0, redemptionRate: null, rows: [] });
  });

  it('refuses customers, POS keys, a backwards period and one longer than two years', async () => {
    const period = { from: start.toISOString(), to: new Date().toISOString() };
    expect((await system.graphql(ACTIVITY, period, await system.posHeaders([storeA]))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const backwards = await system.graphql(ACTIVITY, { from: period.to, to: period.from }, system.staffHeaders());
    expect(backwards.errors).toEqual([expect.objectContaining({ message: 'to must be after from', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    const long = await system.graphql(ACTIVITY, { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, system.staffHeaders());
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
