import { GraphQLError } from 'graphql';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import type { Outbox } from '@omo/lib/outbox/outbox';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { membersModels, type MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import { buildMembersSubgraph, type MembersSubgraph } from '../server';
import { parseMemberCode } from './member-code';
import { MemberService, type RegisterMemberInput } from './member.service';
import { rejection } from '@omo/tools/testing/errors';

const STAFF: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const POS: Caller = { kind: 'pos', keyId: 'key-1', storeIds: ['store-1', 'store-2'] };
const ANONYMOUS: Caller = { kind: 'anonymous' };
const CUSTOMER: Caller = { kind: 'customer', memberId: new Types.ObjectId().toHexString() };
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
  await models.members.deleteMany({});
  await models.contactClaims.deleteMany({});
  clock = new Date('2030-04-01T09:00:00.000Z');
  service = new MemberService(models, () => clock);
});

function advanceClock(ms: number): void {
  clock = new Date(clock.getTime() + ms);
}

function registration(overrides: Partial<RegisterMemberInput> = {}): RegisterMemberInput {
  return { displayName: '山田花子', email: 'hanako@example.com', phone: '090-1234-5678', registeredVia: 'ONLINE', ...overrides };
}

async function storedCounts(): Promise<{ members: number; claims: number }> {
  return { members: await models.members.countDocuments(), claims: await models.contactClaims.countDocuments() };
}

async function claimHolder(key: string): Promise<string | null> {
  const claim = await models.contactClaims.findById(key).lean();
  return claim ? claim.memberId.toHexString() : null;
}

async function stored(id: Types.ObjectId): Promise<MemberDoc | null> {
  return models.members.findById(id).lean<MemberDoc>();
}

