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
