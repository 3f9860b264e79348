import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testConfig } from '@omo/tools/testing/config';
import { rejection } from '@omo/tools/testing/errors';
import { startFakeLineApi, type FakeLineApi } from '../../../../test/helpers/fake-line-api';
import { LineClient } from '../line-api/line.client';
import type { AudienceSource, Recipient } from './audience';
import { deliveryModels } from './delivery.model';
import { DeliveryService, type CreateDeliveryInput } from './delivery.service';
import { parseQuietHours } from './quiet-hours';

/** Creating, reading and cancelling deliveries; sending is delivery-worker.test.ts. */
const NOON_JST = new Date('2030-01-10T03:00:00.000Z');

let db: TestDatabase;
let fake: FakeLineApi;
let service: DeliveryService;
let now: Date;
let keys = 0;
let resolved = 0;

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const segment: Recipient[] = Array.from({ length: 12 }, (_, i) => ({ memberId: `m${i}`, lineUserId: `U${String(i).padStart(32, '0')}`, blocked: i < 2, noConsent: i === 1 || i === 2 }));
const audience: AudienceSource = {
  resolve: async () => {
    resolved += 1;
    return segment;
  },
  consenting: async (memberIds) => new Set(memberIds),
};

const input = (overrides: Partial<CreateDeliveryInput> = {}): CreateDeliveryInput => ({
  spec: { segmentId: 'seg-1' },
  messages: [{ type: 'text', text: '週末セール' }],
  idempotencyKey: `key-${(keys += 1)}`,
  actor: 'staff:s1',
  ...overrides,
});
const text = (length: number) => ({ type: 'text', text: 'あ'.repeat(length) });
const flex = (altText: string, contents: unknown = { type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [] } }) => ({ type: 'flex', altText, contents });

async function refused(raw: CreateDeliveryInput): Promise<{ code: unknown; message: string; field: unknown }> {
  const before = await deliveryModels(db.connection).deliveries.countDocuments();
  const error = await rejection(service.create(raw));
  expect(await deliveryModels(db.connection).deliveries.countDocuments()).toBe(before);
  return { code: error.extensions.code, message: error.message, field: error.extensions.field };
}

beforeAll(async () => {
  db = await openTestDatabase();
  fake = await startFakeLineApi();
  service = new DeliveryService({
    connection: db.connection,
    lineClient: new LineClient(testConfig({ LINE_API_BASE_URL: fake.url }), logger),
    audience,
    personalise: async () => new Map(),
    clock: () => now,
    logger,
    quietHours: parseQuietHours('21:00-09:00'),
  });
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await fake.close();
  await db.drop();
});
beforeEach(async () => {
  now = NOON_JST;
  fake.requests.length = 0;
  for (const name of ['line_deliveries', 'line_delivery_starts', 'line_delivery_cancels', 'line_delivery_batches', 'line_delivery_results', 'line_delivery_lease_generations']) {
    await db.connection.collection(name).deleteMany({});
  }
});

