import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { membersModels, type MembersModels } from '../models';
import { MemberService } from './member.service';
import type { RegisterCustomer } from './register-customer.service';

const STAFF: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const ADMIN: Caller = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' };
const STORE = '665f00000000000000000001';
const LINK = 'smaregi:sb_shibuya:301';
const IN_FLIGHT_MS = 30_000;

let db: TestDatabase;
let models: MembersModels;
let clock: Date;
let service: MemberService;

beforeAll(async () => {
  db = await openTestDatabase();
  models = membersModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());
beforeEach(async () => {
  await Promise.all([
    models.members.deleteMany({}),
    models.contactClaims.deleteMany({}),
    models.registerCustomers.deleteMany({}),
    models.duplicates.deleteMany({}),
    db.connection.collection('member_smaregi_customer_leases').deleteMany({}),
  ]);
  clock = new Date('2030-04-01T09:00:00.000Z');
  service = new MemberService(models, () => clock);
});

/** A customer as purchases' customer sync reads it from GET /pos/customers/{id}. */
function customer(overrides: Partial<RegisterCustomer> = {}): RegisterCustomer {
  return {
    contractId: 'sb_shibuya',
    customerId: '301',
    customerCode: '90000000301',
    storeId: STORE,
    lastName: '山田',
    firstName: '花子',
    lastKana: 'ヤマダ',
    firstKana: 'ハナコ',
    phone: '090-1234-5678',
    email: 'Hanako.Yamada@Example.com',
    birthday: '1990-05-12',
    updatedAt: '2030-04-01T18:00:00+09:00',
    ...overrides,
  };
}

const stored = (id: string) => models.members.findById(id).lean();

async function staffMember(input: { email?: string; phone?: string }) {
  return service.register(STAFF, { displayName: '鈴木一郎', registeredVia: 'STORE', registeredStoreId: STORE, ...input });
}

describe('a Smaregi register customer’s member', () => {
  it('registers a new customer as a store member, contacts normalised, and finds it again', async () => {
    const created = await service.upsertRegisterCustomer(customer());
    expect(created).toEqual({ memberId: expect.any(String), memberCode: expect.stringMatching(/^\d{13}$/), outcome: 'created', duplicateOf: null });
    expect(await stored(created.memberId)).toMatchObject({
      displayName: '山田 花子',
      email: 'hanako.yamada@example.com',
      phone: '+819012345678',
      registeredVia: 'STORE',
      registeredStoreId: STORE,
      birthday: '1990-05-12',
      status: 'ACTIVE',
      marketingConsent: { granted: false, source: 'POS', updatedAt: clock },
    });
    expect(await service.upsertRegisterCustomer(customer())).toEqual({ ...created, outcome: 'unchanged' });
    expect(await models.members.countDocuments()).toBe(1);
  });

  it('is the member whose card code the customer carries, and our own record coming back changes nothing', async () => {
    const member = await staffMember({ phone: '08011112222' });
    const echo = customer({ customerCode: member.memberCode, lastName: '鈴木一郎', firstName: null, phone: '+818011112222', email: null });
    const found = await service.upsertRegisterCustomer(echo);
    expect(found).toEqual({ memberId: member._id.toHexString(), memberCode: member.memberCode, outcome: 'code', duplicateOf: null });
    expect(await service.upsertRegisterCustomer(echo)).toMatchObject({ memberId: member._id.toHexString(), outcome: 'unchanged' });
    expect(await stored(member._id.toHexString())).toEqual(member);
    expect(await models.members.countDocuments()).toBe(1);
  });

  it('makes the member without a contact another member holds, and flags the pair for staff', async () => {
    const holder = await staffMember({ phone: '090-1234-5678' });
    const result = await service.upsertRegisterCustomer(customer());
    expect(result).toMatchObject({ outcome: 'created', duplicateOf: holder._id.toHexString() });
    expect(await stored(result.memberId)).toMatchObject({ email: 'hanako.yamada@example.com', phone: null });
    expect(await stored(holder._id.toHexString())).toMatchObject({ phone: '+819012345678', status: 'ACTIVE' });

    const [flag, ...others] = await service.listDuplicates(STAFF, 'OPEN', 20);
    expect(others).toEqual([]);
    expect(flag).toMatchObject({
      state: 'OPEN',
      doc: { _id: `${result.memberId}:${holder._id.toHexString()}`, contacts: [{ kind: 'phone', value: '+819012345678' }], source: LINK, flaggedAt: clock, dismissedAt: null },
    });
    expect([flag!.member._id.toHexString(), flag!.duplicateOf._id.toHexString()]).toEqual([result.memberId, holder._id.toHexString()]);
    await expect(rejection(service.listDuplicates({ kind: 'customer', memberId: result.memberId }, 'OPEN', 20))).resolves.toMatchObject({ extensions: { code: 'FORBIDDEN' } });

    await expect(service.dismissDuplicate(STAFF, flag!.doc._id)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    const dismissed = await service.dismissDuplicate(ADMIN, flag!.doc._id);
    expect(dismissed).toMatchObject({ state: 'DISMISSED', doc: { dismissedAt: clock, dismissedBy: 'staff:admin-1' } });
    expect(await service.listDuplicates(STAFF, 'OPEN', 20)).toEqual([]);
    expect((await service.listDuplicates(STAFF, 'DISMISSED', 20)).map((view) => view.doc._id)).toEqual([flag!.doc._id]);
  });

  it('makes a member without any contact when both are other members’', async () => {
    const byPhone = await staffMember({ phone: '090-1234-5678' });
    await service.register(STAFF, { displayName: '別人', email: 'hanako.yamada@example.com', registeredVia: 'ONLINE' });
    const result = await service.upsertRegisterCustomer(customer());
    expect(result).toMatchObject({ outcome: 'created' });
    expect(await stored(result.memberId)).toMatchObject({ email: null, phone: null, displayName: '山田 花子' });
    const flags = await service.listDuplicates(STAFF, 'OPEN', 20);
    expect(flags.map((view) => view.doc.contacts)).toEqual(expect.arrayContaining([[{ kind: 'email', value: 'hanako.yamada@example.com' }], [{ kind: 'phone', value: '+819012345678' }]]));
    expect(flags.map((view) => view.duplicateOf._id.toHexString())).toContain(byPhone._id.toHexString());
    // a later name edit at the register still applies to a member without contacts
    const renamed = await service.upsertRegisterCustomer(customer({ firstName: '花', updatedAt: '2030-04-02T10:00:00+09:00' }));
    expect(renamed).toMatchObject({ outcome: 'updated' });
    expect(await stored(result.memberId)).toMatchObject({ displayName: '山田 花' });
  });

  it('flags a pair once, naming every contact they share', async () => {
    const holder = await staffMember({ phone: '090-1234-5678', email: 'hanako.yamada@example.com' });
    const result = await service.upsertRegisterCustomer(customer());
    expect(result).toMatchObject({ outcome: 'created', duplicateOf: holder._id.toHexString() });
    const flags = await service.listDuplicates(STAFF, 'OPEN', 20);
    expect(flags.map((view) => view.doc.contacts)).toEqual([
      [
        { kind: 'email', value: 'hanako.yamada@example.com' },
        { kind: 'phone', value: '+819012345678' },
      ],
    ]);
  });

  it('applies the register’s edits in its order, not in the order they arrive; a clashing contact is flagged, not taken', async () => {
    const { memberId } = await service.upsertRegisterCustomer(customer());
    const newer = customer({ email: 'hanako.newer@example.com', lastName: '佐藤', updatedAt: '2030-04-03T10:00:00+09:00' });
    const older = customer({ email: 'hanako.older@example.com', phone: '09000000001', updatedAt: '2030-04-02T10:00:00+09:00' });
    expect(await service.upsertRegisterCustomer(newer)).toMatchObject({ memberId, outcome: 'updated', duplicateOf: null });
    expect(await service.upsertRegisterCustomer(older)).toMatchObject({ memberId, outcome: 'stale' });
    expect(await service.upsertRegisterCustomer(newer)).toMatchObject({ memberId, outcome: 'unchanged' });
    expect(await stored(memberId)).toMatchObject({ displayName: '佐藤 花子', email: 'hanako.newer@example.com', phone: '+819012345678' });

    const other = await staffMember({ phone: '08099998888' });
    const clash = await service.upsertRegisterCustomer(customer({ ...newer, phone: '080-9999-8888', updatedAt: '2030-04-04T10:00:00+09:00' }));
    expect(clash).toMatchObject({ memberId, outcome: 'unchanged', duplicateOf: other._id.toHexString() });
    expect(await stored(memberId)).toMatchObject({ phone: '+819012345678' });
    expect((await service.listDuplicates(STAFF, 'OPEN', 20)).map((view) => view.doc._id)).toEqual([`${memberId}:${other._id.toHexString()}`]);
  });

  it('does not bring a withdrawn member back', async () => {
    const { memberId, memberCode } = await service.upsertRegisterCustomer(customer());
    await service.withdraw(STAFF, memberId);
    const edit = customer({ email: 'hanako.back@example.com', updatedAt: '2030-04-02T10:00:00+09:00' });
    expect(await service.upsertRegisterCustomer(edit)).toEqual({ memberId, memberCode, outcome: 'withdrawn', duplicateOf: null });
    expect(await stored(memberId)).toMatchObject({ status: 'WITHDRAWN', email: null, phone: null });
    expect(await models.members.countDocuments()).toBe(1);
  });

  it('makes one member of one customer whose events arrive at once', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => service.upsertRegisterCustomer(customer())));
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value.outcome === 'created')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(['created', 'unchanged']).toContain(outcome.value.outcome);
      else expect((outcome.reason as Error).message).toBe('Another event of this Smaregi customer is being applied; retry');
    }
    expect(await models.members.countDocuments()).toBe(1);
    expect(await models.registerCustomers.countDocuments()).toBe(1);
  });

  it('waits for a fresh link’s member, and completes the registration a crash left under the link', async () => {
    const memberId = new Types.ObjectId();
    const at = new Date(clock.getTime() - IN_FLIGHT_MS + 1);
    await models.registerCustomers.create({
      _id: LINK, memberId, contractId: 'sb_shibuya', customerId: '301', byCode: false,
      lastName: null, firstName: null, email: null, phone: null, smaregiUpdatedAt: null, createdAt: at, updatedAt: at,
    });
    await expect(service.upsertRegisterCustomer(customer())).rejects.toThrow('still being registered; retry');
    clock = new Date(clock.getTime() + 1);
    expect(await service.upsertRegisterCustomer(customer())).toMatchObject({ memberId: memberId.toHexString(), outcome: 'created' });
    expect(await stored(memberId.toHexString())).toMatchObject({ phone: '+819012345678', registeredVia: 'STORE' });
  });
});
