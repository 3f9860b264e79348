import { Types } from 'mongoose';
import { startTestSystem, type TestSystem } from '../helpers/system';

const PROFILE_FIELDS = 'id birthday marketingConsent { granted source updatedAt }';
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) { registerMember(input: $input) { ${PROFILE_FIELDS} memberCode } }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { ${PROFILE_FIELDS} } }
`;
const ME = /* GraphQL */ `{ me { ${PROFILE_FIELDS} } }`;
const MEMBER = /* GraphQL */ `query ($id: ID!) { member(id: $id) { ${PROFILE_FIELDS} } }`;
const BY_CODE = /* GraphQL */ `query ($code: String!) { memberByCode(code: $code) { ${PROFILE_FIELDS} } }`;

interface Profile {
  id: string;
  birthday: string | null;
  marketingConsent: { granted: boolean; source: string; updatedAt: string | null } | null;
}

let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  system = await startTestSystem();
  const store = await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' });
  storeId = store.insertedId.toHexString();
});
afterAll(() => system.close());

/** What the members collection holds for a member: the test checks both the answer and what was written. */
async function storedProfile(id: string) {
  return system.db.collection('members').findOne({ _id: new Types.ObjectId(id) }, { projection: { _id: 0, birthday: 1, birthMonth: 1, marketingConsent: 1 } });
}

describe('birthday and marketing consent through the gateway', () => {
  it('are set by staff at registration, read and changed by the member, and hidden from other callers', async () => {
    const registered = await system.graphql<{ registerMember: Profile & { memberCode: string } }>(
      REGISTER,
      { input: { displayName: '山田花子', email: 'hanako@example.com', registeredVia: 'STORE', registeredStoreId: storeId, birthday: '1990-07-14', marketingConsent: true } },
      system.staffHeaders(),
    );
    expect(registered.errors).toBeUndefined();
    const { id, memberCode } = registered.data!.registerMember;
    const atRegistration = (await storedProfile(id))!;
    expect(atRegistration).toEqual({ birthday: '1990-07-14', birthMonth: 7, marketingConsent: { granted: true, source: 'STAFF', updatedAt: expect.any(Date) } });
    const registeredAt = (atRegistration.marketingConsent as { updatedAt: Date }).updatedAt.toISOString();
    expect(registered.data!.registerMember).toEqual({ id, memberCode, birthday: '1990-07-14', marketingConsent: { granted: true, source: 'STAFF', updatedAt: registeredAt } });

    const customer = system.customerHeaders(id);
    expect((await system.graphql<{ me: Profile }>(ME, {}, customer)).data!.me).toEqual({
      id,
      birthday: '1990-07-14',
      marketingConsent: { granted: true, source: 'STAFF', updatedAt: registeredAt },
    });

    const changed = await system.graphql<{ updateMember: Profile }>(UPDATE, { id, input: { birthday: '1990-08-01', marketingConsent: false } }, customer);
    expect(changed.errors).toBeUndefined();
    const afterChange = (await storedProfile(id))!;
    const changedAt = (afterChange.marketingConsent as { updatedAt: Date }).updatedAt.toISOString();
    expect(afterChange).toMatchObject({ birthday: '1990-08-01', birthMonth: 8, marketingConsent: { granted: false, source: 'ONLINE' } });
    expect(changed.data!.updateMember).toEqual({ id, birthday: '1990-08-01', marketingConsent: { granted: false, source: 'ONLINE', updatedAt: changedAt } });

    const other = await system.graphql<{ registerMember: Profile }>(
      REGISTER,
      { input: { displayName: '佐藤太郎', email: 'taro@example.com', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    );
    const otherId = other.data!.registerMember.id;
    expect(other.data!.registerMember.marketingConsent).toMatchObject({ granted: false, source: 'STAFF' });
    const seenByOther = await system.graphql<{ member: Profile | null }>(MEMBER, { id }, system.customerHeaders(otherId));
    expect(seenByOther.data).toEqual({ member: null });
    expect(seenByOther.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    const seenByPos = await system.graphql<{ memberByCode: Profile }>(BY_CODE, { code: memberCode }, await system.posHeaders([storeId]));
    expect(seenByPos.data).toEqual({ memberByCode: { id, birthday: null, marketingConsent: null } });
  });

  it('refuses impossible and future birthdays naming the field, and writes nothing', async () => {
    const registered = await system.graphql<{ registerMember: Profile }>(
      REGISTER,
      { input: { displayName: '鈴木一郎', email: 'ichiro@example.com', registeredVia: 'ONLINE', birthday: '1985-01-31' } },
      system.staffHeaders(),
    );
    const { id } = registered.data!.registerMember;
    const before = await storedProfile(id);
    const members = await system.db.collection('members').countDocuments();

    const refusedRegistration = await system.graphql(
      REGISTER,
      { input: { displayName: '未来', email: 'future@example.com', registeredVia: 'ONLINE', birthday: '2999-01-01', marketingConsent: true } },
      system.staffHeaders(),
    );
    const refusedUpdate = await system.graphql(UPDATE, { id, input: { birthday: '1985-02-30', marketingConsent: true } }, system.customerHeaders(id));
    expect([refusedRegistration, refusedUpdate].map((response) => [response.data, response.errors?.map((e) => [e.message, e.extensions?.code, e.extensions?.field])])).toEqual([
      [null, [['birthday must not be in the future', 'BAD_USER_INPUT', 'birthday']]],
      [null, [['birthday must be a real calendar date', 'BAD_USER_INPUT', 'birthday']]],
    ]);
    expect(await system.db.collection('members').countDocuments()).toBe(members);
    expect(await system.db.collection<{ _id: string }>('member_contact_claims').countDocuments({ _id: 'email:future@example.com' })).toBe(0);
    expect(await storedProfile(id)).toEqual(before);
  });

  it('show a withdrawn member as not consented, by whoever withdrew, and refuse writing a birthday back to them', async () => {
    const registered = await system.graphql<{ registerMember: Profile }>(
      REGISTER,
      { input: { displayName: '退会花子', email: 'leaving@example.com', registeredVia: 'ONLINE', birthday: '1991-03-03', marketingConsent: true } },
      system.staffHeaders(),
    );
    const { id } = registered.data!.registerMember;
    const withdrawn = await system.graphql<{ withdrawMember: Profile }>(
      `mutation($id: ID!) { withdrawMember(id: $id) { ${PROFILE_FIELDS} } }`,
      { id },
      system.customerHeaders(id),
    );
    expect(withdrawn.errors).toBeUndefined();
    const stored = (await storedProfile(id))!;
    expect(stored).toEqual({ birthday: null, birthMonth: null, marketingConsent: { granted: false, source: 'ONLINE', updatedAt: expect.any(Date) } });
    const withdrawnAt = (stored.marketingConsent as { updatedAt: Date }).updatedAt.toISOString();
    expect(withdrawn.data!.withdrawMember).toEqual({ id, birthday: null, marketingConsent: { granted: false, source: 'ONLINE', updatedAt: withdrawnAt } });

    const refused = await system.graphql(UPDATE, { id, input: { birthday: '1991-03-03' } }, system.staffHeaders());
    expect([refused.data, refused.errors?.map((e) => [e.message, e.extensions?.code])]).toEqual([null, [['This member’s membership was withdrawn', 'NOT_FOUND']]]);
    expect(await storedProfile(id)).toEqual(stored);
  });
});
