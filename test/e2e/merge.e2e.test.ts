import { ledgerEntryModel } from '@omo/points/src/models/ledger-entry.model';
import { pointAccountModel } from '@omo/points/src/models/point-account.model';
import { verifyLedger } from '@omo/points/src/services/ledger-verify';
import { startTestSystem, type TestSystem } from '../helpers/system';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }
`;
const ADJUST = /* GraphQL */ `
  mutation Adjust($memberId: ID!, $amount: Int!, $key: String!) {
    adjustPoints(memberId: $memberId, amount: $amount, reason: "統合前の調整", idempotencyKey: $key) { account { balance } }
  }
`;
const MERGE = /* GraphQL */ `
  mutation Merge($survivorId: ID!, $mergedId: ID!) {
    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) {
      id email phone tags
      points { balance }
      merges { id mergedId state pendingSteps pointsMoved purchasesMoved refusalReason }
    }
  }
`;
/** The members subgraph's fields only: answerable while points is down. */
const MERGE_MEMBERS_ONLY = /* GraphQL */ `
  mutation Merge($survivorId: ID!, $mergedId: ID!) {
    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) { id merges { mergedId state pendingSteps } }
  }
`;
const MEMBER = /* GraphQL */ `
  query Member($id: ID!) { member(id: $id) { id status mergedIntoId email points { balance } } }
`;
const BY_CODE = /* GraphQL */ `
  query ByCode($code: String!) { memberByCode(code: $code) { id points { balance } merges { id } } }
`;

interface Registered {
  id: string;
  memberCode: string;
}
interface MergeView {
  id: string;
  mergedId: string;
  state: string;
  pendingSteps: string[];
  pointsMoved: number | null;
  purchasesMoved: number | null;
  refusalReason: string | null;
}
interface Merged {
  mergeMembers: { id: string; email: string | null; phone: string | null; tags: string[]; points: { balance: number }; merges: MergeView[] };
}
interface MemberRead {
  member: { id: string; status: string; mergedIntoId: string | null; email: string | null; points: { balance: number } };
}

let system: TestSystem;
let storeId: string;
let pos: Record<string, string>;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
  pos = await system.posHeaders([storeId]);
});
afterAll(() => system.close());

let sequence = 0;
/** A member who signed up at the register (phone only); 100 points sign-up bonus. */
async function registerAtStore(): Promise<Registered> {
  sequence += 1;
  const input = { displayName: `来店${sequence}`, phone: `090-2000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId };
  const response = await system.graphql<{ registerMember: Registered }>(REGISTER, { input }, pos);
  expect(response.errors).toBeUndefined();
  return response.data!.registerMember;
}

/** A member who signed up online (e-mail only), with `extra` points on top of the 100-point sign-up bonus. */
async function registerOnline(extra = 0): Promise<Registered> {
  sequence += 1;
  const input = { displayName: `オンライン${sequence}`, email: `online${sequence}@example.com`, registeredVia: 'ONLINE', tags: ['online'] };
  const response = await system.graphql<{ registerMember: Registered }>(REGISTER, { input }, system.adminHeaders());
  expect(response.errors).toBeUndefined();
  const member = response.data!.registerMember;
  if (extra) {
    const adjusted = await system.graphql(ADJUST, { memberId: member.id, amount: extra, key: `extra-${member.id}` }, system.adminHeaders());
    expect(adjusted.errors).toBeUndefined();
  }
  return member;
}

const merge = (survivorId: string, mergedId: string, query = MERGE) => system.graphql<Merged>(query, { survivorId, mergedId }, system.adminHeaders());
const readMember = async (id: string) => (await system.graphql<MemberRead>(MEMBER, { id }, system.adminHeaders())).data!.member;

async function ledgerProblems(): Promise<string[]> {
  const points = system.subgraphs.points.connection;
  return (await verifyLedger(ledgerEntryModel(points), pointAccountModel(points))).problems;
}

/** Runs the members outbox as its worker would once every back-off has passed. */
async function drainMembersOutbox(): Promise<void> {
  await system.db.collection('members_outbox').updateMany({ doneAt: null }, { $set: { nextAttemptAt: new Date(0) } });
  await system.subgraphs.members.built.outbox.drain();
}

