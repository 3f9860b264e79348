import express from 'express';
import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { membersContract } from '@omo/lib/contracts/members';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { internalClient } from '@omo/lib/server/internal-api';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import type { Outbox } from '@omo/lib/outbox/outbox';
import { until } from '@omo/tools/testing/concurrency';
import { rejection } from '@omo/tools/testing/errors';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import type { MemberDoc } from '../models/member.model';
import { buildMembersSubgraph, type MembersSubgraph } from '../server';
import { MemberService } from '../services/member.service';

/** POST /internal/members/join-line over HTTP, as the line service's member page calls it, on the real database. */
let db: TestDatabase;
let http: RunningHttpServer;
let subgraph: MembersSubgraph;
let clock: Date;
const line = () => internalClient(membersContract, { directory: { baseUrl: () => http.url }, internalSecret: TEST_INTERNAL_SECRET, service: 'line' });

const LINE_USER = 'U0123456789abcdef0123456789abcdef';
const OTHER_LINE_USER = 'Ufedcba9876543210fedcba9876543210';

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
  await subgraph.models.lineJoins.deleteMany({});
});

const join = (overrides: Record<string, unknown> = {}) => ({
  lineUserId: LINE_USER,
  displayName: 'Emily Carter',
  email: 'emily@example.com',
  phone: null,
  birthday: '1990-07-14',
  marketingConsent: true,
  termsAccepted: true as const,
  ...overrides,
});

const stored = (id: string) => subgraph.models.members.findById(id).lean<MemberDoc>().exec();
const counts = async () => ({
  members: await subgraph.models.members.countDocuments(),
  contactClaims: await subgraph.models.contactClaims.countDocuments(),
  lineJoins: await subgraph.models.lineJoins.countDocuments(),
});

