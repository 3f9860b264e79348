import type { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { membersModels, type MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import { MemberService, type RegisterMemberInput } from './member.service';
import { ProfileChangeService } from './profile-change.service';

/** Birthday and marketing consent through registration and updates, on the real database. */
const STAFF: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const POS: Caller = { kind: 'pos', keyId: 'key-1', storeIds: ['store-1', 'store-2'] };

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

async function stored(id: Types.ObjectId): Promise<MemberDoc | null> {
  return models.members.findById(id).lean<MemberDoc>();
}

describe('birthday and marketing consent', () => {
  it('records consent at registration with the registering caller as its source, and no consent when not asked', async () => {
    const staff = await service.register(STAFF, registration({ birthday: '1988-02-29', marketingConsent: true }));
    const pos = await service.register(POS, registration({ email: 'pos@example.com', phone: null, registeredVia: 'STORE', registeredStoreId: 'store-1', marketingConsent: true }));
    const unasked = await service.register(STAFF, registration({ email: 'unasked@example.com', phone: null }));
    expect([staff, pos, unasked].map((m) => [m.birthday, m.birthMonth, m.marketingConsent])).toEqual([
      ['1988-02-29', 2, { granted: true, source: 'STAFF', updatedAt: clock }],
      [null, null, { granted: true, source: 'POS', updatedAt: clock }],
      [null, null, { granted: false, source: 'STAFF', updatedAt: clock }],
    ]);
  });

  it('refuses an impossible, future or too early birthday at registration and writes nothing', async () => {
    const refusals = [];
    for (const birthday of ['1990-13-01', '1990-04-31', '2030-04-02', '1899-12-31', '19900101']) {
      const error = await rejection(service.register(STAFF, registration({ birthday })));
      refusals.push([error.extensions.code, error.extensions.field, error.message]);
    }
    expect(refusals).toEqual([
      ['BAD_USER_INPUT', 'birthday', 'birthday must be a real calendar date'],
      ['BAD_USER_INPUT', 'birthday', 'birthday must be a real calendar date'],
      ['BAD_USER_INPUT', 'birthday', 'birthday must not be in the future'],
      ['BAD_USER_INPUT', 'birthday', 'birthday must not be before 1900-01-01'],
      ['BAD_USER_INPUT', 'birthday', 'birthday must be a date written YYYY-MM-DD'],
    ]);
    await expect(storedCounts()).resolves.toEqual({ members: 0, claims: 0 });
  });

  it('records the member’s own change as ONLINE and staff’s as STAFF; a null birthday clears it; an unchanged choice keeps its time', async () => {
    const member = await service.register(STAFF, registration({ birthday: '1990-07-14' }));
    const id = member._id.toHexString();
    advanceClock(60_000);
    const own = await service.update({ kind: 'customer', memberId: id }, id, { marketingConsent: true, birthday: null });
    expect([own.birthday, own.birthMonth, own.marketingConsent]).toEqual([null, null, { granted: true, source: 'ONLINE', updatedAt: clock }]);
    const chosenAt = clock;
    advanceClock(60_000);
    const same = await service.update(STAFF, id, { marketingConsent: true, birthday: '1990-12-01' });
    expect([same.birthday, same.birthMonth, same.marketingConsent]).toEqual(['1990-12-01', 12, { granted: true, source: 'ONLINE', updatedAt: chosenAt }]);
    const byStaff = await service.update(STAFF, id, { marketingConsent: false });
    expect(byStaff.marketingConsent).toEqual({ granted: false, source: 'STAFF', updatedAt: clock });
    const refused = await rejection(service.update(STAFF, id, { birthday: '2030-02-30', marketingConsent: true }));
    expect([refused.extensions.code, refused.extensions.field]).toEqual(['BAD_USER_INPUT', 'birthday']);
    expect(await stored(member._id)).toMatchObject({ birthday: '1990-12-01', marketingConsent: { granted: false, source: 'STAFF' } });
  });

  it('records withdrawing as a refusal made by whoever withdrew, at that moment', async () => {
    const byStaff = await service.register(STAFF, registration({ marketingConsent: true }));
    const own = await service.register(STAFF, registration({ email: 'own@example.com', phone: null, marketingConsent: true }));
    advanceClock(60_000);
    const staffWithdrew = await service.withdraw(STAFF, byStaff._id.toHexString());
    const memberWithdrew = await service.withdraw({ kind: 'customer', memberId: own._id.toHexString() }, own._id.toHexString());
    expect([staffWithdrew.marketingConsent, memberWithdrew.marketingConsent]).toEqual([
      { granted: false, source: 'STAFF', updatedAt: clock },
      { granted: false, source: 'ONLINE', updatedAt: clock },
    ]);
    expect((await stored(byStaff._id))?.marketingConsent).toEqual({ granted: false, source: 'STAFF', updatedAt: clock });
  });

  it('refuses changing a withdrawn member as NOT_FOUND and writes no birthday back', async () => {
    const member = await service.register(STAFF, registration({ birthday: '1990-07-14' }));
    const id = member._id.toHexString();
    await service.withdraw(STAFF, id);
    const refused = await rejection(service.update(STAFF, id, { birthday: '1990-07-14', displayName: 'Back Again' }));
    expect([refused.extensions.code, refused.message]).toEqual(['NOT_FOUND', 'This member’s membership was withdrawn']);
    expect(await stored(member._id)).toMatchObject({ status: 'WITHDRAWN', birthday: null, birthMonth: null, displayName: '山田花子' });
  });

  it('refuses a change that read the member just before their withdrawal landed, and keeps none of its contact claims', async () => {
    const member = await service.register(STAFF, registration({ birthday: '1990-07-14' }));
    const id = member._id.toHexString();
    const readBeforeWithdrawal = await stored(member._id);
    await service.withdraw(STAFF, id);
    jest.spyOn(ProfileChangeService.prototype as unknown as { getForChange: () => Promise<MemberDoc | null> }, 'getForChange').mockResolvedValueOnce(readBeforeWithdrawal);
    const refused = await rejection(service.update(STAFF, id, { birthday: '1990-07-14', email: 'late@example.com' }));
    expect(refused.extensions.code).toBe('NOT_FOUND');
    expect(await stored(member._id)).toMatchObject({ status: 'WITHDRAWN', birthday: null, email: null });
    await expect(storedCounts()).resolves.toEqual({ members: 1, claims: 0 });
  });
});
