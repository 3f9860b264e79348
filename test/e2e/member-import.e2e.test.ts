import { Types } from 'mongoose';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

const IMPORT = /* GraphQL */ `
  mutation Import($input: MemberImportInput!) {
    importMembers(input: $input) {
      dryRun
      rows { line legacyCode outcome memberId memberCode messages duplicateContacts { kind memberId memberCode } }
    }
  }
`;
const BY_CODE = /* GraphQL */ `
  query ByCode($code: String!) {
    memberByCode(code: $code) {
      id displayName email phone birthday tags registeredVia marketingConsent { granted source }
      points { balance tier expiring { points expiresAt } history(first: 10) { nodes { type amount } } }
    }
  }
`;

interface RowResult {
  line: number;
  legacyCode: string;
  outcome: string;
  memberId: string | null;
  memberCode: string | null;
  messages: string[];
  duplicateContacts: { kind: string; memberId: string; memberCode: string }[];
}

/** 10 May 2027, 12:00 JST. */
let now = new Date('2027-05-10T03:00:00.000Z');
let system: TestSystem;
let storeId: string;
let pos: Record<string, string>;
let existing: { id: string; memberCode: string };

const ROWS = [
  {
    line: 2,
    legacyCode: 'OLD-1001',
    displayName: '山田 花子',
    email: 'hanako@example.com',
    phone: '090-3333-4444',
    birthday: '1980-04-01',
    tier: 'GOLD',
    balances: [{ points: 300, expiresOn: '2027-06-30' }, { points: 200, expiresOn: '2028-03-31' }],
  },
  { line: 3, legacyCode: 'OLD-1002', displayName: '佐藤 次郎', phone: '090-1111-2222', balances: [{ points: 500, expiresOn: '2027-12-31' }] },
  { line: 4, legacyCode: 'OLD-1003', displayName: '鈴木 三郎', email: 'not-an-email', birthday: '1975-13-01', balances: [{ points: 0, expiresOn: '2027-12-31' }] },
  { line: 5, legacyCode: 'OLD-1004', email: 'shiro@example.com', tier: 'silver', balances: [{ points: 100, expiresOn: '2026-01-31' }, { points: 400, expiresOn: '2027-08-31' }] },
];

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  const store = ok(
    await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL' } }, system.adminHeaders()),
  );
  storeId = store.createStore.id;
  pos = await system.posHeaders([storeId]);
  existing = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: '既存 会員', phone: '09011112222', registeredVia: 'STORE', registeredStoreId: storeId } },
      pos,
    ),
  ).registerMember;
}, 60_000);
afterAll(() => system.close());

async function importRows(dryRun: boolean, rows: Record<string, unknown>[] = ROWS): Promise<RowResult[]> {
  const data = ok(await system.graphql<{ importMembers: { dryRun: boolean; rows: RowResult[] } }>(IMPORT, { input: { rows, dryRun } }, system.adminHeaders()));
  expect(data.importMembers.dryRun).toBe(dryRun);
  return data.importMembers.rows;
}

/** What the import could have written anywhere. */
async function counts(): Promise<Record<string, number>> {
  const names = ['members', 'member_legacy_codes', 'member_contact_claims', 'member_duplicates', 'members_outbox', 'point_ledger', 'qualifying_spend'];
  const entries = await Promise.all(names.map(async (name) => [name, await system.db.collection(name).countDocuments()] as const));
  return Object.fromEntries(entries);
}

const byCode = async (code: string) =>
  ok(await system.graphql<{ memberByCode: Record<string, unknown> & { id: string; points: { balance: number; tier: string; expiring: unknown[]; history: { nodes: unknown[] } } } }>(BY_CODE, { code }, system.staffHeaders())).memberByCode;

const INVALID_ROW = {
  line: 4,
  legacyCode: 'OLD-1003',
  outcome: 'INVALID',
  memberId: null,
  memberCode: null,
  duplicateContacts: [],
  messages: ['email is not a valid e-mail address', 'birthday must be a real date written YYYY-MM-DD, from 1900-01-01 to today', 'balances.0.points must be at least 1'],
};
const EXPIRED_NOTE = 'balances: 100 points that expired on 2026-01-31 were not imported';

