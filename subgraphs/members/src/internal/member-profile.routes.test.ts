import express from 'express';
import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { membersContract } from '@omo/lib/contracts/members';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { internalClient } from '@omo/lib/server/internal-api';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import type { MemberDoc } from '../models/member.model';
import { buildMembersSubgraph, type MembersSubgraph } from '../server';

/** The LINE member page's profile routes, points' birthdays and the segment leaves, over HTTP on the real database. */
let db: TestDatabase;
let http: RunningHttpServer;
let subgraph: MembersSubgraph;
let clock: Date;
const client = (service: string) => internalClient(membersContract, { directory: { baseUrl: () => http.url }, internalSecret: TEST_INTERNAL_SECRET, service });

beforeAll(async () => {
  db = await openTestDatabase();
  subgraph = buildMembersSubgraph(testBuildOptions(db.connection, { clock: () => clock }));
  await ensureIndexes(db.connection);
  http = await listen(express().use(subgraph.routes!), 0);
});
afterAll(async () => {
  await http.close();
  await db.drop();
});
beforeEach(async () => {
  clock = new Date('2030-04-01T09:00:00.000Z');
  await subgraph.models.members.deleteMany({});
  await subgraph.models.contactClaims.deleteMany({});
});

let codes = 0;
/** A member stored as it is (a LEGACY member: no consent recorded, as before consent was kept). */
async function member(fields: Partial<MemberDoc> = {}): Promise<MemberDoc> {
  codes += 1;
  const created = await subgraph.models.members.create({
    memberCode: `20000000${String(codes).padStart(5, '0')}`,
    displayName: `Member ${codes}`,
    email: `m${codes}@example.com`,
    registeredVia: 'STORE',
    registeredStoreId: 'store-1',
    ...fields,
  });
  return created.toObject();
}

const id = (doc: MemberDoc) => doc._id.toHexString();

describe('profile and updateProfile', () => {
  it('answer a member with no recorded choice as consented, LEGACY, never updated', async () => {
    const legacy = await member();
    expect(await client('line').profile({ memberId: id(legacy) })).toEqual({
      memberId: id(legacy),
      memberCode: legacy.memberCode,
      displayName: legacy.displayName,
      status: 'ACTIVE',
      birthday: null,
      marketingConsent: { granted: true, source: 'LEGACY', updatedAt: null },
    });
  });

  it('change the birthday and the consent, keep what is omitted, and follow a merge to the survivor', async () => {
    const survivor = await member();
    const merged = await member({ status: 'MERGED', mergedIntoId: survivor._id });
    const changed = await client('line').updateProfile({ memberId: id(merged), birthday: '1985-12-03', marketingConsent: false, source: 'LINE' });
    expect(changed).toMatchObject({ memberId: id(survivor), birthday: '1985-12-03', marketingConsent: { granted: false, source: 'LINE', updatedAt: clock } });
    clock = new Date('2030-04-02T09:00:00.000Z');
    const kept = await client('line').updateProfile({ memberId: id(survivor), source: 'LINE' });
    expect(kept).toMatchObject({ birthday: '1985-12-03', marketingConsent: { granted: false, updatedAt: new Date('2030-04-01T09:00:00.000Z') } });
    const cleared = await client('line').updateProfile({ memberId: id(survivor), birthday: null, marketingConsent: true, source: 'LINE' });
    expect(cleared).toMatchObject({ birthday: null, marketingConsent: { granted: true, source: 'LINE', updatedAt: clock } });
    expect(await subgraph.models.members.findById(survivor._id).lean<MemberDoc>().exec()).toMatchObject({ birthday: null, birthMonth: null });
    expect(await client('line').profile({ memberId: id(merged) })).toMatchObject({ memberId: id(survivor), birthday: null });
  });

  it('refuse an impossible or future birthday and write nothing; NOT_FOUND for no member', async () => {
    const someone = await member({ birthday: '1990-01-01', birthMonth: 1 });
    const refused = await rejection(client('line').updateProfile({ memberId: id(someone), birthday: '2030-04-02', marketingConsent: false, source: 'LINE' }));
    expect([refused.extensions.code, refused.extensions.field, refused.message]).toEqual(['BAD_USER_INPUT', 'birthday', 'birthday must not be in the future']);
    expect(await subgraph.models.members.findById(someone._id).lean<MemberDoc>().exec()).toMatchObject({ birthday: '1990-01-01', birthMonth: 1 });
    expect((await subgraph.models.members.findById(someone._id).lean<MemberDoc>().exec())?.marketingConsent).toBeUndefined();
    const unknown = new Types.ObjectId().toHexString();
    expect((await rejection(client('line').profile({ memberId: unknown }))).extensions.code).toBe('NOT_FOUND');
    expect((await rejection(client('line').updateProfile({ memberId: unknown, source: 'LINE' }))).extensions.code).toBe('NOT_FOUND');
    expect((await rejection(client('line').profile({ memberId: 'not-an-id' }))).extensions.code).toBe('NOT_FOUND');
  });

  it('answer a withdrawn member’s profile but refuse changing it as NOT_FOUND', async () => {
    const withdrawn = await member({ status: 'WITHDRAWN', email: null });
    expect(await client('line').profile({ memberId: id(withdrawn) })).toMatchObject({ status: 'WITHDRAWN' });
    const refused = await rejection(client('line').updateProfile({ memberId: id(withdrawn), marketingConsent: false, source: 'LINE' }));
    expect([refused.extensions.code, refused.message]).toEqual(['NOT_FOUND', 'This member’s membership was withdrawn']);
    expect((await subgraph.models.members.findById(withdrawn._id).lean<MemberDoc>().exec())?.marketingConsent).toBeUndefined();
  });
});

