import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testConfig } from '@omo/tools/testing/config';
import { startFakeLineApi, type FakeLineApi } from '../../../../test/helpers/fake-line-api';
import { LineClient } from '../line-api/line.client';
import type { AudienceSource, Recipient } from './audience';
import type { DeliverySender } from './batch-sender';
import type { Personal } from './delivery-messages';
import { DeliveryService, type CreateDeliveryInput, type DeliveryServiceDeps } from './delivery.service';

/**
 * Marketing consent asked again before a segment batch's first attempt (README.md, *Marketing consent*), against
 * the test database and the fake LINE API. Consent judged at the start is the audience's `noConsent`
 * (delivery-worker.test.ts); here the members service's answer is `withdrawn`, and the clock moves only when a test
 * moves it.
 */
const NOON_JST = new Date('2030-01-10T03:00:00.000Z');
const MULTICAST = '/v2/bot/message/multicast';

let db: TestDatabase;
let fake: FakeLineApi;
let now: Date;
let segments: Map<string, Recipient[]>;
let profiles: Map<string, Personal>;
/** Members who withdrew marketing consent since the start, or an error when members cannot tell. */
let withdrawn: Set<string> | Error;
let consentAsked: string[][];
let keys = 0;

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const audience: AudienceSource = {
  resolve: async (spec) => segments.get(spec.segmentId ?? '') ?? [],
  consenting: async (memberIds) => {
    consentAsked.push(memberIds);
    if (withdrawn instanceof Error) throw withdrawn;
    const out = withdrawn;
    return new Set(memberIds.filter((id) => !out.has(id)));
  },
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
    quietHours: null,
    ...overrides,
  });
}

function recipients(count: number): Recipient[] {
  return Array.from({ length: count }, (_, i) => ({ memberId: `m${i}`, lineUserId: `U${String(i).padStart(32, '0')}`, blocked: false, noConsent: false }));
}

async function deliver(service: DeliveryService, list: Recipient[], input: Partial<CreateDeliveryInput> = {}) {
  const segmentId = `seg-${(keys += 1)}`;
  segments.set(segmentId, list);
  return service.create({ spec: { segmentId }, messages: [{ type: 'text', text: 'セール開催中' }], idempotencyKey: `k-${keys}`, actor: 'staff:s1', ...input });
}

const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

/** A sender that does what `then` says after LINE answered each multicast. */
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
  withdrawn = new Set();
  consentAsked = [];
  fake = await startFakeLineApi();
  for (const name of ['line_deliveries', 'line_delivery_starts', 'line_delivery_cancels', 'line_delivery_batches', 'line_delivery_results', 'line_delivery_lease_generations']) {
    await db.connection.collection(name).deleteMany({});
  }
});
afterEach(async () => {
  await fake.close();
});

describe('marketing consent asked again before each batch', () => {
  it('a member who withdraws after the start is skipped at their batch and counted; earlier batches stand', async () => {
    const list = recipients(700);
    // after the first multicast: m0 (already sent) and m600 (in the second batch) withdraw
    const service = worker({ lineClient: sender(async (call) => void (call === 1 && (withdrawn = new Set(['m0', 'm600'])))) });
    const { id } = await deliver(service, list);
    await service.drain();
    const calls = fake.multicasts();
    expect(calls.map((c) => c.to.length)).toEqual([500, 199]);
    expect(calls[1]!.to).not.toContain(list[600]!.lineUserId);
    expect(consentAsked.map((ids) => ids.length)).toEqual([500, 200]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', recipients: 700, sent: 699, failed: 0, skippedBlocked: 0, skippedNoConsent: 1 });
    expect((await service.batches(id)).map((b) => [b.recipients, b.sent, b.skippedNoConsent])).toEqual([
      [500, 500, 0],
      [200, 199, 1],
    ]);
  });

  it('is asked once per batch: a resend goes to the same users under the same key, whoever withdrew since', async () => {
    const service = worker();
    const list = recipients(4);
    withdrawn = new Set(['m1']);
    const { id } = await deliver(service, list);
    fake.failNext(MULTICAST, 500, { message: 'Internal error' }, { afterAccepting: true });
    await service.drain();
    withdrawn = new Set(['m1', 'm2']);
    later(1000);
    await service.drain();
    const calls = fake.multicasts();
    expect(calls.map((c) => c.status)).toEqual([500, 409]);
    expect(calls[1]!.to).toEqual(calls[0]!.to);
    expect(calls[1]!.retryKey).toBe(calls[0]!.retryKey);
    expect(calls[0]!.to).toEqual([0, 2, 3].map((i) => list[i]!.lineUserId));
    expect(consentAsked).toHaveLength(1);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 3, skippedNoConsent: 1 });
  });

  it('a batch everyone in it withdrew from sends nothing and completes', async () => {
    const service = worker();
    const list = recipients(2);
    withdrawn = new Set(['m0', 'm1']);
    const { id } = await deliver(service, list);
    await service.drain();
    expect(fake.multicasts()).toEqual([]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', recipients: 2, sent: 0, failed: 0, skippedNoConsent: 2 });
  });

  it('when members cannot tell, the batch waits with a backoff and sends nothing', async () => {
    const service = worker();
    withdrawn = new Error('members unavailable');
    const { id } = await deliver(service, recipients(3));
    await service.drain();
    expect(fake.multicasts()).toEqual([]);
    expect((await service.batches(id))[0]).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: new Date(NOON_JST.getTime() + 1000), lastError: 'marketing consent unavailable: members unavailable' });
    withdrawn = new Set();
    later(1000);
    await service.drain();
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 3, skippedNoConsent: 0 });
  });

  it('skips a withdrawn member of a personalised batch', async () => {
    const service = worker();
    const list = recipients(3);
    for (const r of list) profiles.set(r.memberId, { displayName: r.memberId, points: 1, tier: 'REGULAR', expiring: null });
    withdrawn = new Set(['m1']);
    const { id } = await deliver(service, list, { messages: [{ type: 'text', text: '{displayName}様' }] });
    await service.drain();
    expect(fake.sent().map((s) => s.to)).toEqual([list[0]!.lineUserId, list[2]!.lineUserId]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 2, failed: 0, skippedNoConsent: 1 });
  });

  it('is never asked for a notification to named members, which is about their own account', async () => {
    const service = worker({ audience: { ...audience, resolve: async () => recipients(2) } });
    withdrawn = new Error('must not be asked');
    const { id } = await service.create({ spec: { memberIds: ['6650f0c2a1b2c3d4e5f60718'] }, messages: [{ type: 'text', text: 'ランクアップ' }], idempotencyKey: 'notice', actor: 'system' });
    await service.drain();
    expect(consentAsked).toEqual([]);
    expect(await service.get(id)).toMatchObject({ status: 'COMPLETED', sent: 2, skippedNoConsent: 0 });
  });
});

