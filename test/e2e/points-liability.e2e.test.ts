import { createStore, ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The points liability report through the gateway, against the members' own balances read one by one: now, and at
 * a moment before later changes (the ledger as it stood then). Only staff may read it.
 */
let system: TestSystem;
let shift = 0;
const clock = () => new Date(Date.now() + shift);
const members: string[] = [];
let storeId: string;

interface Liability {
  asOf: string;
  yenPerPoint: number;
  accounts: number;
  balancePoints: number;
  pendingPoints: number;
  owedPoints: number;
  outstandingPoints: number;
  outstandingYen: number;
  byExpiryMonth: { month: string; points: number; yen: number }[];
}

const LIABILITY = `query($asOf: DateTime) { pointsLiability(asOf: $asOf) {
  asOf yenPerPoint accounts balancePoints pendingPoints owedPoints outstandingPoints outstandingYen byExpiryMonth { month points yen }
} }`;

async function liability(asOf?: Date): Promise<Liability> {
  return ok(await system.graphql<{ pointsLiability: Liability }>(LIABILITY, { asOf: asOf?.toISOString() }, system.staffHeaders())).pointsLiability;
}

/** Every member's balance as each member's own account shows it, added up: what the report must agree with. */
async function sumOfBalances(): Promise<number> {
  let total = 0;
  for (const id of members) {
    const data = ok(await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id }, system.staffHeaders()));
    total += data.member.points.balance;
  }
  return total;
}

async function adjust(memberId: string, amount: number, key: string): Promise<void> {
  ok(
    await system.graphql(
      'mutation($id: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $id, amount: $amount, reason: "report test", idempotencyKey: $key) { account { balance } } }',
      { id: memberId, amount, key },
      system.adminHeaders(),
    ),
  );
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock });
  storeId = await createStore(system);
  for (const [i, name] of ['会計 一郎', '会計 二郎', '会計 三郎'].entries()) {
    const data = ok(
      await system.graphql<{ registerMember: { id: string } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
        { input: { displayName: name, email: `liability-${i}@example.com`, registeredVia: 'STORE', registeredStoreId: storeId } },
        system.staffHeaders(),
      ),
    );
    members.push(data.registerMember.id);
  }
  await recordOneLinePurchase(system, { idempotencyKey: 'liab-1', storeId, memberId: members[0]!, yen: 12_800, occurredAt: clock() });
  await recordOneLinePurchase(system, { idempotencyKey: 'liab-2', storeId, memberId: members[1]!, yen: 3_300, occurredAt: clock() });
  await adjust(members[2]!, -40, 'liab-adjust-1');
});
afterAll(() => system.close());

describe('the points liability', () => {
  let before: { at: Date; balances: number; report: Liability };

  it('now: its balance total equals the sum of every member’s balance, in yen at one yen a point, by expiry month', async () => {
    const balances = await sumOfBalances();
    const report = await liability();
    expect(balances).toBeGreaterThan(0);
    expect(report).toMatchObject({ yenPerPoint: 1, accounts: 3, balancePoints: balances, pendingPoints: 0, owedPoints: 0, outstandingPoints: balances, outstandingYen: balances });
    expect(report.byExpiryMonth.length).toBeGreaterThan(0);
    expect(report.byExpiryMonth.map((m) => m.month)).toEqual([...report.byExpiryMonth.map((m) => m.month)].sort());
    for (const month of report.byExpiryMonth) expect(month).toEqual({ month: expect.stringMatching(/^\d{4}-\d{2}$/), points: month.yen, yen: month.points });
    expect(report.byExpiryMonth.reduce((total, m) => total + m.points, 0)).toBe(report.outstandingPoints + report.owedPoints);
    before = { at: clock(), balances, report };
  });

  it('as of an earlier moment: the accounts as they stood then, not the changes made since', async () => {
    shift += 60_000;
    await adjust(members[0]!, 500, 'liab-adjust-2');
    await recordOneLinePurchase(system, { idempotencyKey: 'liab-3', storeId, memberId: members[2]!, yen: 9_900, occurredAt: clock() });
    const now = await sumOfBalances();
    expect(now).toBeGreaterThan(before.balances + 500);
    expect((await liability()).balancePoints).toBe(now);
    const then = await liability(before.at);
    expect(then).toEqual({ ...before.report, asOf: before.at.toISOString() });
  });

  it('refuses customers, POS keys and anonymous callers, and a moment in the future', async () => {
    const customer = await system.graphql(LIABILITY, {}, system.customerHeaders(members[0]!));
    expect(customer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const pos = await system.graphql(LIABILITY, {}, await system.posHeaders([storeId]));
    expect(pos.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await system.graphql(LIABILITY, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const future = await system.graphql(LIABILITY, { asOf: new Date(clock().getTime() + 86_400_000).toISOString() }, system.staffHeaders());
    expect(future.errors).toEqual([expect.objectContaining({ message: 'asOf cannot be in the future', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    expect(future.data).toBeNull();
  });
});
