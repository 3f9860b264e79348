import http from 'node:http';
import type { GraphQLError } from 'graphql';
import type { AddressInfo } from 'node:net';
import { Types } from 'mongoose';
import { SERVICE_IDENTITY_HEADER, verifyServiceIdentity, type Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import { createMemberLoaders } from '../loaders/member.loaders';
import { memberMergeModels, type MemberMergeModels } from '../models/member-merge.model';
import type { MemberDoc } from '../models/member.model';
import { buildMembersSubgraph, type MembersSubgraph } from '../server';
import type { RegisterMemberInput } from './member.service';
import { MERGE_OUTBOX_TYPE } from './merge.service';
import { mergeIdOf } from './merge-request';
import { toMemberMergeView } from '../resolvers/member-merge-view';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };

interface StubCall {
  service: string;
  path: string;
  body: Record<string, unknown>;
}

/** Stands in for the points, purchases and line internal APIs: checks the service credential, records calls, can be down. */
interface ServicesStub {
  directory: ServiceDirectory;
  calls: StubCall[];
  down: Set<string>;
  /** Awaited before a service answers, to keep a merge under way at that step while another one runs. */
  hold: { before: ((service: string) => Promise<void>) | null };
  close(): Promise<void>;
}

async function startServicesStub(): Promise<ServicesStub> {
  const calls: StubCall[] = [];
  const down = new Set<string>();
  const hold: ServicesStub['hold'] = { before: null };
  const moved: Record<string, number> = { points: 150, purchases: 2 };
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> => {
    const [, service = '', ...rest] = (req.url ?? '').split('/');
    const path = `/${rest.join('/')}`;
    if (down.has(service)) return void res.writeHead(503).end();
    try {
      verifyServiceIdentity(req.headers[SERVICE_IDENTITY_HEADER] as string | undefined, TEST_INTERNAL_SECRET, service);
    } catch {
      return void res.writeHead(401).end();
    }
    await hold.before?.(service);
    calls.push({ service, path, body: JSON.parse(body) as Record<string, unknown> });
    // each owner answers as its contract says: line tells what became of the link, the others how much moved
    const reply = path !== '/internal/merges' ? {} : service === 'line' ? { outcome: 'MOVED' } : { moved: moved[service] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    directory: { baseUrl: (service) => `http://127.0.0.1:${port}/${service}` },
    calls,
    down,
    hold,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let db: TestDatabase;
let stub: ServicesStub;
let subgraph: MembersSubgraph;
let mergeModels: MemberMergeModels;
let now: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  stub = await startServicesStub();
  subgraph = buildMembersSubgraph(testBuildOptions(db.connection, { services: stub.directory, clock: () => now }));
  mergeModels = memberMergeModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await stub.close();
  await db.drop();
});
beforeEach(async () => {
  for (const model of Object.values(db.connection.models)) await model.deleteMany({});
  stub.calls.length = 0;
  stub.down.clear();
  stub.hold.before = null;
  now = new Date('2030-04-01T09:00:00.000Z');
});

let sequence = 0;
async function register(overrides: Partial<RegisterMemberInput> = {}): Promise<MemberDoc> {
  sequence += 1;
  return subgraph.memberService.register(ADMIN, {
    displayName: `会員${sequence}`,
    email: `m${sequence}@example.com`,
    registeredVia: 'ONLINE',
    ...overrides,
  });
}

const idOf = (member: MemberDoc) => member._id.toHexString();
const merge = (survivor: MemberDoc, merged: MemberDoc, caller: Caller = ADMIN) => subgraph.mergeService.merge(caller, idOf(survivor), idOf(merged));

async function stored(member: MemberDoc): Promise<MemberDoc> {
  const found = await subgraph.models.members.findById(member._id).lean<MemberDoc>().exec();
  if (!found) throw new Error('member vanished');
  return found;
}

async function mergeView(survivor: MemberDoc, merged: MemberDoc) {
  const [merges] = await subgraph.mergeService.bySurvivors([idOf(survivor)]);
  const found = merges?.find((m) => m._id === mergeIdOf(idOf(merged), idOf(survivor)));
  return found ? toMemberMergeView(found) : null;
}

const mergeCalls = (service: string) => stub.calls.filter((call) => call.service === service && call.path === '/internal/merges');

/** What a merge writes, to show that a refused request wrote nothing. */
async function mergeWrites(): Promise<{ merges: number; claims: number; outcomes: number; queued: number }> {
  return {
    merges: await mergeModels.merges.countDocuments(),
    claims: await mergeModels.claims.countDocuments(),
    outcomes: await mergeModels.outcomes.countDocuments(),
    queued: await db.connection.collection('members_outbox').countDocuments({ type: MERGE_OUTBOX_TYPE }),
  };
}

/** Runs the outbox as the worker would once every back-off has passed. */
async function drainOutbox(): Promise<void> {
  now = new Date(now.getTime() + 3_600_000);
  await subgraph.outbox.drain();
}

describe('MergeService.merge', () => {
  it('marks the merged member MERGED, has points and purchases move everything under one merge id, and completes', async () => {
    const survivor = await register({ email: null, phone: '090-1111-0001', registeredVia: 'STORE', registeredStoreId: 'store-1' });
    const merged = await register();

    const result = await merge(survivor, merged);

    expect(idOf(result)).toBe(idOf(survivor));
    expect(await stored(merged)).toMatchObject({ status: 'MERGED', mergedIntoId: survivor._id });
    const mergeId = `${idOf(merged)}->${idOf(survivor)}`;
    const route = { mergeId, fromMemberId: idOf(merged), toMemberId: idOf(survivor) };
    expect(mergeCalls('points').map((c) => c.body)).toEqual([{ ...route, actor: 'staff:staff-1' }]);
    expect(mergeCalls('purchases').map((c) => c.body)).toEqual([route]);
    expect(mergeCalls('line').map((c) => c.body)).toEqual([route]);
    expect(await mergeView(survivor, merged)).toEqual({
      id: mergeId,
      survivorId: idOf(survivor),
      mergedId: idOf(merged),
      state: 'COMPLETED',
      pendingSteps: [],
      pointsMoved: 150,
      purchasesMoved: 2,
      refusalReason: null,
      requestedAt: now,
      completedAt: now,
    });
    expect(await mergeModels.claims.countDocuments()).toBe(0);
  });

  it('makes the merged member card code lead to the survivor', async () => {
    const survivor = await register();
    const merged = await register();
    await merge(survivor, merged);
    const found = await subgraph.memberService.resolveCode(ADMIN, merged.memberCode, createMemberLoaders(subgraph.models));
    expect(idOf(found)).toBe(idOf(survivor));
  });

  it('moves the contacts the survivor lacks, with their claims, and leaves the others blocking re-registration', async () => {
    const survivor = await register({ email: null, phone: '090-1111-0002', registeredVia: 'STORE', registeredStoreId: 'store-1' });
    const merged = await register({ email: 'online@example.com', phone: '090-1111-0003' });

    const result = await merge(survivor, merged);

    expect(result).toMatchObject({ email: 'online@example.com', phone: '+819011110002' });
    expect(await stored(merged)).toMatchObject({ email: null, phone: '+819011110003' });
    const claimOf = async (key: string) => (await subgraph.models.contactClaims.findById(key).lean().exec())?.memberId.toHexString();
    expect(await claimOf('email:online@example.com')).toBe(idOf(survivor));
    expect(await claimOf('phone:+819011110003')).toBe(idOf(merged));
    expect(idOf((await subgraph.memberService.findActiveByContact('online@example.com', null))!)).toBe(idOf(survivor));
    const again = await rejection(register({ email: 'online@example.com', phone: null }));
    expect(again.extensions).toMatchObject({ code: 'ALREADY_EXISTS', existingMemberCode: survivor.memberCode });
    const oldPhone = await rejection(register({ email: null, phone: '090-1111-0003' }));
    expect(oldPhone.extensions).toMatchObject({ code: 'ALREADY_EXISTS', existingMemberCode: merged.memberCode });
  });

  it('adds the merged member tags to the survivor tags', async () => {
    const survivor = await register({ tags: ['vip', 'store:shinjuku'] });
    const merged = await register({ tags: ['store:shinjuku', 'online-first'] });
    const result = await merge(survivor, merged);
    expect(result.tags).toEqual(['vip', 'store:shinjuku', 'online-first']);
  });

  it('gives the survivor the merged member’s birthday and recorded consent where it has none, and keeps its own birthday otherwise', async () => {
    const survivor = await register();
    const merged = await register({ birthday: '1991-03-09', marketingConsent: false });
    await subgraph.models.members.updateOne({ _id: survivor._id }, { $unset: { marketingConsent: 1 } });
    await merge(survivor, merged);
    expect(await stored(survivor)).toMatchObject({ birthday: '1991-03-09', birthMonth: 3, marketingConsent: { granted: false, source: 'STAFF' } });

    const keeps = await register({ birthday: '1980-10-10', marketingConsent: true });
    const other = await register({ birthday: '1991-03-09' });
    await subgraph.models.members.updateOne({ _id: other._id }, { $unset: { marketingConsent: 1 } });
    await merge(keeps, other);
    expect(await stored(keeps)).toMatchObject({ birthday: '1980-10-10', birthMonth: 10, marketingConsent: { granted: true, source: 'STAFF' } });
  });

  it('lets a recorded refusal win over a consent, and otherwise the more recent recorded choice', async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
    const pair = async (survivorChoice: MemberDoc['marketingConsent'], mergedChoice: MemberDoc['marketingConsent']) => {
      const survivor = await register();
      const merged = await register();
      await subgraph.models.members.updateOne({ _id: survivor._id }, { $set: { marketingConsent: survivorChoice } });
      await subgraph.models.members.updateOne({ _id: merged._id }, { $set: { marketingConsent: mergedChoice } });
      await merge(survivor, merged);
      return (await stored(survivor)).marketingConsent;
    };
    // refused on LINE first, consented at a store later: still refused
    expect(await pair({ granted: true, source: 'POS', updatedAt: at(30) }, { granted: false, source: 'LINE', updatedAt: at(10) })).toEqual({ granted: false, source: 'LINE', updatedAt: at(10) });
    expect(await pair({ granted: false, source: 'STAFF', updatedAt: at(10) }, { granted: true, source: 'LINE', updatedAt: at(30) })).toEqual({ granted: false, source: 'STAFF', updatedAt: at(10) });
    expect(await pair({ granted: true, source: 'POS', updatedAt: at(10) }, { granted: true, source: 'LINE', updatedAt: at(30) })).toEqual({ granted: true, source: 'LINE', updatedAt: at(30) });
    expect(await pair({ granted: false, source: 'POS', updatedAt: at(30) }, { granted: false, source: 'LINE', updatedAt: at(10) })).toEqual({ granted: false, source: 'POS', updatedAt: at(30) });
  });

  it('refuses a merge that would leave the survivor with more than 20 tags, writing nothing', async () => {
    const survivor = await register({ tags: Array.from({ length: 15 }, (_, i) => `s${i}`) });
    const merged = await register({ tags: Array.from({ length: 6 }, (_, i) => `m${i}`) });
    const error = await rejection(merge(survivor, merged));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tags' });
    expect(await mergeWrites()).toEqual({ merges: 0, claims: 0, outcomes: 0, queued: 0 });
  });

  it('answers the same merge asked again with the survivor, changing nothing', async () => {
    const survivor = await register();
    const merged = await register();
    await merge(survivor, merged);
    const before = { record: await mergeModels.merges.find().lean().exec(), survivor: await stored(survivor), merged: await stored(merged) };
    now = new Date(now.getTime() + 60_000);

    const again = await merge(survivor, merged);

    expect(again).toEqual(before.survivor);
    expect({ record: await mergeModels.merges.find().lean().exec(), survivor: await stored(survivor), merged: await stored(merged) }).toEqual(before);
    expect(mergeCalls('points')).toHaveLength(1);
    expect(mergeCalls('purchases')).toHaveLength(1);
  });
});

