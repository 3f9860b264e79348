import { startFakePartner } from '../helpers/fake-partner';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A topic added to a subscription that already exists (docs/events.md, "Order"): the hold for an earlier
 * points.changed counts from when the topic was added, not from when the subscription was made, so a member's
 * entry from before the topic was followed (never published) does not hold their next one.
 */
let system: TestSystem;
let now = Date.parse('2026-03-02T01:00:00.000Z');

const members = () => system.subgraphs.members.built;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date(now) });
});

afterAll(async () => {
  await system.close();
});

it('a member’s first points change after POINTS_CHANGED is added to a subscription is delivered at once', async () => {
  const partner = await startFakePartner({ now: () => new Date(now) });
  const points = system.subgraphs.points.built.outbox;
  const runOutboxes = async () => {
    await points.drain();
    await members().outbox.drain();
    await members().partnerEvents.deliveryOutbox.drain();
  };
  try {
    const { createWebhookSubscription } = ok(
      await system.graphql<{ createWebhookSubscription: { secret: string; subscription: { id: string } } }>(
        'mutation($url: String!) { createWebhookSubscription(url: $url, topics: [TIER_CHANGED]) { secret subscription { id } } }',
        { url: partner.url },
        system.adminHeaders(),
      ),
    );
    partner.secret = createWebhookSubscription.secret;
    now += 31_000;
    const { registerMember } = ok(
      await system.graphql<{ registerMember: { id: string } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
        { input: { displayName: '会員', email: 'topics-1@example.com', registeredVia: 'ONLINE' } },
        system.staffHeaders(),
      ),
    );
    const memberId = registerMember.id;
    // the sign-up bonus: the member's first entry, while nobody follows points.changed
    await runOutboxes();
    ok(
      await system.graphql(
        'mutation($id: ID!) { updateWebhookSubscription(id: $id, topics: [TIER_CHANGED, POINTS_CHANGED]) { id } }',
        { id: createWebhookSubscription.subscription.id },
        system.adminHeaders(),
      ),
    );
    now += 31_000;
    ok(
      await system.graphql(
        'mutation($memberId: ID!) { adjustPoints(memberId: $memberId, amount: 30, reason: "調整", idempotencyKey: "topics-1") { account { balance } } }',
        { memberId },
        system.staffHeaders(),
      ),
    );
    await runOutboxes();
    expect(partner.accepted.map((e) => [e.id, (e.data as { amount: number; balanceAfter: number }).amount, (e.data as { balanceAfter: number }).balanceAfter])).toEqual([
      [`points.changed:${memberId}:2`, 30, 130],
    ]);
  } finally {
    await partner.close();
  }
});
