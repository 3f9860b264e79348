import { pointsContract } from '@omo/lib/contracts/points';
import { internalClient } from '@omo/lib/server/internal-api';
import { startFakePartner, type FakePartner } from '../helpers/fake-partner';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * tier.changed end to end (docs/events.md): purchases and refunds through the gateway move a member's qualifying
 * spend across the default thresholds (SILVER 50,000, GOLD 150,000 yen over 365 days), a signed event reaches a
 * receiver subscribed through the gateway; time passing is the system's injected clock, and the tier job and the
 * outboxes are run here explicitly.
 */
let system: TestSystem;
let partner: FakePartner;
let now = Date.parse('2026-03-02T01:00:00.000Z');
let storeId: string;
let registered = 0;

const DAY_MS = 86_400_000;

async function runOutboxes(): Promise<void> {
  for (let round = 0; round < 3; round += 1) {
    await system.subgraphs.purchases.built.outbox.drain();
    await system.subgraphs.points.built.outbox.drain();
    await system.subgraphs.members.built.outbox.drain();
    await system.subgraphs.members.built.partnerEvents.deliveryOutbox.drain();
  }
}

async function register(): Promise<string> {
  registered += 1;
  const { registerMember } = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: `ランク${registered}`, email: `tier-${registered}@example.com`, registeredVia: 'STORE', registeredStoreId: storeId } },
      system.staffHeaders(),
    ),
  );
  return registerMember.id;
}

async function buy(memberId: string, idempotencyKey: string, yen: number): Promise<string> {
  const { recordPurchase } = ok(
    await system.graphql<{ recordPurchase: { id: string; status: string } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }',
      {
        input: {
          idempotencyKey,
          storeId,
          memberId,
          lines: [{ sku: 'COAT', name: 'コート', unitPrice: yen, quantity: 1 }],
          total: yen,
          occurredAt: new Date(now).toISOString(),
        },
      },
      system.staffHeaders(),
    ),
  );
  expect(recordPurchase.status).toBe('COMPLETED');
  return recordPurchase.id;
}

async function tierOf(memberId: string): Promise<string> {
  const { member } = ok(await system.graphql<{ member: { points: { tier: string } } }>('query($id: ID!) { member(id: $id) { points { tier } } }', { id: memberId }, system.staffHeaders()));
  return member.points.tier;
}

/** What the receiver accepted for a member: each event's id and data, the time fields checked apart. */
function acceptedFor(memberId: string): { id: unknown; data: Record<string, unknown> }[] {
  return partner.accepted.filter((e) => e.memberId === memberId).map((e) => ({ id: e.id, data: e.data as Record<string, unknown> }));
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date(now) });
  const { createStore } = ok(
    await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'GINZA', name: '銀座店', kind: 'PHYSICAL' } }, system.adminHeaders()),
  );
  storeId = createStore.id;
  partner = await startFakePartner({ now: () => new Date(now) });
  const { createWebhookSubscription } = ok(
    await system.graphql<{ createWebhookSubscription: { secret: string } }>(
      'mutation($url: String!) { createWebhookSubscription(url: $url, topics: [TIER_CHANGED], description: "CRM") { secret } }',
      { url: partner.url },
      system.adminHeaders(),
    ),
  );
  partner.secret = createWebhookSubscription.secret;
  // past the publishers' 30 s topic cache
  now += 31_000;
});

afterAll(async () => {
  await partner.close();
  await system.close();
});

describe('a purchase crossing the GOLD threshold, retried, then refunded below it', () => {
  let memberId: string;
  let purchaseId: string;
  let boughtAt: string;

  beforeAll(async () => {
    memberId = await register();
    now += 1_000;
    boughtAt = new Date(now).toISOString();
    purchaseId = await buy(memberId, 'tier-sale-1', 150_000);
    await runOutboxes();
  });

  it('delivers one signed tier.changed REGULAR → GOLD, after the purchase’s points entry', async () => {
    expect(await tierOf(memberId)).toBe('GOLD');
    const requests = partner.received.filter((r) => r.raw.includes(memberId));
    expect(requests.map((r) => [r.eventId, r.topic, r.status, r.check.valid])).toEqual([[`tier.changed:${memberId}:1`, 'tier.changed', 200, true]]);
    expect(partner.accepted.filter((e) => e.memberId === memberId)).toEqual([
      {
        id: `tier.changed:${memberId}:1`,
        topic: 'tier.changed',
        memberId,
        sequence: expect.any(Number),
        occurredAt: boughtAt,
        // the member's ledger: 1 the sign-up bonus, 2 this purchase's EARN
        data: { memberId, from: 'REGULAR', to: 'GOLD', reason: 'PURCHASE', qualifyingSpend: 150_000, ledgerSeq: 2, at: boughtAt },
      },
    ]);
  });

  it('the settlement sent again by purchases (its answer lost), twice at once, delivers no second event', async () => {
    const points = internalClient(pointsContract, { directory: { baseUrl: () => system.subgraphs.points.url }, internalSecret: system.config.INTERNAL_SECRET, service: 'purchases' });
    const settle = () =>
      points.settle({
        purchaseId,
        memberId,
        storeId,
        channel: 'STORE',
        amount: 150_000,
        pointsToRedeem: 0,
        occurredAt: boughtAt,
        actor: 'staff:staff-1',
        lines: [{ sku: 'COAT', category: null, unitPrice: 150_000, quantity: 1 }],
      });
    now += 1_000;
    const results = await Promise.all([settle(), settle()]);
    // 1 point per ¥100 at REGULAR, the member's tier before this purchase: the entry written the first time
    expect(results.map((r) => r.pointsEarned)).toEqual([1_500, 1_500]);
    await runOutboxes();
    expect(acceptedFor(memberId).map((e) => e.id)).toEqual([`tier.changed:${memberId}:1`]);
    expect(await system.db.collection('tier_changes').countDocuments({ memberId })).toBe(1);
  });

  it('a refund taking the spend below GOLD delivers one GOLD → SILVER', async () => {
    now += 60_000;
    const refundedAt = new Date(now).toISOString();
    ok(
      await system.graphql(
        'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id } }',
        { input: { purchaseId, idempotencyKey: 'tier-refund-1', amount: 1_000 } },
        system.staffHeaders(),
      ),
    );
    await runOutboxes();
    expect(await tierOf(memberId)).toBe('SILVER');
    expect(acceptedFor(memberId)).toEqual([
      expect.objectContaining({ id: `tier.changed:${memberId}:1` }),
      {
        id: `tier.changed:${memberId}:2`,
        // 3: the refund's REVERSAL of the earned points
        data: { memberId, from: 'GOLD', to: 'SILVER', reason: 'REFUND', qualifyingSpend: 149_000, ledgerSeq: 3, at: refundedAt },
      },
    ]);
    const [first, second] = partner.accepted.filter((e) => e.memberId === memberId) as { sequence: number }[];
    expect(first!.sequence).toBeLessThan(second!.sequence);
  });
});

