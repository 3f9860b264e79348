import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { membersModels, type MembersModels } from '../../models';
import type { Caller } from '@omo/lib/core/auth';
import type { MemberDoc } from '../../models/member.model';
import type { MemberChangeHook } from '../../partner-events/member-events';
import { ContactClaims } from '../contact-claims';
import { MemberDuplicates } from '../member-duplicates.service';
import { MemberLookup } from '../member-lookup.service';
import { SignUpService } from '../sign-up.service';
import { ImportRegistrations, type RegistrationEntry } from './import-registration.service';
import type { ImportRow } from './import-row';

/** The import's batch registration against a real database, where a concurrent run or sign-up meets a batch. */
let db: TestDatabase;
let models: MembersModels;
let clock: Date;

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
});

function registrations(memberEvents?: MemberChangeHook): { registrations: ImportRegistrations; signUp: SignUpService } {
  const now = () => clock;
  const contacts = new ContactClaims(models, now);
  const lookup = new MemberLookup(models);
  const signUp = new SignUpService(models, contacts, now);
  return { registrations: new ImportRegistrations(models, signUp, contacts, new MemberDuplicates(models, lookup, now), lookup, memberEvents), signUp };
}

function entry(row: Partial<ImportRow> & { legacyCode: string }, memberId = new Types.ObjectId()): RegistrationEntry {
  return {
    row: { line: 2, displayName: '移行 太郎', email: null, phone: null, birthday: null, tier: null, lots: [], notes: [], ...row },
    memberId,
    report: { duplicateContacts: [], messages: [] },
  };
}

const claimOf = async (key: string) => (await models.contactClaims.findById(key).lean().exec())?.memberId.toHexString() ?? null;

describe('ImportRegistrations.register', () => {
  it('keeps the claims of a waiting row whose member a concurrent run of the same code stored meanwhile', async () => {
    const memberId = new Types.ObjectId();
    // the twin run (a CLI resend) stored the member with its e-mail; its phone is someone else's registration in flight
    await models.members.create({ _id: memberId, memberCode: '2900000000017', displayName: '移行 太郎', email: 'twin@example.com', phone: null, registeredVia: 'STORE', tags: ['imported'], status: 'ACTIVE' });
    await models.contactClaims.create({ _id: 'email:twin@example.com', memberId, createdAt: clock });
    const other = new Types.ObjectId();
    await models.contactClaims.create({ _id: 'phone:+819011112222', memberId: other, createdAt: clock });

    const row = entry({ legacyCode: 'TWIN1', email: 'twin@example.com', phone: '+819011112222' }, memberId);
    const stored = await registrations().registrations.register([row]);

    expect(await claimOf('email:twin@example.com')).toBe(memberId.toHexString());
    expect(await claimOf('phone:+819011112222')).toBe(other.toHexString());
    expect([...stored]).toEqual([[memberId.toHexString(), { memberCode: '2900000000017', created: false }]]);
    expect(row.report).toEqual({ duplicateContacts: [], messages: [] });
  });

  it('leaves one holder of a contact whose claim a sign-up took over while the batch was slow (past the in-flight window)', async () => {
    const STAFF: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
    let rival: MemberDoc | null = null;
    // the seam between the batch's claims and its member insert: 31 s pass, and a sign-up of the same e-mail comes
    const hook: MemberChangeHook = {
      before: async () => {},
      beforeMany: async () => {
        if (rival) return;
        clock = new Date(clock.getTime() + 31_000);
        rival = await service.signUp.register(STAFF, { displayName: '別人 花子', email: 'slow@example.com', registeredVia: 'ONLINE' });
      },
      storedMany: async () => {},
    };
    const service = registrations(hook);
    const row = entry({ legacyCode: 'SLOW1', email: 'slow@example.com' });
    const stored = await service.registrations.register([row]);

    const holders = await models.members.find({ email: 'slow@example.com' }, { _id: 1 }).lean().exec();
    expect(holders.map((member) => member._id.toHexString())).toEqual([rival!._id.toHexString()]);
    expect(await claimOf('email:slow@example.com')).toBe(rival!._id.toHexString());
    expect((await models.members.findById(row.memberId).lean<MemberDoc>().exec())?.email).toBeNull();
    expect(stored.get(row.memberId.toHexString())?.created).toBe(true);
    expect(row.report.messages).toEqual([`email belongs to member ${rival!.memberCode} already: left out`]);
  });

  it('tells a row not imported only that, and flags nothing for it', async () => {
    const holder = new Types.ObjectId();
    await models.members.create({ _id: holder, memberCode: '2900000000024', displayName: '先客 一郎', email: 'held@example.com', phone: null, registeredVia: 'ONLINE', tags: [], status: 'ACTIVE' });
    // its phone: someone else's registration in flight all along
    await models.contactClaims.create({ _id: 'phone:+819033334444', memberId: new Types.ObjectId(), createdAt: clock });
    const row = entry({ legacyCode: 'BUSY1', email: 'held@example.com', phone: '+819033334444' });
    const stored = await registrations().registrations.register([row]);

    expect(stored.size).toBe(0);
    expect(row.report).toEqual({ duplicateContacts: [], messages: ['not imported: its e-mail or phone is being registered by someone else; send the row again'] });
    expect(await db.connection.collection('member_duplicates').countDocuments({ memberId: row.memberId })).toBe(0);
  });
});
