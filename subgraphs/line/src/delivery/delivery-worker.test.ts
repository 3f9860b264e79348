import { ensureIndexes } from '@omo/lib/core/db';
import { NotFoundError } from '@omo/lib/core/errors';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testConfig } from '@omo/tools/testing/config';
import { startFakeLineApi, type FakeLineApi } from '../../../../test/helpers/fake-line-api';
import { LineClient } from '../line-api/line.client';
import type { AudienceSource, Recipient } from './audience';
import type { Personal } from './delivery-messages';
import type { DeliverySender } from './batch-sender';
import { LEASE_MS } from './delivery-worker';
import { deliveryModels } from './delivery.model';
import { DeliveryService, type CreateDeliveryInput, type DeliveryServiceDeps } from './delivery.service';
import { parseQuietHours } from './quiet-hours';

/** The delivery worker against the test database and the fake LINE API; the clock only moves when a test moves it. */
const NOON_JST = new Date('2030-01-10T03:00:00.000Z');
const MULTICAST = '/v2/bot/message/multicast';
const PUSH = '/v2/bot/message/push';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let db: TestDatabase;
let fake: FakeLineApi;
let now: Date;
let segments: Map<string, Recipient[] | Error>;
let profiles: Map<string, Personal>;
let keys = 0;

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const audience: AudienceSource = {
  resolve: async (spec) => {
    const found = segments.get(spec.segmentId ?? '');
    if (found instanceof Error) throw found;
    if (!found) throw new NotFoundError('Segment');
    return found;
  },
  // whether consent changed before a batch: delivery-consent.test.ts
  consenting: async (memberIds) => new Set(memberIds),
};
const lineClient = () => new LineClient(testConfig({ LINE_API_BASE_URL: fake.url }), logger);

function worker(overrides: Partial<DeliveryServiceDeps> = {}): DeliveryService {
  return new DeliveryService({
    connection: db.connection,
    lineClient: lineClient(),
    audience,
    personalise: async (memberIds) => new Map(memberIds.flatMap((id) => (profiles.has(id) ? [[id, profiles.get(id)!] as const] : []))),
    clock: () => now,
    logger,
    quietHours: parseQuietHours('21:00-09:00'),
    ...overrides,
  });
}

function recipients(count: number, blocked: (i: number) => boolean = () => false, noConsent: (i: number) => boolean = () => false): Recipient[] {
  return Array.from({ length: count }, (_, i) => ({ memberId: `m${i}`, lineUserId: `U${String(i).padStart(32, '0')}`, blocked: blocked(i), noConsent: noConsent(i) }));
}

/** A segment of `list` and a delivery of one text message to it. */
async function deliver(service: DeliveryService, list: Recipient[], input: Partial<CreateDeliveryInput> = {}) {
  const segmentId = `seg-${(keys += 1)}`;
  segments.set(segmentId, list);
  return service.create({ spec: { segmentId }, messages: [{ type: 'text', text: 'セール開催中' }], idempotencyKey: `k-${keys}`, actor: 'staff:s1', ...input });
}

const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
const everyoneOnce = (list: Recipient[]) => {
  const accepted = fake.acceptedPerUser();
  return list.filter((r) => !r.blocked).every((r) => accepted.get(r.lineUserId) === 1) && accepted.size === list.filter((r) => !r.blocked).length;
};

/** A sender that does what `then` says after LINE answered each multicast, e.g. never return, as a killed worker. */
function sender(then: (call: number) => Promise<void>): DeliverySender {
  const real = lineClient();
  let calls = 0;
  return {
    push: (...args) => real.push(...args),
    multicast: async (...args) => {
      await real.multicast(...args);
      await then((calls += 1));
    },
  };
}

beforeAll(async () => {
  db = await openTestDatabase();
  // the service registers its collections; their indexes exist before the first test, as at start-up
  new DeliveryService({ connection: db.connection, lineClient: new LineClient(testConfig(), logger), audience, clock: () => now, logger, quietHours: null });
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  now = NOON_JST;
  segments = new Map();
  profiles = new Map();
  fake = await startFakeLineApi();
  for (const name of ['line_deliveries', 'line_delivery_starts', 'line_delivery_cancels', 'line_delivery_batches', 'line_delivery_results', 'line_delivery_lease_generations']) {
    await db.connection.collection(name).deleteMany({});
  }
});
afterEach(async () => {
  await fake.close();
});