describe('MergeService.merge refuses', () => {
  it.each([
    ['an anonymous caller', { kind: 'anonymous' }, 'UNAUTHENTICATED'],
    ['a customer, even the survivor', 'survivor', 'FORBIDDEN'],
    ['a POS key', { kind: 'pos', keyId: 'key-1', storeIds: ['store-1'] }, 'FORBIDDEN'],
  ] as [string, Caller | 'survivor', string][])('%s, writing nothing', async (_name, who, code) => {
    const survivor = await register();
    const merged = await register();
    const caller: Caller = who === 'survivor' ? { kind: 'customer', memberId: idOf(survivor) } : who;
    const error = await rejection(merge(survivor, merged, caller));
    expect(error.extensions).toMatchObject({ code });
    expect(await mergeWrites()).toEqual({ merges: 0, claims: 0, outcomes: 0, queued: 0 });
    expect((await stored(merged)).status).toBe('ACTIVE');
  });

  it('a member merged into itself', async () => {
    const member = await register();
    const error = await rejection(merge(member, member));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mergedId' });
    expect(await mergeWrites()).toEqual({ merges: 0, claims: 0, outcomes: 0, queued: 0 });
  });

  it('malformed ids, naming the argument', async () => {
    const error = await rejection(subgraph.mergeService.merge(ADMIN, 'not-an-id', new Types.ObjectId().toHexString()));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'survivorId' });
  });

  it('unknown members with NOT_FOUND', async () => {
    const member = await register();
    const unknown = new Types.ObjectId().toHexString();
    expect((await rejection(subgraph.mergeService.merge(ADMIN, unknown, idOf(member)))).extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect((await rejection(subgraph.mergeService.merge(ADMIN, idOf(member), unknown))).extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(await mergeWrites()).toEqual({ merges: 0, claims: 0, outcomes: 0, queued: 0 });
  });

  it('merges into a MERGED or WITHDRAWN member, and of a WITHDRAWN member or one already merged into someone else', async () => {
    const [a, b, c, withdrawn] = [await register(), await register(), await register(), await register()];
    await subgraph.memberService.withdraw(ADMIN, idOf(withdrawn));
    await merge(b, a); // a is now MERGED into b
    const writes = await mergeWrites();
    const cases: [MemberDoc, MemberDoc, string, string][] = [
      [a, c, 'survivorId', 'Cannot merge into a member that has been merged into another member'],
      [withdrawn, c, 'survivorId', 'Cannot merge into a withdrawn member'],
      [c, withdrawn, 'mergedId', 'A withdrawn member cannot be merged'],
      [c, a, 'mergedId', 'This member has already been merged into another member'],
    ];
    for (const [survivor, merged, field, message] of cases) {
      const error = await rejection(merge(survivor, merged));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error.message).toBe(message);
    }
    expect(await mergeWrites()).toEqual(writes);
    expect((await stored(c)).status).toBe('ACTIVE');
  });
});

