import { Types } from 'mongoose';
import { partnerEvent } from '@omo/lib/events/partner-events';
import { DELIVERY_CONCURRENCY, LANES_PER_SUBSCRIPTION } from '@omo/members/src/partner-events/partner-events';
import { until, watch } from '@omo/tools/testing/concurrency';
import { startFakePartner, type FakePartner } from '../helpers/fake-partner';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A slow receiver's lanes share a drain with every other subscription's (docs/events.md, "Delivering"): it gets at
 * most LANES_PER_SUBSCRIPTION of the drain's slots, so another partner's delivery goes out while it holds them.
 */
let system: TestSystem;
let now = Date.parse('2026-03-02T01:00:00.000Z');

const SUBSCRIBE = `mutation($url: String!, $topics: [PartnerEventTopic!]!) {
  createWebhookSubscription(url: $url, topics: $topics) { secret subscription { id } }
}`;

async function subscribe(partner: FakePartner, topics: string[]): Promise<void> {
  const { createWebhookSubscription } = ok(
    await system.graphql<{ createWebhookSubscription: { secret: string; subscription: { id: string } } }>(SUBSCRIBE, { url: partner.url, topics }, system.adminHeaders()),
  );
  partner.secret = createWebhookSubscription.secret;
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date(now) });
});

afterAll(async () => {
  await system.close();
});

it('a partner answering slowly for many members does not hold up another partner’s delivery', async () => {
  const slow = await startFakePartner({ now: () => new Date(now) });
  const other = await startFakePartner({ now: () => new Date(now) });
  const { inbox, deliveryOutbox } = system.subgraphs.members.built.partnerEvents;
  try {
    await subscribe(slow, ['POINTS_CHANGED']);
    await subscribe(other, ['MEMBER_REGISTERED']);
    now += 31_000;
    slow.hold();
    // the slow partner's lanes are due first, more of them than the drain runs at once
    for (let i = 0; i < DELIVERY_CONCURRENCY + 2; i += 1) {
      const memberId = new Types.ObjectId().toHexString();
      await inbox.receive(partnerEvent('points.changed', `points.changed:${memberId}:1`, new Date(now), { memberId, seq: 1, type: 'ADJUST', amount: 5, balanceAfter: 5, purchaseId: null }));
      now += 1;
    }
    now += 1_000;
    const memberId = new Types.ObjectId().toHexString();
    await inbox.receive(
      partnerEvent('member.registered', `member.registered:${memberId}`, new Date(now), { memberId, memberCode: 'M-000001', registeredVia: 'ONLINE', registeredAt: new Date(now).toISOString() }),
    );
    const draining = watch(deliveryOutbox.drain());
    await until(() => other.accepted.length === 1 && slow.held() === LANES_PER_SUBSCRIPTION);
    expect(other.accepted.map((e) => e.id)).toEqual([`member.registered:${memberId}`]);
    expect(slow.held()).toBe(LANES_PER_SUBSCRIPTION);
    expect(slow.accepted).toEqual([]);
    expect(draining.returned).toBe(false);
    slow.release();
    await draining.promise;
    expect(slow.accepted).toHaveLength(LANES_PER_SUBSCRIPTION);
    // the lanes passed over go in the next drains
    for (let drains = 0; drains < DELIVERY_CONCURRENCY && (await deliveryOutbox.pending()) > 0; drains += 1) await deliveryOutbox.drain();
    expect(slow.accepted).toHaveLength(DELIVERY_CONCURRENCY + 2);
  } finally {
    slow.release();
    await slow.close();
    await other.close();
  }
});
