import { Types } from 'mongoose';
import { partnerEvent } from '@omo/lib/events/partner-events';
import { verifyPartnerSignature } from '@omo/lib/events/partner-signature';
import { EARLIER_PLACE_WAIT_MS } from '@omo/members/src/partner-events/webhook-dispatcher';
import { startFakePartner, type FakePartner } from '../helpers/fake-partner';
import { rewardsDriver } from '../helpers/rewards';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Partner events end to end (docs/events.md): ADMIN subscribes a receiver through the gateway, changes made through
 * the gateway are published by their owners' outboxes and delivered, signed, by members' outbox; each outbox is run
 * here explicitly, and time is the system's injected clock (the publishers' 30 s topic cache and the back-off).
 */
let system: TestSystem;
let now = Date.parse('2026-03-02T01:00:00.000Z');
let storeId: string;
let registered = 0;
const rewards = rewardsDriver(() => system, () => storeId);

const SUBSCRIBE = `mutation($url: String!, $topics: [PartnerEventTopic!]!, $description: String) {
  createWebhookSubscription(url: $url, topics: $topics, description: $description) { secret subscription { id url topics active } }
}`;
const DELIVERIES = `query($id: ID!, $state: WebhookDeliveryState) {
  webhookDeliveries(subscriptionId: $id, state: $state) { deliveries { id eventId topic sequence state attempts { statusCode error } failureReason } nextCursor }
}`;

interface DeliveryRow {
  id: string;
  eventId: string;
  topic: string;
  sequence: number;
  state: string;
  attempts: { statusCode: number | null; error: string | null }[];
}

async function runOutboxes(): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    await system.subgraphs.purchases.built.outbox.drain();
    await system.subgraphs.points.built.outbox.drain();
    await system.subgraphs.members.built.outbox.drain();
    await system.subgraphs.members.built.partnerEvents.deliveryOutbox.drain();
  }
}

/** A subscription made through the gateway, the receiver given its secret; then past the publishers' topic cache. */
async function subscribe(partner: FakePartner, topics: string[]): Promise<string> {
  const { createWebhookSubscription } = ok(
    await system.graphql<{ createWebhookSubscription: { secret: string; subscription: { id: string } } }>(SUBSCRIBE, { url: partner.url, topics, description: 'CRM' }, system.adminHeaders()),
  );
  partner.secret = createWebhookSubscription.secret;
  now += 31_000;
  return createWebhookSubscription.subscription.id;
}

async function register(): Promise<string> {
  registered += 1;
  const { registerMember } = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: `会員${registered}`, email: `partner-${registered}@example.com`, registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  );
  return registerMember.id;
}

async function deliveries(subscriptionId: string): Promise<DeliveryRow[]> {
  const { webhookDeliveries } = ok(await system.graphql<{ webhookDeliveries: { deliveries: DeliveryRow[] } }>(DELIVERIES, { id: subscriptionId }, system.staffHeaders()));
  return webhookDeliveries.deliveries;
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date(now) });
  const { createStore } = ok(
    await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' } }, system.adminHeaders()),
  );
  storeId = createStore.id;
});

afterAll(async () => {
  await system.close();
});