describe('time passing beyond the window, with no purchase', () => {
  let memberId: string;
  let boughtAt: number;

  beforeAll(async () => {
    memberId = await register();
    now += 1_000;
    boughtAt = now;
    await buy(memberId, 'tier-sale-2', 60_000);
    await runOutboxes();
  });

  it('the job finds nothing while the spend is in the window', async () => {
    expect(acceptedFor(memberId).map((e) => [e.data.from, e.data.to, e.data.reason])).toEqual([['REGULAR', 'SILVER', 'PURCHASE']]);
    now = boughtAt + 364 * DAY_MS;
    expect(await system.subgraphs.points.built.tierChanges.run(new Date(now))).toMatchObject({ changes: 0 });
    await runOutboxes();
    expect(acceptedFor(memberId)).toHaveLength(1);
  });

  it('once the purchase leaves the 365-day window the job delivers one SILVER → REGULAR; a second run nothing more', async () => {
    now = boughtAt + 365 * DAY_MS + 1_000;
    const droppedAt = new Date(now).toISOString();
    expect(await tierOf(memberId)).toBe('REGULAR');
    expect(await system.subgraphs.points.built.tierChanges.run(new Date(now))).toMatchObject({ changes: 2 });
    await runOutboxes();
    expect(acceptedFor(memberId)).toEqual([
      expect.objectContaining({ id: `tier.changed:${memberId}:1` }),
      { id: `tier.changed:${memberId}:2`, data: { memberId, from: 'SILVER', to: 'REGULAR', reason: 'EXPIRY', qualifyingSpend: 0, ledgerSeq: 2, at: droppedAt } },
    ]);

    expect(await system.subgraphs.points.built.tierChanges.run(new Date(now))).toMatchObject({ changes: 0 });
    await runOutboxes();
    expect(acceptedFor(memberId)).toHaveLength(2);
    expect(partner.received.filter((r) => r.raw.includes(memberId))).toHaveLength(2);
  });
});

describe('members down for the first of a member’s two tier changes', () => {
  it('the receiver still gets change 1 (REGULAR → GOLD), then change 2 (GOLD → SILVER)', async () => {
    const memberId = await register();
    await runOutboxes();
    const { inbox } = system.subgraphs.members.built.partnerEvents;
    const receive = inbox.receive.bind(inbox);
    const firstId = `tier.changed:${memberId}:1`;
    const down = jest.spyOn(inbox, 'receive').mockImplementation((event) => (event.id === firstId ? Promise.reject(new Error('members is restarting')) : receive(event)));
    now += 1_000;
    const purchaseId = await buy(memberId, 'tier-order-sale', 150_000);
    // the change's item, then the event's item it queues
    await system.subgraphs.points.built.outbox.drain();
    await system.subgraphs.points.built.outbox.drain();
    expect(down.mock.calls.map(([event]) => event.id)).toContain(firstId);
    down.mockRestore();
    now += 1_000;
    ok(
      await system.graphql(
        'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id } }',
        { input: { purchaseId, idempotencyKey: 'tier-order-refund', amount: 1_000 } },
        system.staffHeaders(),
      ),
    );
    // the second change's item is due now, the first's only after its back-off: the second reaches members first
    await runOutboxes();
    now += 120_000;
    await runOutboxes();
    expect(acceptedFor(memberId).map((e) => [e.id, e.data.from, e.data.to])).toEqual([
      [`tier.changed:${memberId}:1`, 'REGULAR', 'GOLD'],
      [`tier.changed:${memberId}:2`, 'GOLD', 'SILVER'],
    ]);
  });
});