describe('birthdays', () => {
  it('page the ACTIVE members born in a month by id', async () => {
    const july = [];
    for (let day = 1; day <= 5; day += 1) july.push(await member({ birthday: `1990-07-0${day}`, birthMonth: 7 }));
    await member({ birthday: '1990-07-09', birthMonth: 7, status: 'WITHDRAWN' });
    await member({ birthday: '1990-08-01', birthMonth: 8 });
    await member();
    const points = client('points');
    const first = await points.birthdays({ month: 7, limit: 2 });
    const second = await points.birthdays({ month: 7, limit: 2, after: first.next ?? undefined });
    const third = await points.birthdays({ month: 7, limit: 2, after: second.next ?? undefined });
    const expected = july.map((m) => ({ memberId: id(m), birthday: m.birthday }));
    expect([first, second, third]).toEqual([
      { members: expected.slice(0, 2), next: id(july[1]!) },
      { members: expected.slice(2, 4), next: id(july[3]!) },
      { members: expected.slice(4), next: null },
    ]);
    expect(await points.birthdays({ month: 12 })).toEqual({ members: [], next: null });
  });

  it('leave out members registered at or after registeredBefore', async () => {
    const earlier = await member({ birthday: '1990-12-01', birthMonth: 12, createdAt: new Date('2027-12-20T00:00:00.000Z') });
    await member({ birthday: '1990-12-02', birthMonth: 12, createdAt: new Date('2027-12-31T15:00:00.000Z') });
    const page = await client('points').birthdays({ month: 12, registeredBefore: new Date('2027-12-31T15:00:00.000Z') });
    expect(page).toEqual({ members: [{ memberId: id(earlier), birthday: '1990-12-01' }], next: null });
  });

  it('name with a member the members merged into it at any depth and its LINE user’s earlier memberships', async () => {
    await subgraph.models.lineJoins.deleteMany({});
    const survivor = await member({ birthday: '1990-07-01', birthMonth: 7 });
    const merged = await member({ status: 'MERGED', mergedIntoId: survivor._id });
    const mergedEarlier = await member({ status: 'MERGED', mergedIntoId: merged._id });
    const lineUser = `U${'c'.repeat(32)}`;
    const joinAs = () =>
      client('line').joinFromLine({ lineUserId: lineUser, displayName: 'Emily Carter', email: 'emily@example.com', birthday: '1992-07-20', marketingConsent: true, termsAccepted: true });
    const staff = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' } as const;
    const first = await joinAs();
    await subgraph.memberService.withdraw(staff, first.memberId);
    const second = await joinAs();
    await subgraph.memberService.withdraw(staff, second.memberId);
    const third = await joinAs();
    const page = await client('points').birthdays({ month: 7 });
    expect(page.members.map(({ memberId, priorMemberIds }) => ({ memberId, priorMemberIds }))).toEqual([
      { memberId: id(survivor), priorMemberIds: [id(merged), id(mergedEarlier)].sort() },
      { memberId: third.memberId, priorMemberIds: [first.memberId, second.memberId].sort() },
    ]);
  });

  it('name the survivor a LINE join was merged into, when that survivor withdrew and the LINE user joined again', async () => {
    await subgraph.models.lineJoins.deleteMany({});
    const lineUser = `U${'d'.repeat(32)}`;
    const joinAs = (email: string) =>
      client('line').joinFromLine({ lineUserId: lineUser, displayName: 'Emily Carter', email, birthday: '1992-07-20', marketingConsent: true, termsAccepted: true });
    const joined = await joinAs('emily.d@example.com');
    // staff merged the LINE membership into a store card, which then withdrew
    const card = await member({ birthday: '1992-07-20', birthMonth: 7, status: 'WITHDRAWN' });
    await subgraph.models.members.updateOne({ _id: new Types.ObjectId(joined.memberId) }, { $set: { status: 'MERGED', mergedIntoId: card._id } });
    const again = await joinAs('emily.d2@example.com');
    expect(again.created).toBe(true);
    const page = await client('points').birthdays({ month: 7 });
    expect(page.members.find((m) => m.memberId === again.memberId)?.priorMemberIds).toEqual([joined.memberId, id(card)].sort());
  });
});

