import { Types } from 'mongoose';
import { createLogger } from '@omo/lib/core/logger';
import { until, watch } from '@omo/tools/testing/concurrency';
import { openTestDatabase, uniqueDbName, type TestDatabase } from '@omo/tools/testing/database';
import { purchasesModels } from '../models';
import type { StoreDoc } from '../models/store.model';
import { webhookDeliveryModel } from '../models/webhook-delivery.model';
import type { ShopifyDelivery } from './shopify-delivery';
import { ShopifyDeliveryService, type WebhookResult } from './shopify-delivery.service';
import { RetryableError, type Processed } from './shopify-webhook.service';

/**
 * Several purchases processes (each its own connection) receive deliveries of one Shopify event. The event's work
 * blocks until the test lets it finish, so "running at the same time" is observable without timing.
 */
const LEASE_MS = 30_000;
const BUSY: WebhookResult = { status: 409, error: 'This event is being processed by another delivery' };

let databases: TestDatabase[] = [];
let now: number;
const clock = () => new Date(now);
const store: StoreDoc = { _id: new Types.ObjectId(), code: 'EC', name: 'EC', kind: 'ONLINE', createdAt: new Date(0), updatedAt: new Date(0) };

interface Run {
  receiver: string;
  eventId: string | null;
  finish(processed: Processed): void;
  fail(error: Error): void;
}
let runs: Run[];
let receiving: Promise<unknown>[];
/** Set when a test is over: work started after it finishes at once, so every receive settles. */
let closing: boolean;

async function receivers(...names: string[]): Promise<ShopifyDeliveryService[]> {
  const dbName = uniqueDbName('shopify');
  return Promise.all(
    names.map(async (name) => {
      const db = await openTestDatabase(dbName);
      databases.push(db);
      return new ShopifyDeliveryService({
        models: purchasesModels(db.connection),
        events: {
          process: (d) =>
            closing
              ? Promise.resolve({ outcome: 'ignored' })
              : new Promise<Processed>((finish, fail) => void runs.push({ receiver: name, eventId: d.eventId, finish, fail })),
          recheckAwaitingOrder: () => Promise.resolve(),
        },
        logger: createLogger('silent'),
        clock,
      });
    }),
  );
}

/** A delivery of the event; Shopify gives each delivery (a retry too) its own webhook id. */
function delivery(webhookId: string, eventId = 'evt-1'): ShopifyDelivery {
  return { store, topic: 'orders/create', eventId, webhookId, triggeredAt: null, rawBody: Buffer.from('{}') };
}

/** A `receive` whose return the test can wait for alongside other conditions. */
function receive(service: ShopifyDeliveryService, webhookId: string, eventId?: string): { promise: Promise<WebhookResult>; returned: boolean } {
  const promise = service.receive(delivery(webhookId, eventId));
  receiving.push(promise.catch(() => undefined));
  return watch(promise);
}

beforeEach(() => {
  runs = [];
  receiving = [];
  closing = false;
  now = Date.UTC(2025, 5, 15, 5, 0, 0);
});
afterEach(async () => {
  closing = true;
  for (const run of runs) run.finish({ outcome: 'ignored' });
  await Promise.all(receiving);
  await Promise.all(databases.map((db) => db.drop()));
  databases = [];
});