describe('MemberService.register', () => {
  it('stores normalised contacts, a valid member code and a claim on each contact', async () => {
    const member = await service.register(STAFF, registration({ email: ' Hanako@Example.COM ', phone: '０９０－１２３４－５６７８' }));
    expect(member).toMatchObject({ displayName: '山田花子', email: 'hanako@example.com', phone: '+819012345678', status: 'ACTIVE', tags: [] });
    expect(parseMemberCode(member.memberCode)).toBe(member.memberCode);
    expect(member.memberCode).toMatch(/^29/);
    await expect(claimHolder('email:hanako@example.com')).resolves.toBe(member._id.toHexString());
    await expect(claimHolder('phone:+819012345678')).resolves.toBe(member._id.toHexString());
  });

  it('registers a member with a phone number only', async () => {
    const member = await service.register(STAFF, registration({ email: null }));
    expect(member).toMatchObject({ email: null, phone: '+819012345678' });
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 1 });
  });

  it('lets staff set tags', async () => {
    const member = await service.register(STAFF, registration({ tags: ['vip', 'campaign:spring-2030'] }));
    expect(member.tags).toEqual(['vip', 'campaign:spring-2030']);
  });

  it('lets a POS key register a member at one of its own stores', async () => {
    const member = await service.register(POS, registration({ registeredVia: 'STORE', registeredStoreId: 'store-2' }));
    expect(member).toMatchObject({ registeredVia: 'STORE', registeredStoreId: 'store-2' });
  });

  it.each<{ refused: string; caller: Caller; overrides: Partial<RegisterMemberInput>; code: string }>([
    { refused: 'a customer', caller: CUSTOMER, overrides: {}, code: 'FORBIDDEN' },
    { refused: 'an anonymous caller', caller: ANONYMOUS, overrides: {}, code: 'UNAUTHENTICATED' },
    { refused: 'a POS key at another store', caller: POS, overrides: { registeredVia: 'STORE', registeredStoreId: 'store-9' }, code: 'FORBIDDEN' },
    { refused: 'a POS key registering online, without a store', caller: POS, overrides: { registeredVia: 'ONLINE' }, code: 'FORBIDDEN' },
    {
      refused: 'a POS key setting tags',
      caller: POS,
      overrides: { registeredVia: 'STORE', registeredStoreId: 'store-1', tags: ['vip'] },
      code: 'FORBIDDEN',
    },
  ])('refuses $refused with $code and writes nothing', async ({ caller, overrides, code }) => {
    const error = await rejection(service.register(caller, registration(overrides)));
    expect(error.extensions.code).toBe(code);
    await expect(storedCounts()).resolves.toEqual({ members: 0, claims: 0 });
  });

  it.each<[string, Partial<RegisterMemberInput>, string]>([
    ['an empty display name', { displayName: '   ' }, 'displayName'],
    ['a display name over 50 characters', { displayName: 'あ'.repeat(51) }, 'displayName'],
    ['an invalid e-mail address', { email: 'hanako.example.com' }, 'email'],
    ['a valid e-mail with an invalid phone number', { email: 'new@example.com', phone: '123' }, 'phone'],
    ['neither e-mail nor phone', { email: null, phone: '' }, 'email'],
    ['a store registration without a store', { registeredVia: 'STORE', registeredStoreId: '  ' }, 'registeredStoreId'],
    ['an invalid tag', { tags: ['no spaces allowed'] }, 'tags'],
  ])('rejects %s as BAD_USER_INPUT and writes nothing', async (_label, overrides, field) => {
    await service.register(STAFF, registration({ email: 'existing@example.com', phone: '03-1234-5678' }));
    const before = await storedCounts();
    const error = await rejection(service.register(STAFF, registration(overrides)));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    await expect(storedCounts()).resolves.toEqual(before);
  });

  it('refuses a second member with the same e-mail in another case as ALREADY_EXISTS and shows staff the existing member code', async () => {
    const first = await service.register(STAFF, registration({ phone: null }));
    const error = await rejection(service.register(STAFF, registration({ email: 'HANAKO@example.com', phone: '080-0000-0001' })));
    expect(error.extensions).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email', existingMemberCode: first.memberCode });
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 1 });
  });

  it('refuses a second member with the same phone in another format as ALREADY_EXISTS', async () => {
    const first = await service.register(STAFF, registration({ email: null }));
    const error = await rejection(service.register(STAFF, registration({ email: 'other@example.com', phone: '+81 90 1234 5678' })));
    expect(error.extensions).toMatchObject({ code: 'ALREADY_EXISTS', field: 'phone', existingMemberCode: first.memberCode });
  });

  it('does not show a POS key the existing member code', async () => {
    await service.register(STAFF, registration());
    const error = await rejection(
      service.register(POS, registration({ registeredVia: 'STORE', registeredStoreId: 'store-1', phone: null })),
    );
    expect(error.extensions.code).toBe('ALREADY_EXISTS');
    expect(error.extensions).not.toHaveProperty('existingMemberCode');
  });

  it('releases the e-mail it claimed when the phone turns out to be taken', async () => {
    await service.register(STAFF, registration({ email: null }));
    const before = await storedCounts();
    const error = await rejection(service.register(STAFF, registration({ email: 'fresh@example.com' })));
    expect(error.extensions.code).toBe('ALREADY_EXISTS');
    await expect(storedCounts()).resolves.toEqual(before);
    await expect(claimHolder('email:fresh@example.com')).resolves.toBeNull();
  });
});

describe('concurrent registrations', () => {
  async function expectExactlyOneWinner(results: PromiseSettledResult<MemberDoc>[]): Promise<void> {
    const fulfilled = results.filter((r): r is PromiseFulfilledResult<MemberDoc> => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(GraphQLError);
      expect((r.reason as GraphQLError).extensions.code).toBe('ALREADY_EXISTS');
    }
    const members = await models.members.find().lean<MemberDoc[]>();
    expect(members.map((m) => m._id.toHexString())).toEqual([fulfilled[0]?.value._id.toHexString()]);
  }

  it('creates exactly one member from 10 concurrent registrations with the same e-mail', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        service.register(STAFF, registration({ displayName: `会員${String(i)}`, email: 'same@example.com', phone: null })),
      ),
    );
    await expectExactlyOneWinner(results);
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 1 });
  });

  it('creates exactly one member from 10 concurrent registrations with the same phone written in different formats', async () => {
    const formats = ['090-1234-5678', '+81 90 1234 5678', '０９０１２３４５６７８', '09012345678', '+819012345678'];
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        service.register(STAFF, registration({ displayName: `会員${String(i)}`, email: null, phone: formats[i % formats.length] })),
      ),
    );
    await expectExactlyOneWinner(results);
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 1 });
  });
});

