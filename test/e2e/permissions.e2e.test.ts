import { startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) { id status pointsEarned pointsRedeemed member { points { balance } } }
  }
`;
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { email phone } }
`;
const HISTORY = /* GraphQL */ `
  query History($code: String!, $first: Int!) {
    memberByCode(code: $code) {
      points { history(first: $first) { nodes { type amount storeId purchaseId actor reason } hasNextPage } }
    }
  }
`;

interface Recorded {
  recordPurchase: { id: string; status: string; pointsEarned: number; pointsRedeemed: number; member: { points: { balance: number } } };
}
interface HistoryPage {
  memberByCode: { points: { history: { nodes: Record<string, unknown>[]; hasNextPage: boolean } } };
}

/** The system's clock: tests move it to check what depends on time (backdating windows, rate-limit windows). */
let now = new Date('2026-12-01T01:00:00.000Z');
const HOUR_MS = 3_600_000;

let system: TestSystem;
let storeA: string;
let storeB: string;
let posA: Record<string, string>;
let posB: Record<string, string>;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  const create = async (code: string) =>
    (await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code, name: code, kind: 'PHYSICAL' } }, system.adminHeaders()))
      .data!.createStore.id;
  storeA = await create('S001');
  storeB = await create('S002');
  posA = await system.posHeaders([storeA]);
  posB = await system.posHeaders([storeB]);
});
afterAll(() => system.close());