describe('multicast batches', () => {
  it('send 1,234 recipients as three multicasts of 500, 500 and 234, each with its own retry key', async () => {
    const service = worker();
    const list = recipients(1234);
    const { id } = await deliver(service, list);
    await service.drain();
    const calls = fake.multicasts();
    expect(calls.map((c) => c.to.length)).toEqual([500, 500, 234]);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(new Set(calls.map((c) => c.retryKey)).size).toBe(3);
    for (const c of calls) expect(c.retryKey).toMatch(UUID);
    expect(everyoneOnce(list)).toBe(true);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', recipients: 1234, sent: 1234, failed: 0, skippedBlocked: 0, startedAt: NOON_JST, finishedAt: NOON_JST });
  });

  it('skip blocked users and count them', async () => {
    const service = worker();
    const list = recipients(10, (i) => i % 3 === 0);
    const { id } = await deliver(service, list);
    await service.drain();
    expect(fake.multicasts().map((c) => c.to)).toEqual([list.filter((r) => !r.blocked).map((r) => r.lineUserId)]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', recipients: 10, sent: 6, skippedBlocked: 4 });
  });

  it('skip members without marketing consent, blocked or not, and count them apart from the blocked', async () => {
    const service = worker();
    const list = recipients(10, (i) => i % 3 === 0, (i) => i % 2 === 0);
    const { id } = await deliver(service, list);
    await service.drain();
    expect(fake.multicasts().map((c) => c.to)).toEqual([[1, 5, 7].map((i) => list[i]!.lineUserId)]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', recipients: 10, sent: 3, failed: 0, skippedBlocked: 2, skippedNoConsent: 5 });
  });

  it('send a LINE user matched twice once', async () => {
    const service = worker();
    const [first] = recipients(1);
    const { id } = await deliver(service, [first!, { ...first!, memberId: 'm-duplicate' }]);
    await service.drain();
    expect(fake.multicasts().map((c) => c.to)).toEqual([[first!.lineUserId]]);
    expect(await service.get(id)).toMatchObject({ recipients: 1, sent: 1 });
  });

  it('complete at once when the audience is empty', async () => {
    const service = worker();
    const { id } = await deliver(service, []);
    await service.drain();
    expect(fake.multicasts()).toHaveLength(0);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', recipients: 0, sent: 0, finishedAt: NOON_JST });
  });
});

describe('crashes and concurrent workers', () => {
  it('a worker killed after LINE took a batch, before recording it: the next one resends it with the same key and everyone gets it once', async () => {
    let killed!: () => void;
    const sentOnce = new Promise<void>((resolve) => (killed = resolve));
    // the first worker dies right after LINE answered its first multicast: it records nothing and keeps its lease
    const doomed = worker({ lineClient: sender(() => (killed(), new Promise<void>(() => undefined))) });
    const list = recipients(1234);
    const { id } = await deliver(doomed, list);
    void doomed.runDue();
    await sentOnce;

    const next = worker();
    expect(await next.drain()).toBe(0); // its lease still runs
    expect(fake.multicasts()).toHaveLength(1);
    later(LEASE_MS + 1);
    await next.drain();

    const calls = fake.multicasts();
    expect(calls.map((c) => [c.to.length, c.status])).toEqual([[500, 200], [500, 409], [500, 200], [234, 200]]);
    expect(calls[1]!.retryKey).toBe(calls[0]!.retryKey);
    expect(everyoneOnce(list)).toBe(true);
    expect(await next.get(id)).toMatchObject({ status: 'COMPLETED', sent: 1234, failed: 0 });
  });

  it('LINE took a batch but its answer was lost: the retry gets 409 and counts it sent', async () => {
    const service = worker();
    const list = recipients(3);
    const { id } = await deliver(service, list);
    fake.failNext(MULTICAST, 500, { message: 'Internal error' }, { afterAccepting: true });
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'RUNNING', sent: 0 });
    later(1000);
    await service.drain();
    expect(fake.multicasts().map((c) => c.status)).toEqual([500, 409]);
    expect(everyoneOnce(list)).toBe(true);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 3 });
  });

  it('two workers running at once never send a batch twice', async () => {
    const [a, b] = [worker({ workerId: 'a' }), worker({ workerId: 'b' })];
    const lists = [recipients(1234), recipients(700), recipients(10)];
    const ids: string[] = [];
    for (const list of lists) ids.push((await deliver(a, list)).id);
    await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()]);
    const calls = fake.multicasts();
    expect(calls.map((c) => c.status).every((s) => s === 200)).toBe(true);
    expect(calls).toHaveLength(3 + 2 + 1);
    expect(new Set(calls.map((c) => c.retryKey)).size).toBe(calls.length);
    for (const [i, id] of ids.entries()) expect(await a.get(id)).toMatchObject({ status: 'COMPLETED', sent: lists[i]!.length });
  });

  it('a delivery started twice (a worker taking over a crashed start) keeps one set of batches', async () => {
    const service = worker();
    const list = recipients(600);
    const { id } = await deliver(service, list);
    // the state a worker leaves that froze the recipients but died before claiming the start
    const { batches } = deliveryModels(db.connection);
    await batches.create({ _id: `${id}:crashed:0`, deliveryId: id, freezeId: 'crashed', index: 0, mode: 'multicast', retryKey: '00000000-0000-4000-a000-000000000000', recipients: [], attempts: 0, nextAttemptAt: now, firstAttemptAt: null, lastError: null, checkpoint: null });
    await service.drain();
    expect(fake.multicasts().map((c) => c.to.length)).toEqual([500, 100]);
    expect(await batches.countDocuments({ deliveryId: id, freezeId: 'crashed' })).toBe(0);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 600 });
  });
});

