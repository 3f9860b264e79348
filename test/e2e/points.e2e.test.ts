import { startTestSystem, type TestSystem } from '../helpers/system';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) {
    registerMember(input: $input) {
      id
      points { balance pendingBalance lifetimeEarned tier history(first: 5) { nodes { type amount reason actor } } }
    }
  }
`;
const ADJUST = /* GraphQL */ `
  mutation Adjust($memberId: ID!, $amount: Int!, $reason: String!, $key: String!) {
    adjustPoints(memberId: $memberId, amount: $amount, reason: $reason, idempotencyKey: $key) {
      transaction { id type amount balanceAfter reason actor }
      account { balance }
    }
  }
`;
const MY_POINTS = /* GraphQL */ `
  { me { points { balance pendingBalance lifetimeEarned tier tierProgress { qualifyingSpend nextTier spendToNextTier } expiring { points expiresAt } } } }
`;

interface Registered {
  registerMember: { id: string; points: { balance: number; history: { nodes: { type: string; amount: number }[] } } };
}

let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
});
afterAll(() => system.close());

let counter = 0;
async function register(): Promise<string> {
  counter += 1;
  const response = await system.graphql<Registered>(REGISTER, { input: { displayName: `会員${counter}`, email: `p${counter}@example.com`, registeredVia: 'ONLINE' } }, system.staffHeaders());
  expect(response.errors).toBeUndefined();
  return response.data!.registerMember.id;
}

describe('points through the gateway', () => {
  it('gives a new member the sign-up bonus, visible in the registration response', async () => {
    const response = await system.graphql<Registered>(REGISTER, { input: { displayName: '新規', phone: '090-7777-8888', registeredVia: 'ONLINE' } }, system.staffHeaders());
    expect(response.data!.registerMember.points).toEqual({
      balance: 100,
      pendingBalance: 0,
      lifetimeEarned: 100,
      tier: 'REGULAR',
      history: { nodes: [{ type: 'BONUS', amount: 100, reason: 'Sign-up bonus', actor: 'system' }] },
    });
  });

  it('lets staff adjust points once per idempotency key and the member read the result', async () => {
    const memberId = await register();
    const variables = { memberId, amount: 250, reason: '店頭でのお詫び', key: `apology-${memberId}` };
    const first = await system.graphql<{ adjustPoints: { transaction: { id: string } } }>(ADJUST, variables, system.staffHeaders());
    const replay = await system.graphql<{ adjustPoints: { transaction: { id: string } } }>(ADJUST, variables, system.staffHeaders());
    expect(first.data).toEqual({
      adjustPoints: {
        transaction: { id: expect.any(String), type: 'ADJUST', amount: 250, balanceAfter: 350, reason: '店頭でのお詫び', actor: 'staff:staff-1' },
        account: { balance: 350 },
      },
    });
    expect(replay.data!.adjustPoints.transaction.id).toBe(first.data!.adjustPoints.transaction.id);

    const mine = await system.graphql(MY_POINTS, {}, system.customerHeaders(memberId));
    expect(mine.data).toEqual({
      me: {
        points: {
          balance: 350,
          pendingBalance: 0,
          lifetimeEarned: 100,
          tier: 'REGULAR',
          tierProgress: { qualifyingSpend: 0, nextTier: 'SILVER', spendToNextTier: 50_000 },
          // both lots expire at the end of the same JST day, a year from now
          expiring: [{ points: 350, expiresAt: expect.stringMatching(/T14:59:59\.999Z$/) }],
        },
      },
    });
  });

  it('refuses an overdraft with INSUFFICIENT_POINTS and an adjustment by a POS key with FORBIDDEN, writing nothing', async () => {
    const memberId = await register();
    const overdraft = await system.graphql(ADJUST, { memberId, amount: -101, reason: 'too much', key: `over-${memberId}` }, system.staffHeaders());
    expect(overdraft.errors?.[0]?.extensions).toEqual({ code: 'INSUFFICIENT_POINTS' });
    const pos = await system.graphql(ADJUST, { memberId, amount: 5, reason: 'pos', key: `pos-${memberId}` }, await system.posHeaders([storeId]));
    expect(pos.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(await system.db.collection('point_ledger').countDocuments({ memberId })).toBe(1);
  });

  it('shows a register what a purchase would earn before payment', async () => {
    const memberId = await register();
    const code = await system.graphql<{ member: { memberCode: string } }>('query($id: ID!) { member(id: $id) { memberCode } }', { id: memberId }, system.staffHeaders());
    const preview = await system.graphql(
      `query($storeId: ID!, $code: String) { earnPreview(storeId: $storeId, channel: STORE, amount: 5360, memberCode: $code) { points breakdown { ratePoints ratePerYen tier rounding } } }`,
      { storeId, code: code.data!.member.memberCode },
      await system.posHeaders([storeId]),
    );
    expect(preview.data).toEqual({ earnPreview: { points: 53, breakdown: { ratePoints: 1, ratePerYen: 100, tier: 'REGULAR', rounding: 'FLOOR' } } });
  });

  it('keeps the sign-up bonus queued while points is down and gives it exactly once when points is back', async () => {
    await system.stop('points');
    const registered = await system.graphql<{ registerMember: { id: string } }>(
      `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }`,
      { input: { displayName: '停止中', email: 'during-outage@example.com', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    );
    const memberId = registered.data!.registerMember.id;
    const outbox = system.subgraphs.members.built.outbox;
    expect(await outbox.find(`signup-bonus:${memberId}`)).toMatchObject({ doneAt: null, attempts: 1 });

    await system.restart('points');
    // due again after its back-off: process it as the worker would once the time comes
    await system.db.collection('members_outbox').updateOne({ _id: `signup-bonus:${memberId}` as never }, { $set: { nextAttemptAt: new Date(0) } });
    await outbox.drain();
    await outbox.drain();
    const balance = await system.graphql<{ me: { points: { balance: number } } }>('{ me { points { balance } } }', {}, system.customerHeaders(memberId));
    expect(balance.data!.me.points.balance).toBe(100);
    expect(await system.db.collection('point_ledger').countDocuments({ memberId })).toBe(1);
  });
});