describe('joinFromLine', () => {
  it('creates an ONLINE member with the birthday, consent from LINE and the sign-up bonus queued', async () => {
    const joined = await line().joinFromLine(join());
    expect(joined).toEqual({ memberId: expect.stringMatching(/^[0-9a-f]{24}$/), memberCode: expect.stringMatching(/^\d{13}$/), created: true });
    expect(await stored(joined.memberId)).toMatchObject({
      memberCode: joined.memberCode,
      displayName: 'Emily Carter',
      email: 'emily@example.com',
      registeredVia: 'ONLINE',
      status: 'ACTIVE',
      birthday: '1990-07-14',
      birthMonth: 7,
      marketingConsent: { granted: true, source: 'LINE', updatedAt: clock },
    });
    expect(await subgraph.outbox.find(`signup-bonus:${joined.memberId}`)).toMatchObject({ payload: { memberId: joined.memberId } });
    expect(await counts()).toEqual({ members: 1, contactClaims: 1, lineJoins: 1 });
  });

  it('answers a repeat with the same member, created false, whatever else it carries', async () => {
    const first = await line().joinFromLine(join());
    const again = await line().joinFromLine(join({ displayName: 'Someone Else', email: 'else@example.com', birthday: '2999-01-01', marketingConsent: false }));
    expect(again).toEqual({ memberId: first.memberId, memberCode: first.memberCode, created: false });
    expect(await stored(first.memberId)).toMatchObject({ displayName: 'Emily Carter', email: 'emily@example.com', marketingConsent: { granted: true } });
    expect(await counts()).toEqual({ members: 1, contactClaims: 1, lineJoins: 1 });
  });

  it('makes one member of twin joins for one LINE user at the same moment', async () => {
    const answers = await Promise.all([line().joinFromLine(join()), line().joinFromLine(join()), line().joinFromLine(join({ phone: '090-1111-2222' }))]);
    expect(new Set(answers.map((answer) => answer.memberId)).size).toBe(1);
    expect(answers.filter((answer) => answer.created)).toHaveLength(1);
    const member = await stored(answers[0].memberId);
    expect(member?.memberCode).toBe(answers[0].memberCode);
    expect((await counts()).members).toBe(1);
    const claims = await subgraph.models.contactClaims.find().lean().exec();
    // every contact claim left is one the member holds
    expect(claims.map((claim) => claim._id).sort()).toEqual([`email:emily@example.com`, ...(member?.phone ? [`phone:${member.phone}`] : [])].sort());
  });

  it('refuses a contact another member holds as ALREADY_EXISTS, naming no member, and leaves nothing blocking a later join', async () => {
    const other = await line().joinFromLine(join({ lineUserId: OTHER_LINE_USER, email: 'taken@example.com' }));
    const before = await counts();
    const refused = await rejection(line().joinFromLine(join({ email: 'taken@example.com', phone: '090-1234-5678' })));
    expect(refused.extensions).toEqual({ code: 'ALREADY_EXISTS', field: 'email' });
    expect(JSON.stringify(refused.extensions)).not.toContain(other.memberCode);
    // only the LINE user's claim stays, naming a member not stored: the next join completes it
    expect(await counts()).toEqual({ ...before, lineJoins: before.lineJoins + 1 });
    const claim = await subgraph.models.lineJoins.findById(LINE_USER).lean().exec();
    const joined = await line().joinFromLine(join({ email: 'emily@example.com' }));
    expect(joined.created).toBe(true);
    expect(joined.memberId).toBe(claim?.memberId.toHexString());
    expect(await stored(joined.memberId)).toMatchObject({ email: 'emily@example.com', phone: null });
  });

  it('refuses bad input naming the field and writes nothing', async () => {
    const cases = [
      join({ birthday: '2030-04-02' }),
      join({ birthday: '2001-02-29' }),
      join({ birthday: '1899-12-31' }),
      join({ displayName: '   ' }),
      join({ email: null, phone: null }),
    ];
    const fields = [];
    for (const request of cases) {
      const error = await rejection(line().joinFromLine(request));
      fields.push([error.extensions.code, error.extensions.field, error.message]);
    }
    expect(fields).toEqual([
      ['BAD_USER_INPUT', 'birthday', 'birthday must not be in the future'],
      ['BAD_USER_INPUT', 'birthday', 'birthday must be a real calendar date'],
      ['BAD_USER_INPUT', 'birthday', 'birthday must not be before 1900-01-01'],
      ['BAD_USER_INPUT', 'displayName', 'displayName must not be empty'],
      ['BAD_USER_INPUT', 'email', 'An e-mail address or a phone number is required'],
    ]);
    expect(await counts()).toEqual({ members: 0, contactClaims: 0, lineJoins: 0 });
  });

  it('takes a birthday of today in Japan, already tomorrow in UTC terms', async () => {
    clock = new Date('2030-04-01T15:30:00.000Z');
    const joined = await line().joinFromLine(join({ birthday: '2030-04-02' }));
    expect((await stored(joined.memberId))?.birthday).toBe('2030-04-02');
  });

  it('completes a join that died between its claim and its member, under the claim’s member id', async () => {
    const memberId = new Types.ObjectId();
    await subgraph.models.lineJoins.create({ _id: LINE_USER, memberId, createdAt: clock });
    const joined = await line().joinFromLine(join());
    expect(joined).toMatchObject({ memberId: memberId.toHexString(), created: true });
    expect(await subgraph.outbox.find(`signup-bonus:${joined.memberId}`)).toMatchObject({ payload: { memberId: joined.memberId } });
    expect(await counts()).toEqual({ members: 1, contactClaims: 1, lineJoins: 1 });
  });

  it('lets a LINE user whose member withdrew join anew', async () => {
    const first = await line().joinFromLine(join());
    await subgraph.memberService.withdraw({ kind: 'staff', staffId: 'staff-1', role: 'STAFF' }, first.memberId);
    const again = await line().joinFromLine(join());
    expect(again.created).toBe(true);
    expect(again.memberId).not.toBe(first.memberId);
    expect(await subgraph.models.lineJoins.findById(LINE_USER).lean().exec()).toMatchObject({ memberId: new Types.ObjectId(again.memberId) });
    // the first membership's bonus was its only one
    expect(await subgraph.outbox.find(`signup-bonus:${first.memberId}`)).toMatchObject({ payload: { memberId: first.memberId } });
    expect(await subgraph.outbox.find(`signup-bonus:${again.memberId}`)).toBeNull();
  });

  it('gives no second bonus to a rejoin that died after the withdrawn member’s claim was removed', async () => {
    const first = await line().joinFromLine(join());
    await subgraph.memberService.withdraw({ kind: 'staff', staffId: 'staff-1', role: 'STAFF' }, first.memberId);
    await subgraph.models.lineJoins.create({ _id: `rejoined:${LINE_USER}`, memberId: new Types.ObjectId(first.memberId), createdAt: clock });
    await subgraph.models.lineJoins.deleteOne({ _id: LINE_USER });
    const again = await line().joinFromLine(join());
    expect(again.created).toBe(true);
    expect(await subgraph.outbox.find(`signup-bonus:${again.memberId}`)).toBeNull();
  });

  it('answers the survivor when the LINE user’s member was merged', async () => {
    const first = await line().joinFromLine(join());
    const survivor = await line().joinFromLine(join({ lineUserId: OTHER_LINE_USER, email: 'survivor@example.com' }));
    await subgraph.models.members.updateOne({ _id: first.memberId }, { $set: { status: 'MERGED', mergedIntoId: new Types.ObjectId(survivor.memberId) } });
    expect(await line().joinFromLine(join())).toEqual({ memberId: survivor.memberId, memberCode: survivor.memberCode, created: false });
  });
});