describe('LINE failures', () => {
  it('429 waits for Retry-After, then sends', async () => {
    const service = worker();
    const list = recipients(5);
    const { id } = await deliver(service, list);
    fake.failNext(MULTICAST, 429, { message: 'Too many requests' }, { headers: { 'retry-after': '30' } });
    await service.drain();
    const [batch] = await service.batches(id);
    expect(batch).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: new Date(NOON_JST.getTime() + 30_000), lastError: 'LINE 429: Too many requests' });
    later(29_999);
    await service.drain();
    expect(fake.multicasts()).toHaveLength(1);
    later(1);
    await service.drain();
    expect(fake.multicasts().map((c) => c.status)).toEqual([429, 200]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 5 });
  });

  it('5xx is retried with a growing backoff', async () => {
    const service = worker();
    const { id } = await deliver(service, recipients(5));
    fake.failNext(MULTICAST, 503, { message: 'Unavailable' });
    fake.failNext(MULTICAST, 500, { message: 'Internal error' });
    await service.drain();
    expect((await service.batches(id))[0]?.nextAttemptAt).toEqual(new Date(NOON_JST.getTime() + 1000));
    later(1000);
    await service.drain();
    expect((await service.batches(id))[0]?.nextAttemptAt).toEqual(new Date(NOON_JST.getTime() + 3000));
    later(2000);
    await service.drain();
    expect(fake.multicasts().map((c) => c.status)).toEqual([503, 500, 200]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 5 });
  });

  it('a 400 fails that batch with LINE’s reason; the others still go', async () => {
    const service = worker();
    const { id } = await deliver(service, recipients(600));
    fake.failNext(MULTICAST, 400, { message: 'The request body has 1 error(s)', details: [{ message: 'invalid user id', property: 'to[3]' }] });
    await service.drain();
    expect(fake.multicasts().map((c) => c.status)).toEqual([400, 200]);
    const reason = 'LINE 400: The request body has 1 error(s) (to[3]: invalid user id)';
    expect((await service.batches(id)).map((b) => [b.status, b.reason])).toEqual([['FAILED', reason], ['SENT', null]]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 100, failed: 500, failureReasons: [reason] });
  });

  it('a delivery whose every batch failed is FAILED', async () => {
    const service = worker();
    const { id } = await deliver(service, recipients(3));
    fake.failNext(MULTICAST, 403, { message: 'Not allowed' });
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'FAILED', sent: 0, failed: 3, failureReasons: ['LINE 403: Not allowed'] });
  });

  it('a batch LINE has not taken within a day of its first attempt is failed, never resent without its key', async () => {
    const service = worker();
    const { id } = await deliver(service, recipients(3));
    fake.failNext(MULTICAST, 500, { message: 'Internal error' });
    await service.drain();
    later(24 * 3_600_000);
    await service.drain();
    expect(fake.multicasts()).toHaveLength(1);
    expect(await service.get(id)).toMatchObject({ status: 'FAILED', failed: 3, failureReasons: ['LINE did not accept the batch within a day of the first attempt; not resent, as LINE forgets retry keys after 24 hours'] });
  });
});

describe('audience', () => {
  it('is resolved again later when it cannot be for now', async () => {
    const service = worker();
    const { id } = await deliver(service, recipients(2));
    const segmentId = [...segments.keys()].at(-1)!;
    const list = segments.get(segmentId) as Recipient[];
    segments.set(segmentId, new Error('members unreachable'));
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'SCHEDULED' });
    segments.set(segmentId, list);
    later(1000);
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 2 });
  });

  it('fails the delivery when the segment is gone', async () => {
    const service = worker();
    const { id } = await service.create({ spec: { segmentId: 'deleted' }, messages: [{ type: 'text', text: 'hi' }], idempotencyKey: 'gone', actor: 'staff:s1' });
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'FAILED', failureReasons: ['Segment not found'], finishedAt: NOON_JST });
    expect(fake.multicasts()).toHaveLength(0);
  });
});