describe('Shopify deliveries of one event', () => {
  it('hands an event whose delivery died to exactly one of two deliveries retrying it at once', async () => {
    const [a, b] = await receivers('a', 'b');
    // the race is lost only when both read the lapsed claim before either writes: ten events make that likely
    const events = Array.from({ length: 10 }, (_, n) => `evt-${n}`);
    for (const eventId of events) {
      // a delivery that claimed the event a minute ago and never finished
      await webhookDeliveryModel(databases[0]!.connection).create({
        _id: `${store._id.toHexString()}:event:${eventId}`,
        storeId: store._id.toHexString(),
        topic: 'orders/create',
        eventId,
        receivedAt: new Date(now - 60_000),
        leaseUntil: new Date(now - 30_000),
      });
    }

    const retries = events.map((eventId) => [receive(a!, `wh-a-${eventId}`, eventId), receive(b!, `wh-b-${eventId}`, eventId)] as const);
    // each event settled: both retries answered, or one answered and the other is running the event
    const settled = (n: number) => retries[n]!.filter((r) => r.returned).length + runs.filter((r) => r.eventId === events[n]).length >= 2;
    await until(() => events.every((_, n) => settled(n)) || runs.length > events.length);
    expect(runs.map((r) => r.eventId).sort()).toEqual(events);
    for (const [n, pair] of retries.entries()) {
      const run = runs.find((r) => r.eventId === events[n])!;
      const [winner, loser] = run.receiver === 'a' ? pair : [pair[1], pair[0]];
      expect(await loser.promise).toEqual(BUSY);
      run.finish({ outcome: 'recorded', purchaseId: `p-${n}` });
      expect(await winner.promise).toEqual({ status: 200, outcome: 'recorded' });
    }
    expect(await a!.receive(delivery('wh-c', 'evt-0'))).toEqual({ status: 200, outcome: 'duplicate' });
  });

  it('does not run an event again for a retry that saw its claim lapse before another retry took it over and finished it', async () => {
    const [, b, c] = await receivers('a', 'b', 'c');
    await webhookDeliveryModel(databases[0]!.connection).create({
      _id: `${store._id.toHexString()}:event:evt-1`,
      storeId: store._id.toHexString(),
      topic: 'orders/create',
      eventId: 'evt-1',
      receivedAt: new Date(now - 60_000),
      leaseUntil: new Date(now - 30_000),
    });
    // c has read the lapsed claim and is about to take it over when b takes it over first and finishes the event
    let reached = false;
    let proceed!: () => void;
    const gate = new Promise<void>((resolve) => (proceed = resolve));
    const takeovers = (c as unknown as { takeovers: { acquire: (...args: unknown[]) => Promise<unknown> } }).takeovers;
    const acquire = takeovers.acquire.bind(takeovers);
    takeovers.acquire = async (...args) => {
      reached = true;
      await gate;
      return acquire(...args);
    };
    const late = receive(c!, 'wh-c');
    await until(() => reached);
    const first = receive(b!, 'wh-b');
    await until(() => runs.length === 1);
    runs[0]!.finish({ outcome: 'recorded', purchaseId: 'p-1' });
    expect(await first.promise).toEqual({ status: 200, outcome: 'recorded' });

    proceed();
    await until(() => late.returned || runs.length > 1);
    expect(runs.map((r) => r.receiver)).toEqual(['b']);
    expect(await late.promise).toEqual({ status: 200, outcome: 'duplicate' });
  });

  it('hands the event on again when the delivery that took it over dies too, and to one delivery at a time', async () => {
    const [a, b, c] = await receivers('a', 'b', 'c');
    void receive(a!, 'wh-a');
    await until(() => runs.length === 1);
    now += LEASE_MS + 1;
    void receive(b!, 'wh-b');
    await until(() => runs.length === 2);

    now += LEASE_MS - 1;
    expect(await c!.receive(delivery('wh-c'))).toEqual(BUSY);
    now += 2;
    const third = receive(c!, 'wh-c');
    await until(() => runs.length === 3);
    runs[2]!.finish({ outcome: 'recorded', purchaseId: 'p-1' });
    expect(await third.promise).toEqual({ status: 200, outcome: 'recorded' });
    expect(runs.map((r) => r.receiver)).toEqual(['a', 'b', 'c']);
  });

  it('does not let a delivery that fails after its lease is over free the event for a third while another has taken it over', async () => {
    const [a, b, c] = await receivers('a', 'b', 'c');
    const slow = receive(a!, 'wh-a');
    await until(() => runs.length === 1);
    now += LEASE_MS + 1;
    void receive(b!, 'wh-b');
    await until(() => runs.length === 2);

    runs[0]!.fail(new RetryableError('members answered too late'));
    expect(await slow.promise).toEqual({ status: 503, error: 'Temporarily unavailable' });
    const third = receive(c!, 'wh-c');
    await until(() => third.returned || runs.length > 2);
    expect(runs).toHaveLength(2);
    expect(await third.promise).toEqual(BUSY);
  });

  it('keeps nothing of a delivery that fails within its lease, so Shopify’s retry runs the event afresh', async () => {
    const [a, b] = await receivers('a', 'b');
    const first = receive(a!, 'wh-a');
    await until(() => runs.length === 1);
    runs[0]!.fail(new RetryableError('members is down'));
    expect(await first.promise).toEqual({ status: 503, error: 'Temporarily unavailable' });
    expect(await webhookDeliveryModel(databases[0]!.connection).countDocuments()).toBe(0);

    const retry = receive(b!, 'wh-a');
    await until(() => runs.length === 2);
    runs[1]!.finish({ outcome: 'recorded', purchaseId: 'p-1' });
    expect(await retry.promise).toEqual({ status: 200, outcome: 'recorded' });
  });
});
