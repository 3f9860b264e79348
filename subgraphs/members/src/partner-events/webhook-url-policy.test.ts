import { Types } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { startFakePartner, type FakePartner } from '../../../../test/helpers/fake-partner';
import { partnerEventModels, type PartnerEventModels, type WebhookDeliveryDoc } from './partner-events.models';
import { SubscriptionPause } from './subscription-pause';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSubscriptionService } from './webhook-subscription.service';
import type { ResolveHost } from './webhook-url-policy';

/**
 * Webhook URLs in production (docs/events.md, "URLs"): no private, loopback, link-local, CGNAT or metadata host,
 * refused when subscribed and again when sent (after DNS, connecting to the address checked). Real database; DNS is
 * the one thing faked, as the resolver the dispatcher is given.
 */
let db: TestDatabase;
let models: PartnerEventModels;
const now = new Date('2026-03-02T01:00:00.000Z');
const clock = () => now;
const admin = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' } as const;
const logger = createLogger('silent');

beforeAll(async () => {
  db = await openTestDatabase();
  models = partnerEventModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());

describe('subscribing in production', () => {
  const service = () => new WebhookSubscriptionService(models, clock, true);

  it.each([
    ['a private IPv4 address', 'https://10.0.0.5/hooks'],
    ['another private range', 'https://192.168.1.20/hooks'],
    ['loopback', 'https://127.0.0.1/hooks'],
    ['a loopback name', 'https://localhost/hooks'],
    ['the cloud metadata address', 'https://169.254.169.254/latest'],
    ['CGNAT', 'https://100.64.0.9/hooks'],
    ['unspecified', 'https://0.0.0.0/hooks'],
    ['IPv6 loopback', 'https://[::1]/hooks'],
    ['IPv6 link-local', 'https://[fe80::1]/hooks'],
    ['IPv6 unique local (a metadata address)', 'https://[fd00:ec2::254]/hooks'],
    ['IPv4-mapped IPv6 of a private address', 'https://[::ffff:10.0.0.5]/hooks'],
    ['IPv4-mapped IPv6 of loopback, in hex', 'https://[::ffff:7f00:1]/hooks'],
    ['the benchmarking range', 'https://198.19.255.1/hooks'],
    ['IPv6 site-local (deprecated, still routed inside some networks)', 'https://[fec0::1]/hooks'],
    ['local-use NAT64', 'https://[64:ff9b:1::a00:5]/hooks'],
  ])('%s is BAD_USER_INPUT, nothing written', async (_what, url) => {
    const before = await models.subscriptions.countDocuments();
    const error = await rejection(service().create(admin, { url, topics: ['POINTS_CHANGED'] }));
    expect([error.extensions.code, error.extensions.field, error.message]).toEqual(['BAD_USER_INPUT', 'url', 'url must not be a private, loopback, link-local or internal address']);
    expect(await models.subscriptions.countDocuments()).toBe(before);
  });

  it('a public address or a name is taken (a name is checked when sent), and an update to a private one refused', async () => {
    const { subscription } = await service().create(admin, { url: 'https://8.8.8.8/hooks', topics: ['POINTS_CHANGED'] });
    expect((await service().create(admin, { url: 'https://crm.example.com/hooks', topics: ['POINTS_CHANGED'] })).subscription.url).toBe('https://crm.example.com/hooks');
    const error = await rejection(service().update(admin, { id: subscription.id, url: 'https://[::ffff:169.254.169.254]/x' }));
    expect([error.extensions.code, error.extensions.field]).toEqual(['BAD_USER_INPUT', 'url']);
    expect((await models.subscriptions.findById(subscription.id).lean().exec())!.url).toBe('https://8.8.8.8/hooks');
  });
});

describe('sending', () => {
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

  it.each([
    ['a private address', [{ address: '10.1.2.3', family: 4 }]],
    ['a public and a metadata address', [{ address: '93.184.215.14', family: 4 }, { address: '169.254.169.254', family: 4 }]],
    ['an IPv4-mapped loopback', [{ address: '::ffff:127.0.0.1', family: 6 }]],
    ['a benchmarking address', [{ address: '198.18.0.7', family: 4 }]],
    ['a public and an IPv6 site-local address', [{ address: '93.184.215.14', family: 4 }, { address: 'fec0::7', family: 6 }]],
  ])('in production, a name that resolves to %s is not sent: its deliveries end FAILED, with the reason', async (_what, addresses) => {
    const resolve: ResolveHost = async () => addresses;
    const dispatcher = new WebhookDispatcher(models, { clock, logger, timeoutMs: 2_000, production: true, pause: new SubscriptionPause(db.connection, clock), resolve });
    const { subscriptionId, memberId } = await laneWith('https://hooks.partner.test/omo', [`e-${new Types.ObjectId().toHexString()}`, `e-${new Types.ObjectId().toHexString()}`]);
    const received = partner.received.length;
    await dispatcher.runLane(subscriptionId, memberId);
    const reason = 'Not sent: hooks.partner.test resolves to a private, loopback, link-local or internal address';
    expect(await states(subscriptionId)).toEqual([['FAILED', reason, 1], ['FAILED', reason, 1]]);
    expect(partner.received).toHaveLength(received);
  });

  it('the request goes to the address checked, not to a second lookup of the name (a DNS rebind)', async () => {
    const port = new URL(partner.url).port;
    const answers = [[{ address: '127.0.0.1', family: 4 }], [{ address: '10.9.9.9', family: 4 }]];
    const asked: string[] = [];
    const resolve: ResolveHost = async (host) => {
      asked.push(host);
      return answers.shift()!;
    };
    const dispatcher = new WebhookDispatcher(models, { clock, logger, timeoutMs: 2_000, production: false, pause: new SubscriptionPause(db.connection, clock), resolve });
    const eventId = `e-${new Types.ObjectId().toHexString()}`;
    const { subscriptionId, memberId } = await laneWith(`http://partner.test:${port}/hooks/omo`, [eventId]);
    await dispatcher.runLane(subscriptionId, memberId);
    expect(asked).toEqual(['partner.test']);
    expect(await states(subscriptionId)).toEqual([['DELIVERED', null, 1]]);
    expect(partner.accepted.at(-1)).toMatchObject({ id: eventId });
  });
});
