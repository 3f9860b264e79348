import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { startFakePartner, type FakePartner } from '../../../../test/helpers/fake-partner';
import { partnerEventModels, type PartnerEventModels, type WebhookDeliveryDoc } from './partner-events.models';
import { SubscriptionPause } from './subscription-pause';
import { WebhookDispatcher } from './webhook-dispatcher';
import { RetryLater } from '@omo/lib/outbox/outbox';
import type { ResolveHost } from './webhook-url-policy';

/**
 * A lane's run and its sends against the outbox's lease and the name's addresses (docs/events.md, "Delivering").
 * Real database and a real receiver on loopback; DNS is the one thing faked, as the resolver the dispatcher is given.
 */
let db: TestDatabase;
let models: PartnerEventModels;
const now = new Date('2026-03-02T01:00:00.000Z');
const clock = () => now;
const logger = createLogger('silent');

beforeAll(async () => {
  db = await openTestDatabase();
  models = partnerEventModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());

describe('a lane run', () => {
  let partner: FakePartner;

  beforeAll(async () => {
    partner = await startFakePartner({ now: clock });
  });
  afterAll(() => partner.close());

  /** A subscription to `url` (written as it would be stored) with one pending delivery per event id given. */
  async function laneWith(url: string, eventIds: string[]): Promise<{ subscriptionId: string; memberId: string }> {
    const subscriptionId = new Types.ObjectId();
    const memberId = new Types.ObjectId().toHexString();
    await models.subscriptions.create({ _id: subscriptionId, url, topics: ['points.changed'], description: null, active: true, secret: 'whsec_test', previousSecret: null, previousSecretUntil: null, createdAt: now, updatedAt: now, createdBy: 'admin-1' });
    partner.secret = 'whsec_test';
    for (const [i, eventId] of eventIds.entries()) {
      await models.events.create({ _id: eventId, topic: 'points.changed', memberId, occurredAt: now, data: { memberId, seq: i + 1 }, receivedAt: now, seq: i + 1 });
      await models.deliveries.create({
        _id: `${subscriptionId.toHexString()}:${eventId}`, subscriptionId: subscriptionId.toHexString(), eventId, topic: 'points.changed', memberId, seq: i + 1, state: 'PENDING',
        attempts: [], since: now, nextAttemptAt: now, createdAt: now, deliveredAt: null, failedAt: null, failureReason: null,
      } satisfies WebhookDeliveryDoc);
    }
    return { subscriptionId: subscriptionId.toHexString(), memberId };
  }

  const states = (subscriptionId: string) =>
    models.deliveries.find({ subscriptionId }).sort({ seq: 1 }).lean<WebhookDeliveryDoc[]>().exec().then((found) => found.map((d) => [d.state, d.failureReason, d.attempts.length]));

  const local = () => `http://partner.test:${new URL(partner.url).port}/hooks/omo`;
  const dispatcher = (resolve: ResolveHost, options: { timeoutMs?: number; dnsTimeoutMs?: number } = {}) =>
    new WebhookDispatcher(models, { clock, logger, timeoutMs: options.timeoutMs ?? 2_000, production: false, pause: new SubscriptionPause(db.connection, clock), resolve, dnsTimeoutMs: options.dnsTimeoutMs });

  it('a lookup that does not answer is a failed try after the DNS budget, not a run outliving its lease', async () => {
    const { subscriptionId, memberId } = await laneWith(local(), [`e-${new Types.ObjectId().toHexString()}`]);
    const silent: ResolveHost = () => new Promise(() => undefined);
    const error = await dispatcher(silent, { dnsTimeoutMs: 200 }).runLane(subscriptionId, memberId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect(await states(subscriptionId)).toEqual([['PENDING', null, 1]]);
    const [delivery] = await models.deliveries.find({ subscriptionId }).lean<WebhookDeliveryDoc[]>().exec();
    expect(delivery!.attempts.map((a) => [a.statusCode, a.error])).toEqual([[null, 'could not resolve the host within 0.2 s']]);
  });

  it('no send starts that could still run when the lease ends: the next delivery waits for the next run', async () => {
    const { subscriptionId, memberId } = await laneWith(local(), [`e-${new Types.ObjectId().toHexString()}`, `e-${new Types.ObjectId().toHexString()}`]);
    const slow: ResolveHost = () => new Promise((resolve) => setTimeout(() => resolve([{ address: '127.0.0.1', family: 4 }]), 100));
    // 20 s to answer and 5 s for the lookup: after the first send's 100 ms, a second could end past the lease's 30 s less its margin
    const error = await dispatcher(slow, { timeoutMs: 20_000, dnsTimeoutMs: 5_000 }).runLane(subscriptionId, memberId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).afterMs).toBe(0);
    expect(await states(subscriptionId)).toEqual([['DELIVERED', null, 1], ['PENDING', null, 0]]);
  });

  it('the send tries each address checked: the first refusing its connection, the second answering, it is DELIVERED', async () => {
    const { subscriptionId, memberId } = await laneWith(local(), [`e-${new Types.ObjectId().toHexString()}`]);
    // the receiver listens on 127.0.0.1 only: 127.0.0.2 refuses the connection
    const two: ResolveHost = async () => [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }];
    await dispatcher(two).runLane(subscriptionId, memberId);
    expect(await states(subscriptionId)).toEqual([['DELIVERED', null, 1]]);
  });
});
