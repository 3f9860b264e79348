import { Types } from 'mongoose';
import { partnerEvent } from '@omo/lib/events/partner-events';
import { HOLD_FOR_EARLIER_MS, laneKey } from '@omo/members/src/partner-events/partner-event-inbox';
import { until, watch } from '@omo/tools/testing/concurrency';
import { startFakePartner, type FakePartner } from '../helpers/fake-partner';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * How deliveries are carried out (docs/events.md, "Delivering"): their own outbox, apart from members' other work,
 * a few lanes at once. Each outbox is run here explicitly; time is the system's injected clock.
 */
let system: TestSystem;
let now = Date.parse('2026-03-02T01:00:00.000Z');
let registered = 0;

const SUBSCRIBE = `mutation($url: String!, $topics: [PartnerEventTopic!]!) {
  createWebhookSubscription(url: $url, topics: $topics) { secret subscription { id } }
}`;

async function subscribe(partner: FakePartner, topics: string[]): Promise<string> {
  const { createWebhookSubscription } = ok(
    await system.graphql<{ createWebhookSubscription: { secret: string; subscription: { id: string } } }>(SUBSCRIBE, { url: partner.url, topics }, system.adminHeaders()),
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
      { input: { displayName: `会員${registered}`, email: `delivery-${registered}@example.com`, registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  );
  return registerMember.id;
}

async function balance(memberId: string): Promise<number> {
  const { member } = ok(await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id: memberId }, system.staffHeaders()));
  return member.points.balance;
}

const members = () => system.subgraphs.members.built;
const drainDeliveries = () => members().partnerEvents.deliveryOutbox.drain();

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date(now) });
});

afterAll(async () => {
  await system.close();
});

it('a receiver holding its answer does not hold up members’ other work queued after it', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  try {
    await subscribe(partner, ['MEMBER_REGISTERED']);
    partner.hold();
    const first = await register();
    // the first member's registration is published (members' own event) and its delivery goes out, unanswered
    await members().outbox.drain();
    const sending = watch(drainDeliveries());
    await until(() => partner.held() === 1);
    const second = await register();
    await members().outbox.drain();
    expect(await balance(second)).toBe(100);
    expect(partner.held()).toBe(1);
    expect(sending.returned).toBe(false);
    partner.release();
    await sending.promise;
    expect(partner.accepted.map((e) => e.id)).toEqual([`member.registered:${first}`]);
  } finally {
    partner.release();
    await partner.close();
  }
});

it('members down for the first of a member’s two points changes: the receiver still gets seq 1, then 2', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  const { inbox } = members().partnerEvents;
  const points = system.subgraphs.points.built.outbox;
  try {
    await subscribe(partner, ['POINTS_CHANGED']);
    const memberId = await register();
    // the sign-up bonus is the member's first entry; members cannot take its event on the first try
    await members().outbox.drain();
    const receive = inbox.receive.bind(inbox);
    const firstId = `points.changed:${memberId}:1`;
    const down = jest.spyOn(inbox, 'receive').mockImplementation((event) => (event.id === firstId ? Promise.reject(new Error('members is restarting')) : receive(event)));
    await points.drain();
    expect(down.mock.calls.map(([event]) => event.id)).toContain(firstId);
    down.mockRestore();
    now += 1_000;
    ok(await system.graphql(
      'mutation($memberId: ID!) { adjustPoints(memberId: $memberId, amount: 30, reason: "調整", idempotencyKey: "order-1") { account { balance } } }',
      { memberId },
      system.staffHeaders(),
    ));
    // the second entry's item is due now, the first's after its back-off: the second reaches members first
    await points.drain();
    await drainDeliveries();
    now += 2_000;
    await points.drain();
    await members().outbox.drain();
    await drainDeliveries();
    const got = partner.accepted.filter((e) => e.memberId === memberId) as { data: { seq: number }; sequence: number }[];
    expect(got.map((e) => e.data.seq)).toEqual([1, 2]);
    // the member's sequence (all topics: their member.registered went to the first test's subscription) rises with them
    expect(got[0]!.sequence).toBeLessThan(got[1]!.sequence);
  } finally {
    await partner.close();
  }
});

it('an earlier points change that does not come holds the later one HOLD_FOR_EARLIER_MS, then it goes without it', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  const { inbox } = members().partnerEvents;
  const points = system.subgraphs.points.built.outbox;
  try {
    await subscribe(partner, ['POINTS_CHANGED']);
    const memberId = await register();
    await members().outbox.drain();
    const receive = inbox.receive.bind(inbox);
    const firstId = `points.changed:${memberId}:1`;
    const stuck = jest.spyOn(inbox, 'receive').mockImplementation((event) => (event.id === firstId ? Promise.reject(new Error('members refuses it for now')) : receive(event)));
    ok(await system.graphql(
      'mutation($memberId: ID!) { adjustPoints(memberId: $memberId, amount: 40, reason: "調整", idempotencyKey: "order-bound-1") { account { balance } } }',
      { memberId },
      system.staffHeaders(),
    ));
    await points.drain();
    await drainDeliveries();
    const seqs = () => partner.accepted.filter((e) => e.memberId === memberId).map((e) => (e.data as { seq: number }).seq);
    expect(seqs()).toEqual([]);
    now += HOLD_FOR_EARLIER_MS - 1_000;
    await members().outbox.drain();
    await drainDeliveries();
    expect(seqs()).toEqual([]);
    now += 1_000;
    await members().outbox.drain();
    await drainDeliveries();
    expect(seqs()).toEqual([2]);
    // the first comes at last, and is delivered after the one that went without it
    stuck.mockRestore();
    await points.drain();
    await drainDeliveries();
    expect(seqs()).toEqual([2, 1]);
  } finally {
    await partner.close();
  }
});

it('an endpoint failing for every member is paused as a whole: one probe at a time, until it answers again', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  const { inbox, deliveryOutbox } = members().partnerEvents;
  try {
    const subscriptionId = await subscribe(partner, ['POINTS_CHANGED']);
    partner.status = 503;
    const memberIds = Array.from({ length: 6 }, () => new Types.ObjectId().toHexString());
    for (const memberId of memberIds) {
      await inbox.receive(partnerEvent('points.changed', `points.changed:${memberId}:1`, new Date(now), { memberId, seq: 1, type: 'ADJUST', amount: 1, balanceAfter: 1, purchaseId: null }));
    }
    // one lane after another, so that what each one sees is exact
    const runLanes = async () => {
      for (const memberId of memberIds) await deliveryOutbox.process(laneKey(subscriptionId, memberId));
    };
    await runLanes();
    // five lanes failed in a row: the sixth does not try
    expect(partner.received).toHaveLength(5);
    now += 61_000;
    await runLanes();
    // past the pause, one lane probes (and fails); the others wait for the next pause to end
    expect(partner.received).toHaveLength(6);
    partner.status = 200;
    now += 5 * 60_000 + 1_000;
    await runLanes();
    expect(partner.received).toHaveLength(12);
    expect(partner.accepted.map((e) => e.memberId)).toEqual(memberIds);
  } finally {
    await partner.close();
  }
});