describe('segment leaves', () => {
  it('marketingConsent counts LEGACY members in and a withdrawn consent out; birthdayMonth matches the months given', async () => {
    const legacy = await member({ birthday: '1990-07-01', birthMonth: 7 });
    const granted = await member({ marketingConsent: { granted: true, source: 'LINE', updatedAt: clock }, birthday: '1990-12-24', birthMonth: 12 });
    const refused = await member({ marketingConsent: { granted: false, source: 'STAFF', updatedAt: clock } });
    const answer = await client('line').segmentFilter({
      at: clock,
      memberIds: [legacy, granted, refused].map(id),
      conditions: [
        { key: 'consent', condition: { kind: 'marketingConsent' } },
        { key: 'summer', condition: { kind: 'birthdayMonth', months: [6, 7, 8] } },
        { key: 'december', condition: { kind: 'birthdayMonth', months: [12] } },
      ],
    });
    // the route answers each condition's ids in the order the database returns them
    expect({ ...answer.matches, consent: [...answer.matches.consent!].sort() }).toEqual({
      consent: [id(legacy), id(granted)].sort(),
      summer: [id(legacy)],
      december: [id(granted)],
    });
  });

  it('marketingConsent leaves out members that are not ACTIVE, whatever their recorded choice says', async () => {
    const consent = { granted: true, source: 'LINE' as const, updatedAt: clock };
    const active = await member({ marketingConsent: consent });
    const withdrawn = await member({ marketingConsent: consent, status: 'WITHDRAWN', email: null });
    const legacyWithdrawn = await member({ status: 'WITHDRAWN', email: null });
    const merged = await member({ marketingConsent: consent, status: 'MERGED', mergedIntoId: active._id });
    const answer = await client('line').segmentFilter({
      at: clock,
      memberIds: [active, withdrawn, legacyWithdrawn, merged].map(id),
      conditions: [{ key: 'consent', condition: { kind: 'marketingConsent' } }],
    });
    expect(answer.matches).toEqual({ consent: [id(active)] });
  });
});