describe('quiet hours (21:00-09:00 JST)', () => {
  it('hold a delivery created at 22:00 until 09:00', async () => {
    now = new Date('2030-01-10T13:00:00.000Z');
    const service = worker();
    const { id } = await deliver(service, recipients(3));
    await service.drain();
    now = new Date('2030-01-10T23:59:59.999Z');
    await service.drain();
    expect(fake.multicasts()).toHaveLength(0);
    expect(await service.get(id)).toMatchObject({ status: 'SCHEDULED' });
    now = new Date('2030-01-11T00:00:00.000Z');
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 3, startedAt: now });
  });

  it('hold a delivery scheduled into them until they end', async () => {
    const service = worker();
    const { id } = await deliver(service, recipients(3), { scheduledAt: new Date('2030-01-10T12:30:00.000Z') });
    await service.drain();
    now = new Date('2030-01-10T12:30:00.000Z');
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'SCHEDULED', scheduledAt: new Date('2030-01-10T12:30:00.000Z') });
    now = new Date('2030-01-11T00:00:00.000Z');
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 3 });
  });

  it('hold a batch that falls due in them', async () => {
    now = new Date('2030-01-10T11:59:00.000Z'); // 20:59 JST
    const service = worker();
    const { id } = await deliver(service, recipients(700));
    fake.failNext(MULTICAST, 429, { message: 'Too many requests' }, { headers: { 'retry-after': '120' } });
    await service.drain();
    now = new Date('2030-01-10T12:01:00.000Z');
    await service.drain();
    expect(fake.multicasts()).toHaveLength(1);
    expect(await service.get(id)).toMatchObject({ status: 'RUNNING', sent: 0 });
    now = new Date('2030-01-11T00:00:00.000Z');
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 700 });
  });
});

describe('cancel', () => {
  it('stops a running delivery between batches', async () => {
    let id = '';
    const service: DeliveryService = worker({ lineClient: sender(async (call) => void (call === 1 && (await service.cancel(id, 'staff:s2')))) });
    id = (await deliver(service, recipients(1234))).id;
    await service.drain();
    expect(fake.multicasts()).toHaveLength(1);
    later(LEASE_MS + 1);
    await service.drain();
    expect(fake.multicasts()).toHaveLength(1);
    expect(await service.get(id)).toMatchObject({ status: 'CANCELLED', sent: 500, recipients: 1234, cancelledAt: NOON_JST, finishedAt: NOON_JST });
  });
});

describe('personalised messages', () => {
  const message = { type: 'text' as const, text: '{displayName}様、ただいま{points}ポイントです' };

  it('fill {displayName} and {points} per recipient and go by push, each with its own retry key', async () => {
    const service = worker();
    const list = recipients(3);
    profiles.set('m0', { displayName: '山田花子', points: 1200, tier: 'REGULAR', expiring: null });
    profiles.set('m1', { displayName: '佐藤太郎', points: 0, tier: 'REGULAR', expiring: null });
    const { id } = await deliver(service, list, { messages: [message] });
    await service.drain();
    expect(fake.multicasts()).toHaveLength(0);
    expect(fake.sent().map((s) => [s.to, s.messages[0]?.text])).toEqual([
      [list[0]!.lineUserId, '山田花子様、ただいま1,200ポイントです'],
      [list[1]!.lineUserId, '佐藤太郎様、ただいま0ポイントです'],
    ]);
    const pushKeys = fake.requests.filter((r) => r.path === PUSH).map((r) => r.headers['x-line-retry-key']);
    expect(new Set(pushKeys).size).toBe(2);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', personalised: true, sent: 2, failed: 1, failureReasons: ['member not found'] });
  });

  it('resume a push batch cut short by 429: pushes LINE took answer 409 and count once', async () => {
    const service = worker();
    const list = recipients(25);
    for (const r of list) profiles.set(r.memberId, { displayName: r.memberId, points: 1, tier: 'REGULAR', expiring: null });
    const { id } = await deliver(service, list, { messages: [message] });
    fake.failNext(PUSH, 429, { message: 'Too many requests' });
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'RUNNING', sent: 0 });
    later(1000);
    await service.drain();
    const statuses = fake.requests.filter((r) => r.path === PUSH).map((r) => r.status);
    // the first ten went at once, one of them refused; the ten again (nine already taken), then the other fifteen
    expect(statuses).toHaveLength(35);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    expect(everyoneOnce(list)).toBe(true);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 25, failed: 0 });
  });
});