describe('a purchase', () => {
  let partner: FakePartner;
  let subscriptionId: string;
  let memberId: string;
  let purchaseId: string;
  let completedAt: string;

  beforeAll(async () => {
    partner = await startFakePartner({ now: () => new Date(now) });
    subscriptionId = await subscribe(partner, ['PURCHASE_RECORDED']);
    memberId = await register();
    completedAt = new Date(now).toISOString();
    const { recordPurchase } = ok(
      await system.graphql<{ recordPurchase: { id: string; status: string } }>(
        'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }',
        {
          input: {
            idempotencyKey: 'partner-sale-1',
            storeId,
            memberId,
            lines: [{ sku: 'COFFEE', name: 'コーヒー豆', unitPrice: 1200, quantity: 1 }],
            total: 1200,
            occurredAt: '2026-03-02T00:58:00.000Z',
          },
        },
        system.staffHeaders(),
      ),
    );
    expect(recordPurchase.status).toBe('COMPLETED');
    purchaseId = recordPurchase.id;
    await runOutboxes();
  });

  afterAll(() => partner.close());

  it('is delivered once, signed, with the documented payload, which the receiver verifies', async () => {
    expect(partner.received).toHaveLength(1);
    const [request] = partner.received;
    expect(request).toMatchObject({
      eventId: `purchase.recorded:${purchaseId}`,
      topic: 'purchase.recorded',
      timestamp: String(Math.floor(now / 1000)),
      check: { valid: true, timestamp: Math.floor(now / 1000) },
      status: 200,
    });
    expect(request!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(partner.accepted).toEqual([
      {
        id: `purchase.recorded:${purchaseId}`,
        topic: 'purchase.recorded',
        memberId,
        sequence: 1,
        occurredAt: completedAt,
        data: {
          memberId,
          purchaseId,
          storeId,
          channel: 'STORE',
          total: 1200,
          amountPaid: 1200,
          pointsRedeemed: 0,
          occurredAt: '2026-03-02T00:58:00.000Z',
        },
      },
    ]);
    expect(await deliveries(subscriptionId)).toEqual([
      expect.objectContaining({ eventId: `purchase.recorded:${purchaseId}`, topic: 'PURCHASE_RECORDED', sequence: 1, state: 'DELIVERED', attempts: [{ statusCode: 200, error: null }] }),
    ]);
  });

  it('a forged delivery fails the documented verification: body changed, wrong secret, old timestamp', () => {
    const { raw, signature } = partner.received[0]!;
    const at = new Date(now);
    expect(verifyPartnerSignature(partner.secret, signature, raw, 300, at)).toEqual({ valid: true, timestamp: Math.floor(now / 1000) });
    expect(verifyPartnerSignature(partner.secret, signature, raw.replace('"amountPaid":1200', '"amountPaid":12000'), 300, at)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifyPartnerSignature('whsec_not-the-secret', signature, raw, 300, at)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifyPartnerSignature(partner.secret, signature, raw, 300, new Date(now + 301_000))).toEqual({ valid: false, reason: 'too-old' });
    expect(verifyPartnerSignature(partner.secret, signature!.replace(/^t=\d+/, `t=${Math.floor(now / 1000) + 1}`), raw, 300, at)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifyPartnerSignature(partner.secret, undefined, raw, 300, at)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('a replay sends the same event id again; the receiver keeps it once', async () => {
    const [delivery] = await deliveries(subscriptionId);
    const { replayWebhookDelivery } = ok(
      await system.graphql<{ replayWebhookDelivery: { state: string } }>('mutation($id: ID!) { replayWebhookDelivery(id: $id) { state } }', { id: delivery!.id }, system.adminHeaders()),
    );
    expect(replayWebhookDelivery.state).toBe('PENDING');
    await runOutboxes();
    expect(partner.received.map((r) => [r.eventId, r.status, r.check.valid])).toEqual([
      [`purchase.recorded:${purchaseId}`, 200, true],
      [`purchase.recorded:${purchaseId}`, 200, true],
    ]);
    expect(partner.received[1]!.raw).toBe(partner.received[0]!.raw);
    expect(partner.accepted).toHaveLength(1);
    expect(await deliveries(subscriptionId)).toEqual([
      expect.objectContaining({ state: 'DELIVERED', attempts: [{ statusCode: 200, error: null }, { statusCode: 200, error: null }] }),
    ]);
  });
});

it('a publisher restarted while members cannot say which topics are followed still queues the purchase, delivered once members answers', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  const topics = jest.spyOn(system.subgraphs.members.built.partnerEvents.inbox, 'topics').mockRejectedValue(new Error('members is starting'));
  try {
    await subscribe(partner, ['PURCHASE_RECORDED']);
    const memberId = await register();
    // a fresh purchases process: it has never had members' answer
    await system.restart('purchases');
    const { recordPurchase } = ok(
      await system.graphql<{ recordPurchase: { id: string; status: string } }>(
        'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }',
        {
          input: {
            idempotencyKey: 'partner-sale-members-silent',
            storeId,
            memberId,
            lines: [{ sku: 'COFFEE', name: 'コーヒー豆', unitPrice: 800, quantity: 1 }],
            total: 800,
            occurredAt: '2026-03-02T01:00:00.000Z',
          },
        },
        system.staffHeaders(),
      ),
    );
    expect(recordPurchase.status).toBe('COMPLETED');
    topics.mockRestore();
    await runOutboxes();
    expect(partner.accepted.map(({ id, topic, memberId: member }) => ({ id, topic, memberId: member }))).toEqual([
      { id: `purchase.recorded:${recordPurchase.id}`, topic: 'purchase.recorded', memberId },
    ]);
  } finally {
    topics.mockRestore();
    await partner.close();
  }
});

it('a member’s later event waits for an earlier one whose place is taken and whose delivery is not written yet; not for ever', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  const { inbox } = system.subgraphs.members.built.partnerEvents;
  const change = (memberId: string, seq: number) =>
    partnerEvent('points.changed', `points.changed:${memberId}:${seq}`, new Date(now), { memberId, seq, type: 'ADJUST', amount: seq, balanceAfter: seq, purchaseId: null });
  /** An event's publisher between the inbox's two steps: the event stored and its place taken, no delivery yet. */
  const placedOnly = async (event: ReturnType<typeof change>, seq: number) => {
    await system.db.collection('partner_events').insertOne({ _id: event.id as never, topic: event.topic, memberId: event.memberId, occurredAt: new Date(event.occurredAt), data: event.data, receivedAt: new Date(now), seq: null });
    await system.db.collection('partner_event_sequence').insertOne({ _id: `${event.memberId}:${seq}` as never, memberId: event.memberId, seq, eventId: event.id });
  };
  try {
    const subscriptionId = await subscribe(partner, ['POINTS_CHANGED']);
    const memberId = new Types.ObjectId().toHexString();
    const [first, second] = [change(memberId, 1), change(memberId, 2)];
    await placedOnly(first, 1);
    await inbox.receive(second);
    await runOutboxes();
    expect(partner.accepted).toEqual([]);
    // the first event's publisher goes on (or retries): its delivery is made, and both go out in their order
    await inbox.receive(first);
    now += 2_000;
    await runOutboxes();
    expect(partner.accepted.map((e) => [e.id, e.sequence])).toEqual([[first.id, 1], [second.id, 2]]);

    // an earlier place whose publisher never came back holds the lane only EARLIER_PLACE_WAIT_MS
    const other = new Types.ObjectId().toHexString();
    const [lost, later] = [change(other, 1), change(other, 2)];
    await placedOnly(lost, 1);
    await inbox.receive(later);
    await runOutboxes();
    expect(partner.accepted).toHaveLength(2);
    now += EARLIER_PLACE_WAIT_MS + 1_000;
    await runOutboxes();
    expect(partner.accepted.slice(2).map((e) => [e.id, e.sequence])).toEqual([[later.id, 2]]);
    ok(await system.graphql('mutation($id: ID!) { disableWebhookSubscription(id: $id) { active } }', { id: subscriptionId }, system.adminHeaders()));
  } finally {
    await partner.close();
  }
});

it('a receiver answering 503 for a while gets a member’s points changes later, in order', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  try {
    const subscriptionId = await subscribe(partner, ['POINTS_CHANGED']);
    partner.status = 503;
    const memberId = await register();
    for (const [amount, key] of [[50, 'grant-1'], [20, 'grant-2'], [-30, 'take-1']] as const) {
      now += 1_000;
      ok(await system.graphql(
        'mutation($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "調整", idempotencyKey: $key) { account { balance } } }',
        { memberId, amount, key },
        system.staffHeaders(),
      ));
    }
    await runOutboxes();
    // the first event tried once; the member's later ones wait behind it
    expect(partner.received.map((r) => [r.status, (JSON.parse(r.raw) as { sequence: number }).sequence])).toEqual([[503, 1]]);
    now += 61_000;
    await runOutboxes();
    expect(partner.received.map((r) => r.status)).toEqual([503, 503]);
    partner.status = 200;
    now += 60_000;
    await runOutboxes();
    // still within the second back-off (5 minutes)
    expect(partner.received).toHaveLength(2);
    now += 4 * 60_000;
    await runOutboxes();
    const change = (seq: number, type: string, amount: number, balanceAfter: number) => ({
      id: `points.changed:${memberId}:${seq}`,
      topic: 'points.changed',
      memberId,
      sequence: seq,
      data: { memberId, seq, type, amount, balanceAfter, purchaseId: null },
    });
    expect(partner.accepted.map(({ occurredAt: _at, ...rest }) => rest)).toEqual([
      change(1, 'BONUS', 100, 100),
      change(2, 'ADJUST', 50, 150),
      change(3, 'ADJUST', 20, 170),
      change(4, 'ADJUST', -30, 140),
    ]);
    expect((await deliveries(subscriptionId)).map((d) => [d.sequence, d.state, d.attempts.map((a) => a.statusCode)])).toEqual([
      [4, 'DELIVERED', [200]],
      [3, 'DELIVERED', [200]],
      [2, 'DELIVERED', [200]],
      [1, 'DELIVERED', [503, 503, 200]],
    ]);
    const { disableWebhookSubscription } = ok(
      await system.graphql<{ disableWebhookSubscription: { active: boolean } }>('mutation($id: ID!) { disableWebhookSubscription(id: $id) { active } }', { id: subscriptionId }, system.adminHeaders()),
    );
    expect(disableWebhookSubscription.active).toBe(false);
  } finally {
    await partner.close();
  }
});

it('a coupon used by a purchase, and the purchase refunded', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  try {
    await subscribe(partner, ['COUPON_USED', 'PURCHASE_REFUNDED']);
    const memberId = await rewards.memberWith(600);
    const rewardId = await rewards.createReward();
    const coupon = ok(await rewards.redeem(memberId, rewardId, 'partner-coupon-1')).redeemReward;
    const { recordPurchase } = ok(
      await system.graphql<{ recordPurchase: { id: string; status: string; couponDiscount: number } }>(
        'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status couponDiscount } }',
        {
          input: {
            idempotencyKey: 'partner-sale-coupon',
            storeId,
            memberId,
            lines: [{ sku: 'TEA', name: '紅茶', unitPrice: 1200, quantity: 1 }],
            total: 1200,
            couponCodes: [coupon.code],
            occurredAt: '2026-03-02T00:59:00.000Z',
          },
        },
        system.staffHeaders(),
      ),
    );
    expect(recordPurchase).toMatchObject({ status: 'COMPLETED', couponDiscount: 500 });
    // the refund a second later, as in a shop: both events wait in purchases' outbox, which runs its items by due
    // time, so two items due in the same millisecond (this test's clock stands still) went out either way round
    now += 1_000;
    const { refundPurchase } = ok(
      await system.graphql<{ refundPurchase: { refunds: { id: string }[] } }>(
        'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { refunds { id } } }',
        { input: { purchaseId: recordPurchase.id, idempotencyKey: 'partner-refund-1', amount: 200 } },
        system.staffHeaders(),
      ),
    );
    const refundId = refundPurchase.refunds[0]!.id;
    await runOutboxes();
    // the member's sequence counts their events of every topic (this sale's purchase.recorded went to the first
    // subscription): a subscriber sees it rise, with gaps
    const [used, refunded] = partner.accepted as { sequence: number }[];
    expect(used!.sequence).toBeLessThan(refunded!.sequence);
    expect(partner.accepted.map(({ id, topic, data }) => ({ id, topic, data }))).toEqual([
      { id: `coupon.used:${coupon.id}:${recordPurchase.id}`, topic: 'coupon.used', data: { memberId, couponId: coupon.id, purchaseId: recordPurchase.id } },
      {
        id: `purchase.refunded:${refundId}`,
        topic: 'purchase.refunded',
        data: { memberId, purchaseId: recordPurchase.id, refundId, amount: 200, refundedTotal: 200, refundedAt: new Date(now).toISOString() },
      },
    ]);
  } finally {
    await partner.close();
  }
});