describe('importing the old card’s members through the gateway', () => {
  let before: Record<string, number>;
  let created: RowResult[];

  it('is for administrators only', async () => {
    const response = await system.graphql(IMPORT, { input: { rows: ROWS, dryRun: true } }, system.staffHeaders());
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('a dry run reports what each row would do and writes nothing', async () => {
    before = await counts();
    const rows = await importRows(true);
    expect(rows).toEqual([
      { line: 2, legacyCode: 'OLD-1001', outcome: 'WOULD_CREATE', memberId: null, memberCode: null, duplicateContacts: [], messages: [] },
      {
        line: 3,
        legacyCode: 'OLD-1002',
        outcome: 'WOULD_CREATE',
        memberId: null,
        memberCode: null,
        duplicateContacts: [{ kind: 'PHONE', memberId: existing.id, memberCode: existing.memberCode }],
        messages: [`phone belongs to member ${existing.memberCode} already: left out`],
      },
      INVALID_ROW,
      { line: 5, legacyCode: 'OLD-1004', outcome: 'WOULD_CREATE', memberId: null, memberCode: null, duplicateContacts: [], messages: [EXPIRED_NOTE] },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('the real run creates the members, reports the broken row by its line and the phone another member holds', async () => {
    created = await importRows(false);
    expect(created.map((row) => [row.line, row.outcome])).toEqual([[2, 'CREATED'], [3, 'CREATED'], [4, 'INVALID'], [5, 'CREATED']]);
    expect(created[2]).toEqual(INVALID_ROW);
    expect(created[1]!.duplicateContacts).toEqual([{ kind: 'PHONE', memberId: existing.id, memberCode: existing.memberCode }]);
    expect(created[3]!.messages).toEqual([EXPIRED_NOTE]);
    const after = await counts();
    expect(after.members).toBe(before.members! + 3);
    expect(after.member_legacy_codes).toBe(3);
    // the phone is left out, not merged: the duplicate is flagged for staff
    const duplicates = ok(await system.graphql<{ memberDuplicates: { member: { id: string }; duplicateOf: { id: string } }[] }>('{ memberDuplicates { member { id } duplicateOf { id } } }', {}, system.staffHeaders()));
    expect(duplicates.memberDuplicates).toEqual([{ member: { id: created[1]!.memberId }, duplicateOf: { id: existing.id } }]);
  });

  it('the imported member is found by the old code, with their details, balance lots and tier, and no sign-up bonus', async () => {
    const hanako = await byCode('old 1001');
    expect(hanako).toEqual({
      id: created[0]!.memberId,
      displayName: '山田 花子',
      email: 'hanako@example.com',
      phone: '+819033334444',
      birthday: '1980-04-01',
      tags: ['imported'],
      registeredVia: 'STORE',
      marketingConsent: { granted: false, source: 'STAFF' },
      points: {
        balance: 500,
        tier: 'GOLD',
        expiring: [
          { points: 300, expiresAt: '2027-06-30T14:59:59.999Z' },
          { points: 200, expiresAt: '2028-03-31T14:59:59.999Z' },
        ],
        history: { nodes: [{ type: 'IMPORT', amount: 500 }] },
      },
    });
    const jiro = await byCode('OLD-1002');
    expect(jiro).toMatchObject({ phone: null, points: { balance: 500, tier: 'REGULAR' } });
    const shiro = await byCode('OLD-1004');
    expect(shiro.points).toEqual({ balance: 400, tier: 'SILVER', expiring: [{ points: 400, expiresAt: '2027-08-31T14:59:59.999Z' }], history: { nodes: [{ type: 'IMPORT', amount: 400 }] } });
  });

  it('a second run answers UNCHANGED for every row and changes nothing', async () => {
    const snapshot = await counts();
    const again = await importRows(false);
    expect(again.map((row) => [row.line, row.outcome, row.memberId])).toEqual([
      [2, 'UNCHANGED', created[0]!.memberId],
      [3, 'UNCHANGED', created[1]!.memberId],
      [4, 'INVALID', null],
      [5, 'UNCHANGED', created[3]!.memberId],
    ]);
    // only the rerun's balances item, which sends the rows' balances again for points to find them written
    expect(await counts()).toEqual({ ...snapshot, members_outbox: snapshot.members_outbox! + 1 });
    expect(await system.db.collection('members_outbox').countDocuments({ type: 'import-balances', doneAt: null })).toBe(0);
  });

  it('the old card earns at the register for its member', async () => {
    const sale = ok(
      await system.graphql<{ recordPurchase: { status: string; pointsEarned: number; member: { id: string } } }>(
        'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status pointsEarned member { id } } }',
        { input: { idempotencyKey: 'old-card-1', storeId, memberCode: 'OLD-1001', lines: [{ sku: 'TEA-01', name: 'ほうじ茶', unitPrice: 1000, quantity: 1 }], total: 1000 } },
        pos,
      ),
    );
    // 1 point per 100 yen at GOLD's 125%
    expect(sale.recordPurchase).toEqual({ status: 'COMPLETED', pointsEarned: 12, member: { id: created[0]!.memberId } });
    expect((await byCode('OLD-1001')).points.balance).toBe(512);
  });

  it('imported points expire on their dates: past 30 June in Japan, exactly that lot goes', async () => {
    now = new Date('2027-06-30T15:00:00.000Z');
    expect(await system.subgraphs.points.built.expiry.run(now)).toEqual({ membersChecked: 1, entriesWritten: 1, pointsExpired: 300 });
    const hanako = await byCode('OLD-1001');
    expect(hanako.points.balance).toBe(212);
    expect(hanako.points.history.nodes[0]).toEqual({ type: 'EXPIRE', amount: -300 });
    expect((await byCode('OLD-1002')).points.balance).toBe(500);
    expect((await byCode('OLD-1004')).points.balance).toBe(400);
  });
});

describe('the import under concurrency and after a crash', () => {
  const row = (line: number, legacyCode: string, points: number) => ({ line, legacyCode, balances: [{ points, expiresOn: '2028-12-31' }] });

  it('two runs of the same rows at once give one member per code, and its balance once', async () => {
    const rows = [row(2, 'OLD-2001', 100), row(3, 'OLD-2002', 200), row(4, 'OLD-2003', 300)];
    const [first, second] = await Promise.all([importRows(false, rows), importRows(false, rows)]);
    expect(first.map((r) => r.memberId)).toEqual(second.map((r) => r.memberId));
    for (const [index, result] of first.entries()) {
      expect([result.outcome, second[index]!.outcome].sort()).toEqual(['CREATED', 'UNCHANGED']);
    }
    expect(await system.db.collection('members').countDocuments({ _id: { $in: first.map((r) => new Types.ObjectId(r.memberId!)) } })).toBe(3);
    expect(await system.db.collection<{ _id: string }>('member_legacy_codes').countDocuments({ _id: { $in: ['OLD2001', 'OLD2002', 'OLD2003'] } })).toBe(3);
    expect((await Promise.all(['OLD-2001', 'OLD-2002', 'OLD-2003'].map(async (code) => (await byCode(code)).points.balance)))).toEqual([100, 200, 300]);
  });

  it('a batch larger than one call to points gets every balance', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => row(i + 2, `BIG-${i}`, i + 1));
    const results = await importRows(false, rows);
    expect(results.every((result) => result.outcome === 'CREATED')).toBe(true);
    const entries = await system.db.collection('point_ledger').find({ idempotencyKey: /^import:BIG/ }, { projection: { amount: 1 } }).toArray();
    expect(entries.length).toBe(120);
    expect(entries.reduce((sum, entry) => sum + Number(entry.amount), 0)).toBe((120 * 121) / 2);
  }, 60_000);

  it('a run that died after claiming a code is completed by the next under the claimed member id', async () => {
    const claimed = new Types.ObjectId();
    // stored as normalised: hyphens and spaces out, upper case
    await system.db.collection<{ _id: string; memberId: Types.ObjectId; createdAt: Date }>('member_legacy_codes').insertOne({ _id: 'OLD3001', memberId: claimed, createdAt: now });
    const [result] = await importRows(false, [row(2, 'OLD 3001', 700)]);
    expect(result).toMatchObject({ outcome: 'CREATED', memberId: claimed.toHexString() });
    const member = await byCode('OLD-3001');
    expect(member).toMatchObject({ id: claimed.toHexString(), points: { balance: 700 } });
  });
});