let sequence = 0;
async function registerAt(storeId: string, pos: Record<string, string>): Promise<{ id: string; memberCode: string }> {
  sequence += 1;
  const response = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
    REGISTER,
    { input: { displayName: `会員${sequence}`, phone: `090-2000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    pos,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerMember;
}

const purchase = (key: string, storeId: string, member: { memberCode?: string; memberId?: string }, yen = 1000, extra: Record<string, unknown> = {}) => ({
  input: { idempotencyKey: key, storeId, ...member, lines: [{ sku: 'TEA-01', name: 'ほうじ茶', unitPrice: yen, quantity: 1 }], total: yen, ...extra },
});

const count = (collection: string, filter: Record<string, unknown>) => system.db.collection(collection).countDocuments(filter);

/** The one error of a response that returned nothing (data null, or its one nullable field null). */
function errorOf(response: GraphQLResponse): { message?: string; extensions?: Record<string, unknown> } {
  expect(Object.values(response.data ?? {}).filter((value) => value !== null)).toEqual([]);
  expect(response.errors).toHaveLength(1);
  return { message: response.errors?.[0]?.message, extensions: response.errors?.[0]?.extensions };
}

describe('POS keys identify members by their card', () => {
  it('refuses a purchase by memberId from a POS key with FORBIDDEN, writing nothing; the card code works and staff may use the id', async () => {
    const member = await registerAt(storeA, posA);

    const byId = await system.graphql(RECORD, purchase('by-id', storeA, { memberId: member.id }, 1000, { pointsToRedeem: 100 }), posA);
    expect(errorOf(byId)).toEqual({
      message: 'POS keys identify the member by the card (memberCode); memberId is for staff',
      extensions: { code: 'FORBIDDEN', field: 'memberId' },
    });
    expect(await count('purchases', { idempotencyKey: 'by-id' })).toBe(0);
    expect(await count('point_ledger', { memberId: member.id })).toBe(1);

    const byCode = await system.graphql<Recorded>(RECORD, purchase('by-code', storeA, { memberCode: member.memberCode }, 1000, { pointsToRedeem: 100 }), posA);
    expect(byCode.data?.recordPurchase).toMatchObject({ status: 'COMPLETED', pointsEarned: 9, pointsRedeemed: 100, member: { points: { balance: 9 } } });

    const byStaff = await system.graphql<Recorded>(RECORD, purchase('by-staff', storeA, { memberId: member.id }), system.adminHeaders());
    expect(byStaff.data?.recordPurchase).toMatchObject({ status: 'COMPLETED', pointsEarned: 10, member: { points: { balance: 19 } } });
  });
});

const PREVIEW = /* GraphQL */ `
  query Preview($storeId: ID!, $memberCode: String, $memberId: ID) {
    earnPreview(storeId: $storeId, channel: STORE, amount: 1000, memberCode: $memberCode, memberId: $memberId) { points breakdown { tier } }
  }
`;

describe('earnPreview names the member as recordPurchase does', () => {
  it('refuses a POS key a preview by memberId, previews by card, and previews nothing for a withdrawn membership', async () => {
    const member = await registerAt(storeA, posA);
    const byId = await system.graphql(PREVIEW, { storeId: storeA, memberId: member.id }, posA);
    expect(errorOf(byId)).toEqual({
      message: 'POS keys identify the member by the card (memberCode); memberId is for staff',
      extensions: { code: 'FORBIDDEN', field: 'memberId' },
    });
    const byCard = await system.graphql(PREVIEW, { storeId: storeA, memberCode: member.memberCode }, posA);
    expect(byCard.data).toEqual({ earnPreview: { points: 10, breakdown: { tier: 'REGULAR' } } });
    const byStaff = await system.graphql(PREVIEW, { storeId: storeA, memberId: member.id }, system.adminHeaders());
    expect(byStaff.data).toEqual({ earnPreview: { points: 10, breakdown: { tier: 'REGULAR' } } });

    await system.graphql(`mutation($id: ID!) { withdrawMember(id: $id) { status } }`, { id: member.id }, system.adminHeaders());
    const withdrawnCard = await system.graphql(PREVIEW, { storeId: storeA, memberCode: member.memberCode }, posA);
    expect(errorOf(withdrawnCard)).toEqual({ message: 'This card’s membership was withdrawn', extensions: { code: 'NOT_FOUND' } });
    const withdrawnId = await system.graphql(PREVIEW, { storeId: storeA, memberId: member.id }, system.adminHeaders());
    expect(errorOf(withdrawnId)).toEqual({ message: 'This member’s membership was withdrawn', extensions: { code: 'NOT_FOUND' } });
  });
});

describe('a withdrawn member’s card', () => {
  it('is not found at the POS, and records no purchase by card or (staff) by id', async () => {
    const member = await registerAt(storeA, posA);
    const withdrawn = await system.graphql(`mutation($id: ID!) { withdrawMember(id: $id) { status } }`, { id: member.id }, system.customerHeaders(member.id));
    expect(withdrawn.data).toEqual({ withdrawMember: { status: 'WITHDRAWN' } });

    const lookup = await system.graphql(`query($code: String!) { memberByCode(code: $code) { id } }`, { code: member.memberCode }, posA);
    expect(errorOf(lookup)).toEqual({ message: 'This card’s membership was withdrawn', extensions: { code: 'NOT_FOUND' } });

    const byCard = await system.graphql(RECORD, purchase('withdrawn-card', storeA, { memberCode: member.memberCode }, 1000, { pointsToRedeem: 50 }), posA);
    expect(errorOf(byCard)).toEqual({ message: 'This card’s membership was withdrawn', extensions: { code: 'NOT_FOUND' } });
    const byId = await system.graphql(RECORD, purchase('withdrawn-id', storeA, { memberId: member.id }), system.adminHeaders());
    expect(errorOf(byId)).toEqual({ message: 'This member’s membership was withdrawn', extensions: { code: 'NOT_FOUND' } });
    expect(await count('purchases', { idempotencyKey: { $in: ['withdrawn-card', 'withdrawn-id'] } })).toBe(0);
    expect(await count('point_ledger', { memberId: member.id })).toBe(1);

    const byStaff = await system.graphql(`query($code: String!) { memberByCode(code: $code) { id status } }`, { code: member.memberCode }, system.adminHeaders());
    expect(byStaff.data).toEqual({ memberByCode: { id: member.id, status: 'WITHDRAWN' } });
  });
});

describe('backdated purchases', () => {
  it('lets a POS key backdate within POS_MAX_BACKDATE_HOURS (72) and staff beyond it', async () => {
    const member = await registerAt(storeA, posA);
    const hoursAgo = (hours: number) => new Date(now.getTime() - hours * HOUR_MS).toISOString();

    const tooOld = await system.graphql(RECORD, purchase('backdate-73h', storeA, { memberCode: member.memberCode }, 1000, { occurredAt: hoursAgo(73) }), posA);
    expect(errorOf(tooOld)).toEqual({
      message: 'occurredAt is more than 72 hours ago; older purchases are recorded by staff',
      extensions: { code: 'BAD_USER_INPUT', field: 'occurredAt' },
    });
    expect(await count('purchases', { idempotencyKey: 'backdate-73h' })).toBe(0);

    const offline = await system.graphql<Recorded>(RECORD, purchase('backdate-71h', storeA, { memberCode: member.memberCode }, 1000, { occurredAt: hoursAgo(71) }), posA);
    expect(offline.data?.recordPurchase).toMatchObject({ status: 'COMPLETED', pointsEarned: 10 });

    const byStaff = await system.graphql<Recorded>(RECORD, purchase('backdate-30d', storeA, { memberCode: member.memberCode }, 1000, { occurredAt: hoursAgo(30 * 24) }), system.adminHeaders());
    expect(byStaff.data?.recordPurchase).toMatchObject({ status: 'COMPLETED', pointsEarned: 10 });
  });
});

describe('point history by caller', () => {
  it('shows a POS key only its own stores’ entries, paged in the query, without actors or reasons; the member all entries without actors; staff everything', async () => {
    const member = await registerAt(storeA, posA);
    const atA = (await system.graphql<Recorded>(RECORD, purchase('history-a', storeA, { memberCode: member.memberCode }, 1000), posA)).data!.recordPurchase;
    const atB = (await system.graphql<Recorded>(RECORD, purchase('history-b', storeB, { memberCode: member.memberCode }, 2000), posB)).data!.recordPurchase;
    const refund = await system.graphql(
      'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { status } }',
      { input: { purchaseId: atA.id, idempotencyKey: 'history-a-r1', amount: 500 } },
      posA,
    );
    expect(refund.data).toEqual({ refundPurchase: { status: 'PARTIALLY_REFUNDED' } });
    const adjust = await system.graphql(
      'mutation($id: ID!) { adjustPoints(memberId: $id, amount: 7, reason: "お詫び", idempotencyKey: "history-adjust") { transaction { amount } } }',
      { id: member.id },
      system.adminHeaders(),
    );
    expect(adjust.errors).toBeUndefined();

    const byPosA = await system.graphql<HistoryPage>(HISTORY, { code: member.memberCode, first: 2 }, posA);
    expect(byPosA.data?.memberByCode.points.history).toEqual({
      nodes: [
        { type: 'REVERSAL', amount: -5, storeId: storeA, purchaseId: atA.id, actor: null, reason: null },
        { type: 'EARN', amount: 10, storeId: storeA, purchaseId: atA.id, actor: null, reason: null },
      ],
      hasNextPage: false,
    });
    const byPosB = await system.graphql<HistoryPage>(HISTORY, { code: member.memberCode, first: 1 }, posB);
    expect(byPosB.data?.memberByCode.points.history).toEqual({
      nodes: [{ type: 'EARN', amount: 20, storeId: storeB, purchaseId: atB.id, actor: null, reason: null }],
      hasNextPage: false,
    });

    const byMember = await system.graphql<{ me: HistoryPage['memberByCode'] }>(
      '{ me { points { history(first: 10) { nodes { type amount storeId actor reason } hasNextPage } } } }',
      {},
      system.customerHeaders(member.id),
    );
    expect(byMember.data?.me.points.history.nodes).toEqual([
      { type: 'ADJUST', amount: 7, storeId: null, actor: null, reason: 'お詫び' },
      { type: 'REVERSAL', amount: -5, storeId: storeA, actor: null, reason: expect.stringMatching(/^Refund /) },
      { type: 'EARN', amount: 20, storeId: storeB, actor: null, reason: null },
      { type: 'EARN', amount: 10, storeId: storeA, actor: null, reason: null },
      { type: 'BONUS', amount: 100, storeId: null, actor: null, reason: 'Sign-up bonus' },
    ]);

    const byStaff = await system.graphql<HistoryPage>(HISTORY, { code: member.memberCode, first: 1 }, system.adminHeaders());
    expect(byStaff.data?.memberByCode.points.history).toEqual({
      nodes: [{ type: 'ADJUST', amount: 7, storeId: null, purchaseId: null, actor: 'staff:admin-1', reason: 'お詫び' }],
      hasNextPage: true,
    });
  });
});

describe('a customer changing their contact details', () => {
  it('is told an address in use "cannot be used", names nobody, and gets 5 contact changes an hour', async () => {
    const other = await registerAt(storeA, posA);
    await system.graphql(UPDATE, { id: other.id, input: { email: 'taken@example.com' } }, system.adminHeaders());
    const member = await registerAt(storeA, posA);
    const customer = system.customerHeaders(member.id);
    const start = now;

    const taken = await system.graphql(UPDATE, { id: member.id, input: { email: 'Taken@example.com' } }, customer);
    expect(errorOf(taken)).toEqual({
      message: 'This e-mail address cannot be used; choose another one',
      extensions: { code: 'BAD_USER_INPUT', field: 'email' },
    });
    for (let n = 1; n <= 4; n += 1) {
      const changed = await system.graphql(UPDATE, { id: member.id, input: { email: `mine${n}@example.com` } }, customer);
      expect(changed.data).toEqual({ updateMember: { email: `mine${n}@example.com`, phone: expect.any(String) } });
    }
    const sixth = await system.graphql(UPDATE, { id: member.id, input: { email: 'mine5@example.com' } }, customer);
    expect(errorOf(sixth)).toEqual({
      message: 'Too many contact changes; try again later',
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 3600 },
    });

    now = new Date(start.getTime() + 30 * 60_000);
    const later = await system.graphql(UPDATE, { id: member.id, input: { phone: '090-9999-0001' } }, customer);
    expect(errorOf(later).extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1800 });
    const name = await system.graphql(`mutation($id: ID!) { updateMember(id: $id, input: { displayName: "新しい名前" }) { displayName } }`, { id: member.id }, customer);
    expect(name.data).toEqual({ updateMember: { displayName: '新しい名前' } });
    const byStaff = await system.graphql(UPDATE, { id: member.id, input: { email: 'staff-set@example.com' } }, system.adminHeaders());
    expect(byStaff.data).toEqual({ updateMember: { email: 'staff-set@example.com', phone: expect.any(String) } });

    now = new Date(start.getTime() + HOUR_MS);
    const nextHour = await system.graphql(UPDATE, { id: member.id, input: { email: 'mine5@example.com' } }, customer);
    expect(nextHour.data).toEqual({ updateMember: { email: 'mine5@example.com', phone: expect.any(String) } });
  });

  it('accepts exactly 5 of 10 contact changes sent at once', async () => {
    const member = await registerAt(storeA, posA);
    const customer = system.customerHeaders(member.id);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, n) => system.graphql(UPDATE, { id: member.id, input: { email: `burst${n}@example.com` } }, customer)),
    );
    const codes = answers.map((answer) => answer.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual([...Array(5).fill('OK'), ...Array(5).fill('RATE_LIMITED')]);
  });
});