describe('contact claims left behind', () => {
  it('does not let a claim whose registration crashed over 30 s ago block a new registration', async () => {
    await models.contactClaims.create({
      _id: 'email:hanako@example.com',
      memberId: new Types.ObjectId(),
      createdAt: new Date(clock.getTime() - IN_FLIGHT_MS - 1_000),
    });
    const member = await service.register(STAFF, registration());
    await expect(claimHolder('email:hanako@example.com')).resolves.toBe(member._id.toHexString());
  });

  it('does not let a claim whose member no longer holds that e-mail block a new registration', async () => {
    const first = await service.register(STAFF, registration({ phone: null }));
    // an update() that crashed after changing the member but before releasing the old claim
    await models.members.updateOne({ _id: first._id }, { $set: { email: 'moved@example.com' } });
    advanceClock(IN_FLIGHT_MS + 1_000);
    const second = await service.register(STAFF, registration({ phone: null }));
    await expect(claimHolder('email:hanako@example.com')).resolves.toBe(second._id.toHexString());
  });

  it('does not let a withdrawn member block their old e-mail', async () => {
    const first = await service.register(STAFF, registration({ phone: null }));
    // a withdraw() that crashed after erasing the member's contacts but before deleting the claim
    await models.members.updateOne({ _id: first._id }, { $set: { status: 'WITHDRAWN', email: null } });
    advanceClock(IN_FLIGHT_MS + 1_000);
    const second = await service.register(STAFF, registration({ phone: null }));
    await expect(claimHolder('email:hanako@example.com')).resolves.toBe(second._id.toHexString());
  });

  it('lets a fresh claim with no member yet (a registration in flight) block a new registration', async () => {
    const inFlight = new Types.ObjectId();
    await models.contactClaims.create({ _id: 'email:hanako@example.com', memberId: inFlight, createdAt: clock });
    const error = await rejection(service.register(STAFF, registration({ phone: null })));
    expect(error.extensions).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email' });
    await expect(claimHolder('email:hanako@example.com')).resolves.toBe(inFlight.toHexString());
    await expect(storedCounts()).resolves.toEqual({ members: 0, claims: 1 });
  });

  it('stops treating a claim with no member as in flight after 30 s', async () => {
    await models.contactClaims.create({ _id: 'email:hanako@example.com', memberId: new Types.ObjectId(), createdAt: clock });
    advanceClock(IN_FLIGHT_MS - 1_000);
    await expect(rejection(service.register(STAFF, registration({ phone: null })))).resolves.toMatchObject({
      extensions: { code: 'ALREADY_EXISTS' },
    });
    advanceClock(2_000);
    await expect(service.register(STAFF, registration({ phone: null }))).resolves.toMatchObject({ email: 'hanako@example.com' });
  });

  it('lets a fresh claim by a member whose e-mail change is in flight block a new registration', async () => {
    const changing = await service.register(STAFF, registration({ phone: null }));
    // update() has claimed the new address and not yet written it to the member
    await models.contactClaims.create({ _id: 'email:new@example.com', memberId: changing._id, createdAt: clock });
    const error = await rejection(service.register(STAFF, registration({ email: 'new@example.com', phone: null })));
    expect(error.extensions).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email' });
    await expect(claimHolder('email:new@example.com')).resolves.toBe(changing._id.toHexString());
  });
});