describe('create', () => {
  it('records a SCHEDULED delivery and sends nothing yet', async () => {
    const delivery = await service.create(input({ scheduledAt: new Date('2030-01-10T05:00:00.000Z') }));
    expect(delivery).toMatchObject({ status: 'SCHEDULED', dryRun: false, recipients: 0, sent: 0, startedAt: null, finishedAt: null, createdBy: 'staff:s1', audience: { segmentId: 'seg-1' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('returns the same delivery for the same idempotencyKey, even asked at once', async () => {
    const same = input();
    const [a, b] = await Promise.all([service.create(same), service.create(same)]);
    const c = await service.create(same);
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect(await deliveryModels(db.connection).deliveries.countDocuments({ idempotencyKey: same.idempotencyKey })).toBe(1);
  });

  it('refuses an idempotencyKey used for a different delivery', async () => {
    const first = input();
    await service.create(first);
    const error = await rejection(service.create({ ...first, messages: [{ type: 'text', text: '別の文面' }] }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
  });

  it('takes an inline definition instead of a segment', async () => {
    const definition = { and: [{ tier: 'GOLD' }] };
    expect(await service.create(input({ spec: { definition } }))).toMatchObject({ audience: { definition } });
  });

  it('takes named members instead of a segment, each once', async () => {
    const [a, b] = ['0123456789abcdef01234567', '0123456789abcdef01234568'];
    expect(await service.create(input({ spec: { memberIds: [b, a, b] } }))).toMatchObject({ audience: { memberIds: [a, b] } });
  });
});

describe('createOnce', () => {
  it('returns the delivery already recorded for the key, even when asked for something else since', async () => {
    const first = await service.createOnce(input({ idempotencyKey: 'tier-up:m1:GOLD' }));
    const again = await service.createOnce(input({ idempotencyKey: 'tier-up:m1:GOLD', messages: [{ type: 'text', text: '新しい文面' }] }));
    expect(again).toMatchObject({ id: first.id, messages: [{ type: 'text', text: '週末セール' }] });
    expect(await deliveryModels(db.connection).deliveries.countDocuments({ idempotencyKey: 'tier-up:m1:GOLD' })).toBe(1);
  });
});

describe('create refuses, writing nothing,', () => {
  it.each([
    ['no messages', [], 'messages must have at least one message'],
    ['six messages', Array.from({ length: 6 }, () => text(1)), 'messages must have at most 5 messages'],
    ['text over 5000 characters', [text(5001)], 'messages.0.text must be at most 5000 characters'],
    ['text over 5000 UTF-16 units (emoji count twice, as LINE counts)', [{ type: 'text', text: '🍎'.repeat(2501) }], 'messages.0.text must be at most 5000 characters'],
    ['blank text', [{ type: 'text', text: '  ' }], 'messages.0.text must not be empty'],
    ['altText over 1500 characters', [flex('a'.repeat(1501))], 'messages.0.altText must be at most 1500 characters'],
    ['flex without contents', [{ type: 'flex', altText: 'x' }], 'messages.0.contents must be "bubble" or "carousel"'],
    ['flex contents that are not a container', [flex('x', { type: 'box' })], 'messages.0.contents.type must be "bubble" or "carousel"'],
    ['a carousel of 13 bubbles', [flex('x', { type: 'carousel', contents: Array.from({ length: 13 }, () => ({ type: 'bubble' })) })], 'messages.0.contents.contents must have at most 12 bubbles'],
    ['a bubble over 30 KB', [flex('x', { type: 'bubble', body: { type: 'text', text: 'x'.repeat(31 * 1024) } })], 'messages.0.contents is larger than LINE allows'],
    ['an image message', [{ type: 'image', originalContentUrl: 'https://example.com/a.png' }], 'messages.0.type must be a text or flex message'],
    ['unknown properties', [{ type: 'text', text: 'hi', emojis: [] }], 'messages.0 Unrecognized key: "emojis"'],
  ])('%s', async (_, messages, message) => {
    const error = await refused(input({ messages }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(message);
  });

  it('accepts text of exactly 5000 characters and altText of 1500', async () => {
    await expect(service.create(input({ messages: [text(5000), { type: 'text', text: '🍎'.repeat(2500) }, flex('a'.repeat(1500))] }))).resolves.toMatchObject({ status: 'SCHEDULED' });
  });

  it('two of a segment, a definition and members, or none', async () => {
    expect(await refused(input({ spec: { segmentId: 'seg-1', definition: {} } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'segmentId' });
    expect(await refused(input({ spec: { segmentId: 'seg-1', memberIds: ['0123456789abcdef01234567'] } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'segmentId' });
    expect(await refused(input({ spec: {} }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'segmentId' });
  });

  it('members that are not member ids, or an empty list', async () => {
    expect(await refused(input({ spec: { memberIds: ['m1'] } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.memberIds.0' });
    expect(await refused(input({ spec: { memberIds: [] } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.memberIds' });
  });

  it('placeholders when no member profiles are available', async () => {
    const bare = new DeliveryService({ connection: db.connection, lineClient: new LineClient(testConfig(), logger), audience, clock: () => now, logger, quietHours: null });
    const error = await rejection(bare.create(input({ messages: [{ type: 'text', text: '{displayName}様' }] })));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'messages' });
  });
});

describe('dry run', () => {
  it('resolves the audience and reports its counts, sending nothing', async () => {
    const before = resolved;
    const delivery = await service.create(input({ dryRun: true }));
    expect(resolved).toBe(before + 1);
    expect(delivery).toMatchObject({ status: 'COMPLETED', dryRun: true, recipients: 12, skippedBlocked: 1, skippedNoConsent: 2, sent: 0, failed: 0, startedAt: NOON_JST, finishedAt: NOON_JST });
    expect(await service.drain()).toBe(0);
    expect(await service.get(delivery.id)).toEqual(delivery);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('cancel', () => {
  it('a scheduled delivery never starts', async () => {
    const { id } = await service.create(input());
    now = new Date(NOON_JST.getTime() + 5_000);
    expect(await service.cancel(id, 'staff:s2')).toMatchObject({ status: 'CANCELLED', cancelledAt: now, finishedAt: now });
    expect(await service.cancel(id, 'staff:s3')).toMatchObject({ status: 'CANCELLED', cancelledAt: now });
    await service.drain();
    expect(fake.requests).toHaveLength(0);
    expect(await service.get(id)).toMatchObject({ status: 'CANCELLED', startedAt: null });
  });

  it('is refused for a finished delivery and an unknown one', async () => {
    const { id } = await service.create(input({ dryRun: true }));
    expect((await rejection(service.cancel(id, 'staff:s2'))).extensions.code).toBe('BAD_USER_INPUT');
    expect((await rejection(service.cancel('0'.repeat(24), 'staff:s2'))).extensions.code).toBe('NOT_FOUND');
  });
});

describe('reading', () => {
  it('lists newest first and loads several in the order asked', async () => {
    const first = await service.create(input());
    now = new Date(NOON_JST.getTime() + 60_000);
    const second = await service.create(input());
    expect((await service.list({ limit: 2 })).map((d) => d.id)).toEqual([second.id, first.id]);
    expect((await service.getMany([second.id, 'missing', first.id])).map((d) => d?.id ?? null)).toEqual([second.id, null, first.id]);
  });
});