describe('MergeService when a service is down or a request stops half-way', () => {
  it('keeps the merge IN_PROGRESS while points is down, already routing the old code to the survivor, and the outbox completes it', async () => {
    const survivor = await register();
    const merged = await register();
    stub.down.add('points');

    const result = await merge(survivor, merged);

    expect(idOf(result)).toBe(idOf(survivor));
    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'IN_PROGRESS', pendingSteps: ['POINTS', 'PURCHASES', 'LINE'], pointsMoved: null });
    expect(await stored(merged)).toMatchObject({ status: 'MERGED', mergedIntoId: survivor._id });
    expect(await mergeModels.claims.countDocuments()).toBe(2);

    stub.down.delete('points');
    await drainOutbox();

    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'COMPLETED', pendingSteps: [], pointsMoved: 150, purchasesMoved: 2 });
    expect(mergeCalls('points')).toHaveLength(1);
    expect(await subgraph.outbox.find(`merge:${mergeIdOf(idOf(merged), idOf(survivor))}`)).toMatchObject({
      doneAt: now,
      result: { state: 'COMPLETED', pointsMoved: 150, purchasesMoved: 2 },
    });
    expect(await mergeModels.claims.countDocuments()).toBe(0);
  });

  it('resumes at once when asked again after purchases was down, without moving points twice', async () => {
    const survivor = await register();
    const merged = await register();
    stub.down.add('purchases');
    await merge(survivor, merged);
    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'IN_PROGRESS', pendingSteps: ['PURCHASES', 'LINE'], pointsMoved: 150 });

    stub.down.delete('purchases');
    await merge(survivor, merged);

    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'COMPLETED', purchasesMoved: 2 });
    expect(mergeCalls('points')).toHaveLength(1);
    expect(mergeCalls('purchases')).toHaveLength(1);
  });

  it('waits for the line service like the others: the LINE step is retried, and nothing else is done twice', async () => {
    const survivor = await register();
    const merged = await register();
    stub.down.add('line');
    await merge(survivor, merged);
    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'IN_PROGRESS', pendingSteps: ['LINE'], pointsMoved: 150, purchasesMoved: 2 });

    stub.down.delete('line');
    await drainOutbox();

    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'COMPLETED', pendingSteps: [] });
    expect([mergeCalls('points'), mergeCalls('purchases'), mergeCalls('line')].map((calls) => calls.length)).toEqual([1, 1, 1]);
  });

  it('finishes, from the outbox, a merge whose request stopped right after queueing it', async () => {
    const survivor = await register();
    const merged = await register();
    const mergeId = mergeIdOf(idOf(merged), idOf(survivor));
    await subgraph.outbox.enqueue(`merge:${mergeId}`, MERGE_OUTBOX_TYPE, {
      mergeId,
      attempt: 1,
      survivorId: idOf(survivor),
      mergedId: idOf(merged),
      requestedBy: 'staff:staff-1',
      requestedAt: now.toISOString(),
    });

    await drainOutbox();

    expect(await mergeView(survivor, merged)).toMatchObject({ state: 'COMPLETED' });
    expect(await stored(merged)).toMatchObject({ status: 'MERGED', mergedIntoId: survivor._id });
  });

  it('clears a claim left by a merge that completed but stopped before releasing it', async () => {
    const [a, b, c] = [await register(), await register(), await register()];
    await merge(b, a);
    await mergeModels.claims.create({ _id: idOf(b), mergeId: mergeIdOf(idOf(a), idOf(b)), createdAt: now });

    await merge(c, b);

    expect(await mergeView(c, b)).toMatchObject({ state: 'COMPLETED' });
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * Runs two merges so that they overlap for certain: neither writes anything before both have passed their checks
 * (a barrier at the outbox, the first write of a request), and the points step of whichever goes ahead is held
 * until the other has been answered, so the first still holds its members when the second claims them. Were both
 * to go ahead, both would reach the points step, which then lets them finish rather than hang.
 */
async function overlapping(first: () => Promise<MemberDoc>, second: () => Promise<MemberDoc>): Promise<PromiseSettledResult<MemberDoc>[]> {
  const checked = deferred();
  let arrived = 0;
  const enqueue = subgraph.outbox.enqueue.bind(subgraph.outbox);
  const spy = jest.spyOn(subgraph.outbox, 'enqueue').mockImplementation(async (...args) => {
    arrived += 1;
    if (arrived === 2) checked.resolve();
    await checked.promise;
    return enqueue(...args);
  });
  const pointsHeld = deferred();
  let held = 0;
  stub.hold.before = async (service) => {
    if (service !== 'points') return;
    held += 1;
    if (held === 2) pointsHeld.resolve();
    await pointsHeld.promise;
  };
  try {
    const runs = [first(), second()];
    // once one is answered, nothing is held any more: the other goes on (or, refused early, is not waited for)
    const release = () => {
      checked.resolve();
      pointsHeld.resolve();
    };
    void Promise.race(runs).then(release, release);
    return await Promise.allSettled(runs);
  } finally {
    spy.mockRestore();
    stub.hold.before = null;
  }
}

/** The reason of the one rejected result, after checking that exactly one of the two was. */
function onlyRefusal(results: PromiseSettledResult<MemberDoc>[]): { refused: number; error: GraphQLError } {
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  const refused = results.findIndex((r) => r.status === 'rejected');
  return { refused, error: (results[refused] as PromiseRejectedResult).reason as GraphQLError };
}

const busy = (member: MemberDoc, holder: string) =>
  `Member ${idOf(member)} is part of another merge that has not finished (${holder}); try again once it has`;

describe('MergeService with merges of the same members at the same time', () => {
  it('lets only one of A into B and B into A go ahead, refusing the one that claims A second', async () => {
    const winners: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const [a, b] = [await register(), await register()];

      const { refused, error } = onlyRefusal(await overlapping(() => merge(b, a), () => merge(a, b)));

      // the winner's two members; both merges claim the lower id, a's, first, so the loser clashes on a
      const [merged, survivor] = refused === 1 ? [a, b] : [b, a];
      const winner = mergeIdOf(idOf(merged), idOf(survivor));
      winners.push(winner);
      expect({ code: error.extensions.code, field: error.extensions.field, message: error.message }).toEqual({
        code: 'BAD_USER_INPUT',
        field: merged === a ? 'survivorId' : 'mergedId',
        message: busy(a, winner),
      });
      expect(await stored(merged)).toMatchObject({ status: 'MERGED', mergedIntoId: survivor._id });
      expect((await stored(survivor)).status).toBe('ACTIVE');
      // the refused merge is the same pair the other way round
      expect(await mergeView(merged, survivor)).toMatchObject({ state: 'REFUSED', refusalReason: busy(a, winner) });
      expect(await mergeView(survivor, merged)).toMatchObject({ state: 'COMPLETED' });
    }
    expect(mergeCalls('points').map((call) => call.body.mergeId)).toEqual(winners);
    expect(await mergeModels.claims.countDocuments()).toBe(0);
  });

  it('lets only one of A into B and B into C go ahead, refusing the one that claims B second', async () => {
    const winners: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const [a, b, c] = [await register(), await register(), await register()];

      const { refused, error } = onlyRefusal(await overlapping(() => merge(b, a), () => merge(c, b)));

      // the winner's two members, and the loser's: they share b
      const [[merged, survivor], [loserSurvivor, loserMerged]] = refused === 1 ? [[a, b], [c, b]] : [[b, c], [b, a]];
      const winner = mergeIdOf(idOf(merged), idOf(survivor));
      winners.push(winner);
      expect({ code: error.extensions.code, field: error.extensions.field, message: error.message }).toEqual({
        code: 'BAD_USER_INPUT',
        field: loserSurvivor === b ? 'survivorId' : 'mergedId',
        message: busy(b, winner),
      });
      const statuses = (await Promise.all([a, b, c].map(stored))).map((m) => [m.status, m.mergedIntoId?.toHexString() ?? null]);
      expect(statuses).toEqual(
        refused === 1
          ? [['MERGED', idOf(b)], ['ACTIVE', null], ['ACTIVE', null]]
          : [['ACTIVE', null], ['MERGED', idOf(c)], ['ACTIVE', null]],
      );
      expect(await mergeView(loserSurvivor, loserMerged)).toMatchObject({ state: 'REFUSED', refusalReason: busy(b, winner) });
      expect(await mergeView(survivor, merged)).toMatchObject({ state: 'COMPLETED' });
    }
    expect(mergeCalls('points').map((call) => call.body.mergeId)).toEqual(winners);
    expect(await mergeModels.claims.countDocuments()).toBe(0);
  });

  it('refuses a merge involving a member of an unfinished merge, and lets it be asked again once that one completes', async () => {
    const [survivor, first, second] = [await register(), await register(), await register()];
    stub.down.add('points');
    await merge(survivor, first);

    const refused = await rejection(merge(survivor, second));

    expect(refused.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'survivorId' });
    expect(refused.message).toBe(busy(survivor, mergeIdOf(idOf(first), idOf(survivor))));
    expect(await mergeView(survivor, second)).toMatchObject({ state: 'REFUSED', pendingSteps: [] });
    expect((await stored(second)).status).toBe('ACTIVE');

    stub.down.delete('points');
    await drainOutbox();
    expect(await mergeView(survivor, first)).toMatchObject({ state: 'COMPLETED' });
    await merge(survivor, second);

    const secondAttempt = `${mergeIdOf(idOf(second), idOf(survivor))}#2`;
    expect((await subgraph.mergeService.bySurvivors([idOf(survivor)]))[0]!.map((m) => [m._id, toMemberMergeView(m).state])).toEqual([
      [mergeIdOf(idOf(first), idOf(survivor)), 'COMPLETED'],
      [mergeIdOf(idOf(second), idOf(survivor)), 'REFUSED'],
      [secondAttempt, 'COMPLETED'],
    ]);
    expect(mergeCalls('points').map((c) => c.body.mergeId)).toEqual([mergeIdOf(idOf(first), idOf(survivor)), secondAttempt]);
    expect(await stored(second)).toMatchObject({ status: 'MERGED', mergedIntoId: survivor._id });
  });

  it('refuses from the outbox a merge queued just before a conflicting one claimed its members', async () => {
    const [a, b] = [await register(), await register()];
    stub.down.add('points');
    await merge(b, a); // a is MERGED into b; the merge holds both claims while points is down
    // b into a, as a request that passed its checks just before, then stopped, would have left it
    const reverse = mergeIdOf(idOf(b), idOf(a));
    const payload = { mergeId: reverse, attempt: 1, survivorId: idOf(a), mergedId: idOf(b), requestedBy: 'staff:staff-2', requestedAt: now.toISOString() };
    await subgraph.outbox.enqueue(`merge:${reverse}`, MERGE_OUTBOX_TYPE, payload);

    await drainOutbox();

    expect(await mergeView(a, b)).toMatchObject({ state: 'REFUSED', refusalReason: busy(a, mergeIdOf(idOf(a), idOf(b))) });
    expect(await subgraph.outbox.find(`merge:${reverse}`)).toMatchObject({ doneAt: now, result: { state: 'REFUSED', pointsMoved: null, purchasesMoved: null } });
    stub.down.delete('points');
    await drainOutbox();
    expect(await mergeView(b, a)).toMatchObject({ state: 'COMPLETED' });
    expect((await stored(b)).status).toBe('ACTIVE');
    const again = await rejection(merge(a, b));
    expect(again.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'survivorId' });
    expect(await mergeModels.claims.countDocuments()).toBe(0);
  });
});