describe('mergeMembers through the gateway', () => {
  it('gives the survivor the merged member points, e-mail and tags, and leads the old card to the survivor', async () => {
    const store = await registerAtStore();
    const storePhone = `+81902000${1000 + sequence}`; // the number registerAtStore gave, in E.164
    const online = await registerOnline(250);

    const merged = await merge(store.id, online.id);

    expect(merged.errors).toBeUndefined();
    expect(merged.data!.mergeMembers).toEqual({
      id: store.id,
      email: `online${sequence}@example.com`,
      phone: storePhone,
      tags: ['online'],
      points: { balance: 450 },
      merges: [
        { id: `${online.id}->${store.id}`, mergedId: online.id, state: 'COMPLETED', pendingSteps: [], pointsMoved: 350, purchasesMoved: 0, refusalReason: null },
      ],
    });
    const scanned = await system.graphql<{ memberByCode: { id: string; points: { balance: number }; merges: unknown[] } }>(BY_CODE, { code: online.memberCode }, pos);
    // a register scanning the old card reaches the survivor; merge details are for staff and the member only
    expect(scanned.data!.memberByCode).toEqual({ id: store.id, points: { balance: 450 }, merges: [] });
    expect(await readMember(online.id)).toMatchObject({ status: 'MERGED', mergedIntoId: store.id, email: null, points: { balance: 0 } });
    expect(await ledgerProblems()).toEqual([]);
  });

  it('completes the merge, and asking again changes nothing', async () => {
    const store = await registerAtStore();
    const online = await registerOnline(40);
    const first = await merge(store.id, online.id);
    expect(first.data!.mergeMembers.merges).toEqual([
      { id: `${online.id}->${store.id}`, mergedId: online.id, state: 'COMPLETED', pendingSteps: [], pointsMoved: 140, purchasesMoved: 0, refusalReason: null },
    ]);
    const ledgerBefore = await system.db.collection('point_ledger').countDocuments({ memberId: { $in: [store.id, online.id] } });

    const again = await merge(store.id, online.id);

    expect(again.errors).toBeUndefined();
    expect(again.data).toEqual(first.data);
    expect(await system.db.collection('point_ledger').countDocuments({ memberId: { $in: [store.id, online.id] } })).toBe(ledgerBefore);
    expect(await ledgerProblems()).toEqual([]);
  });

  it('answers with the merge IN_PROGRESS while points is down, and completes it when points is back and the outbox runs', async () => {
    const store = await registerAtStore();
    const online = await registerOnline(70);
    await system.stop('points');

    const during = await merge(store.id, online.id, MERGE_MEMBERS_ONLY);

    expect(during.errors).toBeUndefined();
    expect(during.data!.mergeMembers).toEqual({
      id: store.id,
      merges: [{ mergedId: online.id, state: 'IN_PROGRESS', pendingSteps: ['POINTS', 'PURCHASES', 'LINE'] }],
    });
    const status = await system.graphql<{ member: { status: string; mergedIntoId: string } }>('query($id: ID!) { member(id: $id) { status mergedIntoId } }', { id: online.id }, system.adminHeaders());
    expect(status.data!.member).toEqual({ status: 'MERGED', mergedIntoId: store.id });

    await system.restart('points');
    await drainMembersOutbox();

    expect((await readMember(store.id)).points.balance).toBe(270);
    expect((await readMember(online.id)).points.balance).toBe(0);
    const after = await system.graphql<{ member: { merges: unknown[] } }>('query($id: ID!) { member(id: $id) { merges { mergedId state pendingSteps } } }', { id: store.id }, system.adminHeaders());
    expect(after.data!.member.merges).toEqual([{ mergedId: online.id, state: 'COMPLETED', pendingSteps: [] }]);
    expect(await ledgerProblems()).toEqual([]);
  });

  it('moves the merged member purchase history to the survivor', async () => {
    const store = await registerAtStore();
    const online = await registerOnline();
    const recorded = await system.graphql<{ recordPurchase: { id: string } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }',
      {
        input: {
          idempotencyKey: `before-merge-${online.id}`,
          storeId,
          memberCode: online.memberCode,
          externalId: `R-${online.id}`,
          lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 1, category: 'tea' }],
          total: 1280,
        },
      },
      pos,
    );
    expect(recorded.errors).toBeUndefined();

    const merged = await merge(store.id, online.id);

    expect(merged.data!.mergeMembers.merges[0]).toMatchObject({ state: 'COMPLETED', purchasesMoved: 1 });
    const history = await system.graphql<{ member: { purchases: { nodes: { id: string }[] }; purchaseSummary: { count: number } } }>(
      'query($id: ID!) { member(id: $id) { purchases(first: 10) { nodes { id } } purchaseSummary { count } } }',
      { id: store.id },
      system.adminHeaders(),
    );
    expect(history.data!.member).toEqual({ purchases: { nodes: [{ id: recorded.data!.recordPurchase.id }] }, purchaseSummary: { count: 1 } });
  });

  it('lets only one of A into B and B into A, sent together, go ahead', async () => {
    const a = await registerOnline(10);
    const b = await registerAtStore();

    const [aIntoB, bIntoA] = await Promise.all([merge(b.id, a.id, MERGE_MEMBERS_ONLY), merge(a.id, b.id, MERGE_MEMBERS_ONLY)]);

    const answers = [aIntoB, bIntoA];
    expect(answers.filter((r) => !r.errors)).toHaveLength(1);
    expect(answers.find((r) => r.errors)!.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const statuses = [(await readMember(a.id)).status, (await readMember(b.id)).status].sort();
    expect(statuses).toEqual(['ACTIVE', 'MERGED']);
    const balances = (await readMember(a.id)).points.balance + (await readMember(b.id)).points.balance;
    expect(balances).toBe(210);
    expect(await ledgerProblems()).toEqual([]);
  });

  it.each([
    ['a POS key', () => pos, 'FORBIDDEN'],
    ['a customer', (survivorId: string) => system.customerHeaders(survivorId), 'FORBIDDEN'],
    ['no credentials', () => ({}), 'UNAUTHENTICATED'],
  ])('refuses %s', async (_who, headers, code) => {
    const store = await registerAtStore();
    const online = await registerOnline();
    const response = await system.graphql(MERGE_MEMBERS_ONLY, { survivorId: store.id, mergedId: online.id }, headers(store.id));
    expect(response.errors?.[0]?.extensions).toEqual({ code });
    expect((await readMember(online.id)).status).toBe('ACTIVE');
  });

  it('refuses a member merged into itself and unknown members with clear codes', async () => {
    const store = await registerAtStore();
    const itself = await merge(store.id, store.id, MERGE_MEMBERS_ONLY);
    expect(itself.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'mergedId' });
    const unknown = await merge(store.id, '0123456789abcdef01234567', MERGE_MEMBERS_ONLY);
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
  });
});