it('a member registered, then withdrawn', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  try {
    await subscribe(partner, ['MEMBER_REGISTERED', 'MEMBER_WITHDRAWN']);
    const memberId = await register();
    now += 1_000;
    const withdrawnAt = new Date(now).toISOString();
    ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { id } }', { id: memberId }, system.staffHeaders()));
    await runOutboxes();
    // members' createdAt is mongoose's timestamp (the wall clock, not the system's injected one)
    const stored = (await system.db.collection('members').findOne({ _id: new Types.ObjectId(memberId) }))!;
    const memberCode = stored.memberCode as string;
    const registeredAt = (stored.createdAt as Date).toISOString();
    expect(partner.accepted.map(({ id, topic, occurredAt, data }) => ({ id, topic, occurredAt, data }))).toEqual([
      { id: `member.registered:${memberId}`, topic: 'member.registered', occurredAt: registeredAt, data: { memberId, memberCode, registeredVia: 'ONLINE', registeredAt } },
      { id: `member.withdrawn:${memberId}`, topic: 'member.withdrawn', occurredAt: withdrawnAt, data: { memberId, withdrawnAt } },
    ]);
  } finally {
    await partner.close();
  }
});

describe('subscriptions', () => {
  it('a STAFF user cannot create one (FORBIDDEN), and nothing is written', async () => {
    const before = await system.db.collection('partner_webhook_subscriptions').countDocuments();
    const response = await system.graphql(SUBSCRIBE, { url: 'https://crm.example.com/hooks', topics: ['MEMBER_REGISTERED'] }, system.staffHeaders());
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(await system.db.collection('partner_webhook_subscriptions').countDocuments()).toBe(before);
  });

  it.each([
    ['not a URL', 'crm.example.com/hooks'],
    ['plain http to another host', 'http://crm.example.com/hooks'],
    ['another scheme', 'ftp://crm.example.com/hooks'],
    ['credentials in it', 'https://user:pass@crm.example.com/hooks'],
  ])('a bad URL (%s) is BAD_USER_INPUT, nothing written', async (_what, url) => {
    const before = await system.db.collection('partner_webhook_subscriptions').countDocuments();
    const response = await system.graphql(SUBSCRIBE, { url, topics: ['MEMBER_REGISTERED'] }, system.adminHeaders());
    expect(response.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'url']]);
    expect(await system.db.collection('partner_webhook_subscriptions').countDocuments()).toBe(before);
  });

  it('STAFF may list them, without their secrets', async () => {
    const { webhookSubscriptions } = ok(await system.graphql<{ webhookSubscriptions: { topics: string[]; active: boolean }[] }>('{ webhookSubscriptions { topics active } }', {}, system.staffHeaders()));
    expect(webhookSubscriptions).toEqual([
      { topics: ['MEMBER_REGISTERED', 'MEMBER_WITHDRAWN'], active: true },
      { topics: ['COUPON_USED', 'PURCHASE_REFUNDED'], active: true },
      { topics: ['POINTS_CHANGED'], active: false },
      { topics: ['POINTS_CHANGED'], active: false },
      { topics: ['PURCHASE_RECORDED'], active: true },
      { topics: ['PURCHASE_RECORDED'], active: true },
    ]);
  });
});