describe('joinFromLine twins held at the same step', () => {
  it('store one member when both reach the member’s insert together', async () => {
    // each twin stops after queueing the bonus (the last write before the member) until both are there
    let arrived = 0;
    let release = (): void => undefined;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const barrier = Object.assign(Object.create(subgraph.outbox) as Outbox, {
      enqueue: async (...args: Parameters<Outbox['enqueue']>) => {
        await subgraph.outbox.enqueue(...args);
        arrived += 1;
        await opened;
      },
    });
    const service = new MemberService(subgraph.models, () => clock, barrier);
    const { termsAccepted, ...rest } = join();
    expect(termsAccepted).toBe(true);
    const twins = [service.joinFromLine(rest), service.joinFromLine({ ...rest, phone: '090-1111-2222' })] as const;
    await until(() => arrived === 2);
    release();
    const [one, other] = await Promise.all(twins);
    expect(one.memberId).toBe(other.memberId);
    expect([one.created, other.created].sort()).toEqual([false, true]);
    const member = await stored(one.memberId);
    const claims = await subgraph.models.contactClaims.find().lean().exec();
    expect(claims.map((claim) => claim._id).sort()).toEqual(['email:emily@example.com', ...(member?.phone ? [`phone:${member.phone}`] : [])].sort());
    expect(await counts()).toMatchObject({ members: 1, lineJoins: 1 });
  });

  it('keep the LINE user’s claim when one twin is refused while the other is still storing the member', async () => {
    await line().joinFromLine(join({ lineUserId: OTHER_LINE_USER, email: 'taken@example.com' }));
    let arrived = 0;
    let release = (): void => undefined;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const barrier = Object.assign(Object.create(subgraph.outbox) as Outbox, {
      enqueue: async (...args: Parameters<Outbox['enqueue']>) => {
        await subgraph.outbox.enqueue(...args);
        arrived += 1;
        await opened;
      },
    });
    const service = new MemberService(subgraph.models, () => clock, barrier);
    const { termsAccepted, ...rest } = join();
    expect(termsAccepted).toBe(true);
    const storing = service.joinFromLine(rest);
    await until(() => arrived === 1);
    const refused = await rejection(service.joinFromLine({ ...rest, email: 'taken@example.com' }));
    expect(refused.extensions).toEqual({ code: 'ALREADY_EXISTS', field: 'email' });
    release();
    const stored = await storing;
    expect(stored.created).toBe(true);
    expect(await subgraph.models.lineJoins.findById(LINE_USER).lean().exec()).toMatchObject({ memberId: new Types.ObjectId(stored.memberId) });
  });
});
