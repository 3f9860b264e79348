import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { membersModels, type MembersModels } from '../../models';
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

function registrations(): ImportRegistrations {
  const now = () => clock;
  const contacts = new ContactClaims(models, now);
  const lookup = new MemberLookup(models);
  return new ImportRegistrations(models, new SignUpService(models, contacts, now), contacts, new MemberDuplicates(models, lookup, now), lookup);
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
    const stored = await registrations().register([row]);

    expect(await claimOf('email:twin@example.com')).toBe(memberId.toHexString());
    expect(await claimOf('phone:+819011112222')).toBe(other.toHexString());
    expect([...stored]).toEqual([[memberId.toHexString(), { memberCode: '2900000000017', created: false }]]);
    expect(row.report).toEqual({ duplicateContacts: [], messages: [] });
  });
});