describe('MemberService.update', () => {
  it('releases the old e-mail when it changes, so someone else can register with it', async () => {
    const hanako = await service.register(STAFF, registration());
    const updated = await service.update(STAFF, hanako._id.toHexString(), { email: 'Hanako.New@Example.com' });
    expect(updated.email).toBe('hanako.new@example.com');
    await expect(claimHolder('email:hanako.new@example.com')).resolves.toBe(hanako._id.toHexString());
    await expect(claimHolder('email:hanako@example.com')).resolves.toBeNull();

    const taro = await service.register(STAFF, registration({ displayName: '山田太郎', phone: '080-0000-0002' }));
    expect(taro.email).toBe('hanako@example.com');
  });

  it('refuses an e-mail another member holds as ALREADY_EXISTS and leaves the member unchanged', async () => {
    const hanako = await service.register(STAFF, registration());
    const taro = await service.register(STAFF, registration({ displayName: '山田太郎', email: 'taro@example.com', phone: null }));
    const before = await stored(hanako._id);
    const claimsBefore = await models.contactClaims.find().sort({ _id: 1 }).lean();

    const error = await rejection(
      service.update(STAFF, hanako._id.toHexString(), { displayName: '山田はなこ', email: 'TARO@example.com' }),
    );
    expect(error.extensions).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email', existingMemberCode: taro.memberCode });
    await expect(stored(hanako._id)).resolves.toEqual(before);
    await expect(models.contactClaims.find().sort({ _id: 1 }).lean()).resolves.toEqual(claimsBefore);
  });

  it('releases the new e-mail it claimed when the new phone turns out to be taken', async () => {
    const hanako = await service.register(STAFF, registration());
    await service.register(STAFF, registration({ displayName: '山田太郎', email: null, phone: '080-0000-0002' }));
    const before = await stored(hanako._id);

    const error = await rejection(
      service.update(STAFF, hanako._id.toHexString(), { email: 'hanako.new@example.com', phone: '080-0000-0002' }),
    );
    expect(error.extensions).toMatchObject({ code: 'ALREADY_EXISTS', field: 'phone' });
    await expect(stored(hanako._id)).resolves.toEqual(before);
    await expect(claimHolder('email:hanako.new@example.com')).resolves.toBeNull();
  });

  it('removes the e-mail and releases it while the member keeps a phone', async () => {
    const hanako = await service.register(STAFF, registration());
    const updated = await service.update(STAFF, hanako._id.toHexString(), { email: null });
    expect(updated).toMatchObject({ email: null, phone: '+819012345678' });
    await expect(claimHolder('email:hanako@example.com')).resolves.toBeNull();
    await expect(claimHolder('phone:+819012345678')).resolves.toBe(hanako._id.toHexString());
  });

  it('refuses to remove both e-mail and phone as BAD_USER_INPUT and leaves the member unchanged', async () => {
    const hanako = await service.register(STAFF, registration());
    const before = await stored(hanako._id);
    const error = await rejection(service.update(STAFF, hanako._id.toHexString(), { email: null, phone: '' }));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    await expect(stored(hanako._id)).resolves.toEqual(before);
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 2 });
  });
});

describe('MemberService.withdraw', () => {
  it('erases e-mail and phone and marks the member withdrawn at the current time', async () => {
    const hanako = await service.register(STAFF, registration());
    const withdrawn = await service.withdraw(STAFF, hanako._id.toHexString());
    expect(withdrawn).toMatchObject({ status: 'WITHDRAWN', email: null, phone: null, withdrawnAt: clock, memberCode: hanako.memberCode });
    await expect(stored(hanako._id)).resolves.toMatchObject({ status: 'WITHDRAWN', email: null, phone: null });
  });

  it('releases both contacts, so they can be registered again', async () => {
    const hanako = await service.register(STAFF, registration());
    await service.withdraw(STAFF, hanako._id.toHexString());
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 0 });

    const again = await service.register(STAFF, registration());
    await expect(claimHolder('email:hanako@example.com')).resolves.toBe(again._id.toHexString());
    await expect(claimHolder('phone:+819012345678')).resolves.toBe(again._id.toHexString());
  });

  it('is idempotent: withdrawing again succeeds and changes nothing', async () => {
    const hanako = await service.register(STAFF, registration());
    const first = await service.withdraw(STAFF, hanako._id.toHexString());
    advanceClock(60_000);
    const second = await service.withdraw(STAFF, hanako._id.toHexString());
    expect(second).toEqual(first);
    await expect(stored(hanako._id)).resolves.toEqual(first);
  });
});

describe('the sign-up bonus', () => {
  let bonusDb: TestDatabase;
  let subgraph: MembersSubgraph;
  let now: Date;

  beforeAll(async () => {
    bonusDb = await openTestDatabase();
    subgraph = buildMembersSubgraph(testBuildOptions(bonusDb.connection, { clock: () => now }));
    await ensureIndexes(bonusDb.connection);
  });
  afterAll(() => bonusDb.drop());

  it('stays queued for a member stored after a worker had given the bonus up for want of the member', async () => {
    now = new Date('2030-04-01T09:00:00.000Z');
    const outbox = subgraph.outbox;
    // the registration stalls between queueing the bonus and storing the member, and a worker runs meanwhile
    const stalling = Object.assign(Object.create(outbox) as Outbox, {
      enqueue: async (...args: Parameters<Outbox['enqueue']>) => {
        await outbox.enqueue(...args);
        now = new Date(now.getTime() + 61_000);
        await outbox.drain();
      },
    });
    const member = await new MemberService(subgraph.models, () => now, stalling).register(STAFF, registration());
    // points is unreachable in this test: the bonus waits for it instead of being dropped
    expect(await outbox.find(`signup-bonus:${member._id.toHexString()}`)).toMatchObject({ doneAt: null, lastError: 'points is unavailable: fetch failed' });
  });
});
