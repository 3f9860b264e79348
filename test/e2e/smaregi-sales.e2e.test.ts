import { randomUUID } from 'node:crypto';
import { eventItemKey } from '@omo/purchases/src/smaregi/webhook/webhook-request';
import { FAKE_SMAREGI_WEBHOOK, startFakeSmaregi, type FakeSmaregi } from '../helpers/fake-smaregi';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A Smaregi register's sales through the whole system: the webhook, the sale read back from the fake Smaregi API,
 * the purchase and its points as the member sees them through the gateway, and our balance back in Smaregi.
 */
const CONTRACT = 'sb_sales0001';

const EVENTS = /* GraphQL */ `
  query Events { smaregiEvents(first: 20) { nodes { transactionHeadId outcome reason pointsOverdrawn purchase { id } } } }
`;
const PURCHASE = /* GraphQL */ `
  query Purchase($id: ID!) {
    purchase(id: $id) {
      channel status subtotal discount pointsApplied amountPaid refundedAmount pointsEarned pointsRedeemed pointsOverdrawn
      store { code }
      lines { sku name unitPrice quantity refundedQuantity }
      member { points { balance } }
    }
  }
`;

interface EventView {
  transactionHeadId: string | null;
  outcome: string;
  reason: string | null;
  pointsOverdrawn: number;
  purchase: { id: string } | null;
}

let fake: FakeSmaregi;
let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  fake = await startFakeSmaregi();
  system = await startTestSystem(fake.settings([{ contractId: CONTRACT, stores: { '1': 'SHIBUYA' }, createCustomers: false }]), undefined, { runBackground: false });
  storeId = ok(
    await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' } }, system.adminHeaders()),
  ).createStore.id;
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

/** Every outbox (points' marks, purchases' settlements and pushes, members') run until none completes anything. */
async function settleAll(): Promise<void> {
  for (let round = 0; round < 20; round += 1) {
    const done = (await Promise.all([system.subgraphs.points.built.outbox.drain(), system.subgraphs.purchases.built.outbox.drain(), system.subgraphs.members.built.outbox.drain()])).reduce((a, b) => a + b, 0);
    if (done === 0) return;
  }
}

let sequence = 0;
/** A member registered at the store (100 points sign-up bonus), given `points` in all, and their card as a Smaregi customer. */
async function memberWithCustomer(points: number): Promise<{ memberId: string; customerId: string }> {
  sequence += 1;
  const member = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: `山田${sequence}`, phone: `090-2000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
      system.staffHeaders(),
    ),
  ).registerMember;
  await settleAll();
  if (points !== 100) {
    ok(
      await system.graphql(
        'mutation($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "welcome", idempotencyKey: $key) { transaction { id } } }',
        { memberId: member.id, amount: points - 100, key: `welcome-${sequence}` },
        system.adminHeaders(),
      ),
    );
  }
  const customer = fake.putCustomer(CONTRACT, { customerCode: member.memberCode, lastName: '山田', firstName: String(sequence), point: points });
  return { memberId: member.id, customerId: String(customer.customerId) };
}

/** A ¥1,400 sale (¥150 off) of the customer's at Smaregi store 1, spending `spendPoint` points, as the register sends it. */
function putSale(customerId: string, spendPoint: number, fields: Record<string, string | number> = {}): string {
  return String(
    fake.putTransaction(CONTRACT, {
      customerId,
      subtotal: 1350,
      subtotalDiscountPrice: 100,
      pointDiscount: spendPoint,
      spendPoint,
      total: 1250 - spendPoint,
      // Smaregi's own points, ignored: ours are earned by our rules
      newPoint: 12,
      ...fields,
      details: [
        { productId: 11, productCode: '4901234567894', productName: 'ブレンドコーヒー', price: 450, salesPrice: 450, quantity: 2, unitDiscountedSum: 900 },
        { productId: 12, productCode: 'CAKE-01', productName: 'チーズケーキ', price: 500, salesPrice: 500, quantity: 1, unitDiscountPrice: 50, unitDiscountedSum: 450 },
      ],
    }).transactionHeadId,
  );
}

async function deliver(transactionHeadIds: string[], action = 'created'): Promise<number> {
  const eventId = randomUUID();
  const answer = await fake.sendWebhook(`${system.subgraphs.purchases.url}/webhooks/smaregi`, { contractId: CONTRACT, event: 'pos:transactions', action, transactionHeadIds }, { ...FAKE_SMAREGI_WEBHOOK, eventId });
  await system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, eventId), { ignoreBackoff: true });
  await settleAll();
  return answer.status;
}

async function entriesOf(transactionHeadId: string): Promise<EventView[]> {
  return ok(await system.graphql<{ smaregiEvents: { nodes: EventView[] } }>(EVENTS, {}, system.staffHeaders())).smaregiEvents.nodes.filter((e) => e.transactionHeadId === transactionHeadId);
}

async function purchaseAsMember(purchaseId: string, memberId: string): Promise<Record<string, unknown>> {
  return ok(await system.graphql<{ purchase: Record<string, unknown> }>(PURCHASE, { id: purchaseId }, system.customerHeaders(memberId))).purchase;
}

describe('Smaregi register sales', () => {
  let member: { memberId: string; customerId: string };
  let saleId: string;
  let purchaseId: string;

  it('a sale with points used: the purchase with the register’s lines, the redemption and our earn; Smaregi’s point field ends at our balance', async () => {
    member = await memberWithCustomer(500);
    saleId = putSale(member.customerId, 200);
    expect(await deliver([saleId])).toBe(200);
    const [entry] = await entriesOf(saleId);
    expect(entry).toMatchObject({ outcome: 'RECORDED', reason: null, pointsOverdrawn: 0 });
    purchaseId = entry!.purchase!.id;
    expect(await purchaseAsMember(purchaseId, member.memberId)).toEqual({
      channel: 'STORE',
      status: 'COMPLETED',
      subtotal: 1400,
      discount: 150,
      pointsApplied: 200,
      amountPaid: 1050,
      refundedAmount: 0,
      // one point a ¥100 paid in money, not Smaregi's newPoint
      pointsEarned: 10,
      pointsRedeemed: 200,
      pointsOverdrawn: 0,
      store: { code: 'SHIBUYA' },
      lines: [
        { sku: '4901234567894', name: 'ブレンドコーヒー', unitPrice: 450, quantity: 2, refundedQuantity: 0 },
        { sku: 'CAKE-01', name: 'チーズケーキ', unitPrice: 500, quantity: 1, refundedQuantity: 0 },
      ],
      member: { points: { balance: 310 } },
    });
    expect(fake.pointOf(CONTRACT, member.customerId)).toBe(310);
  });

  it('the same sale delivered again and then edited at the register: nothing doubles', async () => {
    await deliver([saleId]);
    putSale(member.customerId, 300, { transactionHeadId: saleId });
    await deliver([saleId], 'edited');
    expect((await entriesOf(saleId)).map((e) => e.outcome).sort()).toEqual(['DUPLICATE', 'EDITED_IGNORED', 'RECORDED']);
    expect(await purchaseAsMember(purchaseId, member.memberId)).toMatchObject({ pointsRedeemed: 200, pointsEarned: 10, amountPaid: 1050, member: { points: { balance: 310 } } });
    expect(fake.pointOf(CONTRACT, member.customerId)).toBe(310);
  });

  it('a return at the register refunds those units on the member’s purchase, and Smaregi’s balance follows', async () => {
    const returned = String(
      fake.putTransaction(CONTRACT, {
        customerId: member.customerId,
        subtotal: -450,
        total: -450,
        returnAmount: 450,
        details: [{ productId: 12, productCode: 'CAKE-01', productName: 'チーズケーキ', price: 500, salesPrice: 500, quantity: -1, unitDiscountPrice: 50, unitDiscountedSum: -450, transactionDetailDivision: 2 }],
      }).transactionHeadId,
    );
    await deliver([returned]);
    expect((await entriesOf(returned)).map((e) => [e.outcome, e.purchase?.id])).toEqual([['REFUNDED', purchaseId]]);
    const refunded = await purchaseAsMember(purchaseId, member.memberId);
    // the cake's share of the ¥1,250 total: floor(1250 × 500 / 1400) = 446. The points the cake earned back: of the
    // ¥1,050 paid the coffees' share 675 earned 6.75, floored to 6, the cake 10 − 6 = 4; and floor(200 × 446 / 1250)
    // = 71 redeemed returned: 310 − 4 + 71
    expect(refunded).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 446, member: { points: { balance: 377 } } });
    expect((refunded.lines as { sku: string; refundedQuantity: number }[]).map((l) => [l.sku, l.refundedQuantity])).toEqual([
      ['4901234567894', 0],
      ['CAKE-01', 1],
    ]);
    expect(fake.pointOf(CONTRACT, member.customerId)).toBe(377);
  });

  it('a return voided at the register after its refund: FAILED for staff, and its sale is not refunded any further', async () => {
    const returned = String(
      fake.putTransaction(CONTRACT, {
        customerId: member.customerId,
        subtotal: -450,
        total: -450,
        details: [{ productId: 11, productCode: '4901234567894', productName: 'ブレンドコーヒー', price: 450, salesPrice: 450, quantity: -1, unitDiscountedSum: -450, transactionDetailDivision: 2 }],
      }).transactionHeadId,
    );
    await deliver([returned]);
    const refunded = await purchaseAsMember(purchaseId, member.memberId);
    // a coffee's share, cumulative: floor(1250 × 950 / 1400) − 446 = 402; one of the two coffees' 6 points, floor(6 × 1
    // / 2) = 3, earned back and floor(200 × 848 / 1250) − 71 = 64 redeemed returned: 377 − 3 + 64
    expect(refunded).toMatchObject({ refundedAmount: 848, member: { points: { balance: 438 } } });
    fake.putTransaction(CONTRACT, { transactionHeadId: returned, cancelDivision: 1, customerId: member.customerId, subtotal: -450, total: -450, details: [] });
    await deliver([returned], 'canceled');
    expect((await entriesOf(returned)).map((e) => [e.outcome, e.reason])).toEqual([
      ['FAILED', `return ${returned} was voided at the register after its refund was recorded: staff must correct the purchase`],
      ['REFUNDED', null],
    ]);
    expect(await purchaseAsMember(purchaseId, member.memberId)).toEqual(refunded);
  });

  it('a return of units no purchase of the member has left is UNMATCHED, for staff, and changes nothing', async () => {
    const returned = String(
      fake.putTransaction(CONTRACT, {
        customerId: member.customerId,
        subtotal: -300,
        total: -300,
        details: [{ productId: 13, productCode: 'SCONE-01', productName: 'スコーン', price: 300, salesPrice: 300, quantity: -1, unitDiscountedSum: -300, transactionDetailDivision: 2 }],
      }).transactionHeadId,
    );
    await deliver([returned]);
    expect((await entriesOf(returned)).map((e) => [e.outcome, e.reason, e.purchase])).toEqual([['UNMATCHED', 'no purchase of this member from Smaregi has 1 × SCONE-01 left to refund', null]]);
    expect(fake.pointOf(CONTRACT, member.customerId)).toBe(438);
  });

  it('a return whose 返品取消 was carried out before it refunds nothing: both IGNORED, the purchase as it was', async () => {
    const buyer = await memberWithCustomer(100);
    const sale = putSale(buyer.customerId, 0);
    await deliver([sale]);
    const saleEntry = (await entriesOf(sale))[0]!;
    const returned = String(
      fake.putTransaction(CONTRACT, {
        customerId: buyer.customerId,
        subtotal: -450,
        total: -450,
        details: [{ productId: 12, productCode: 'CAKE-01', productName: 'チーズケーキ', price: 500, salesPrice: 500, quantity: -1, unitDiscountPrice: 50, unitDiscountedSum: -450, transactionDetailDivision: 2 }],
      }).transactionHeadId,
    );
    const undo = String(
      fake.putTransaction(CONTRACT, {
        customerId: buyer.customerId,
        disposeDivision: 2,
        disposeServerTransactionHeadId: returned,
        subtotal: 450,
        total: 450,
        details: [{ productId: 12, productCode: 'CAKE-01', productName: 'チーズケーキ', price: 500, salesPrice: 500, quantity: 1, unitDiscountPrice: 50, unitDiscountedSum: 450 }],
      }).transactionHeadId,
    );
    await deliver([undo]);
    await deliver([returned]);
    expect((await entriesOf(returned)).map((e) => e.outcome)).toEqual(['IGNORED']);
    expect(await purchaseAsMember(saleEntry.purchase!.id, buyer.memberId)).toMatchObject({ status: 'COMPLETED', refundedAmount: 0 });
  });

  it('two events of one sale carried out at the same moment: one purchase, its points earned once', async () => {
    const sale = putSale(member.customerId, 0);
    const url = `${system.subgraphs.purchases.url}/webhooks/smaregi`;
    const ids = [randomUUID(), randomUUID()];
    const body = { contractId: CONTRACT, event: 'pos:transactions', action: 'created', transactionHeadIds: [sale] };
    await Promise.all(ids.map((eventId) => fake.sendWebhook(url, body, { ...FAKE_SMAREGI_WEBHOOK, eventId })));
    await Promise.all(ids.map((eventId) => system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, eventId), { ignoreBackoff: true })));
    await settleAll();
    const entries = await entriesOf(sale);
    expect(entries.map((e) => e.outcome).sort()).toEqual(['DUPLICATE', 'RECORDED']);
    expect(entries[0]!.purchase!.id).toBe(entries[1]!.purchase!.id);
    // ¥1,250 paid: 12 points, once
    expect(await purchaseAsMember(entries[0]!.purchase!.id, member.memberId)).toMatchObject({ pointsEarned: 12, member: { points: { balance: 450 } } });
    expect(fake.pointOf(CONTRACT, member.customerId)).toBe(450);
  });

  it('a 取消 carried out while its sale is being recorded: the sale ends refunded in full, its points back as they were', async () => {
    const racer = await memberWithCustomer(500);
    const sale = putSale(racer.customerId, 200);
    // the sale's event waits in the middle, on Smaregi's answer about its (not yet linked) customer
    const held = fake.hold({ method: 'GET', path: `/customers/${racer.customerId}` });
    const saleEvent = randomUUID();
    const url = `${system.subgraphs.purchases.url}/webhooks/smaregi`;
    await fake.sendWebhook(url, { contractId: CONTRACT, event: 'pos:transactions', action: 'created', transactionHeadIds: [sale] }, { ...FAKE_SMAREGI_WEBHOOK, eventId: saleEvent });
    await held.arrived;
    putSale(racer.customerId, 200, { transactionHeadId: sale, cancelDivision: 1 });
    const cancelEvent = randomUUID();
    await fake.sendWebhook(url, { contractId: CONTRACT, event: 'pos:transactions', action: 'canceled', transactionHeadIds: [sale] }, { ...FAKE_SMAREGI_WEBHOOK, eventId: cancelEvent });
    await system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, cancelEvent), { ignoreBackoff: true });
    held.release();
    await system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, saleEvent), { ignoreBackoff: true });
    await settleAll();
    const entries = await entriesOf(sale);
    expect(entries.map((e) => e.outcome).sort()).toEqual(['IGNORED', 'REFUNDED']);
    const refunded = entries.find((e) => e.outcome === 'REFUNDED')!.purchase!.id;
    expect(await purchaseAsMember(refunded, racer.memberId)).toMatchObject({ status: 'REFUNDED', refundedAmount: 1250, member: { points: { balance: 500 } } });
    expect(fake.pointOf(CONTRACT, racer.customerId)).toBe(500);
  });

  it('the register spent more points than the member had: the sale is recorded, the rest owed, and staff see it; a POS integrator is still refused', async () => {
    const stale = await memberWithCustomer(100);
    const sale = putSale(stale.customerId, 300);
    await deliver([sale]);
    const [entry] = await entriesOf(sale);
    expect(entry).toMatchObject({ outcome: 'OVERDRAWN', reason: 'the register spent 200 points more than the member had: they are owed', pointsOverdrawn: 200 });
    expect(await purchaseAsMember(entry!.purchase!.id, stale.memberId)).toMatchObject({ status: 'COMPLETED', pointsRedeemed: 300, pointsOverdrawn: 200, amountPaid: 950, pointsEarned: 9 });
    const balance = ((await purchaseAsMember(entry!.purchase!.id, stale.memberId)).member as { points: { balance: number } }).points.balance;
    expect(balance).toBe(-191);
    // Smaregi cannot show points owed: its field is set to 0
    expect(fake.pointOf(CONTRACT, stale.customerId)).toBe(0);

    const pos = await system.posHeaders([storeId]);
    const code = ok(await system.graphql<{ member: { card: { code: string } } }>('query($id: ID!) { member(id: $id) { card { code } } }', { id: stale.memberId }, system.staffHeaders())).member.card.code;
    const refused = await system.graphql(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }',
      { input: { idempotencyKey: 'pos-1', storeId, memberCode: code, lines: [{ sku: 'TEA-01', name: 'お茶', unitPrice: 300, quantity: 1 }], total: 300, pointsToRedeem: 50 } },
      pos,
    );
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['INSUFFICIENT_POINTS']);
  });

  it('a return carried out again while its first run’s match is not visible yet: the one purchase the first run matched is refunded, never a second', async () => {
    const twice = await memberWithCustomer(500);
    const older = putSale(twice.customerId, 0);
    await deliver([older]);
    const newer = putSale(twice.customerId, 0);
    await deliver([newer]);
    const [olderId, newerId] = [(await entriesOf(older))[0]!.purchase!.id, (await entriesOf(newer))[0]!.purchase!.id];
    const returned = String(
      fake.putTransaction(CONTRACT, {
        customerId: twice.customerId,
        subtotal: -450,
        total: -450,
        details: [{ productId: 12, productCode: 'CAKE-01', productName: 'チーズケーキ', price: 500, salesPrice: 500, quantity: -1, unitDiscountPrice: 50, unitDiscountedSum: -450, transactionDetailDivision: 2 }],
      }).transactionHeadId,
    );
    await deliver([returned]);
    // the second run reads the link before the first inserted it (a lease taken over), and matches after its refund
    const links = system.subgraphs.purchases.built.models.purchases.db.model('SmaregiTransactionLink');
    const missed = jest.spyOn(links, 'findById').mockImplementationOnce(() => ({ lean: () => ({ exec: () => Promise.resolve(null) }) }) as never);
    await deliver([returned]);
    missed.mockRestore();
    const entries = await entriesOf(returned);
    // both sales were rung up within the same second: either may be the one matched, but only that one is refunded
    const matched = entries[0]!.purchase!.id;
    expect(entries.map((e) => [e.outcome, e.purchase?.id])).toEqual([
      ['REFUNDED', matched],
      ['REFUNDED', matched],
    ]);
    expect(await purchaseAsMember(matched, twice.memberId)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 446 });
    expect(await purchaseAsMember(matched === newerId ? olderId : newerId, twice.memberId)).toMatchObject({ status: 'COMPLETED', refundedAmount: 0 });
  });

  it('a sale delivered again after its customer was relinked to another member (a merge): DUPLICATE, the purchase as first recorded', async () => {
    const merged = await memberWithCustomer(500);
    const survivor = await memberWithCustomer(100);
    const sale = putSale(merged.customerId, 0);
    await deliver([sale]);
    await system.subgraphs.purchases.built.models.purchases.db.collection('smaregi_customers').updateOne({ _id: `${CONTRACT}:${merged.customerId}` } as never, { $set: { memberId: survivor.memberId } });
    await deliver([sale]);
    const entries = await entriesOf(sale);
    expect(entries.map((e) => e.outcome).sort()).toEqual(['DUPLICATE', 'RECORDED']);
    expect(entries[0]!.purchase!.id).toBe(entries[1]!.purchase!.id);
    expect(await purchaseAsMember(entries[0]!.purchase!.id, merged.memberId)).toMatchObject({ pointsEarned: 12, member: { points: { balance: 512 } } });
  });

  it('a ポイント加算 of 500 at the register for a linked member: IGNORED, and Smaregi’s point field is set back to our balance', async () => {
    const added = await memberWithCustomer(300);
    // the customer's first sale links it (12 points earned)
    await deliver([putSale(added.customerId, 0)]);
    expect(fake.pointOf(CONTRACT, added.customerId)).toBe(312);
    const change = String(fake.putTransaction(CONTRACT, { transactionHeadDivision: 6, customerId: added.customerId, newPoint: 500, subtotal: 0, total: 0, details: [] }).transactionHeadId);
    expect(fake.pointOf(CONTRACT, added.customerId)).toBe(812);
    await deliver([change]);
    expect((await entriesOf(change)).map((e) => [e.outcome, e.reason])).toEqual([['IGNORED', 'not a sale (transactionHeadDivision 6)']]);
    expect(fake.pointOf(CONTRACT, added.customerId)).toBe(312);
  });

  it('a sale edited at the register while Smaregi refuses the point feature (403): EDITED_IGNORED with its purchase, the reconcile left to retry on its own', async () => {
    const edited = await memberWithCustomer(300);
    const sale = putSale(edited.customerId, 0);
    await deliver([sale]);
    const [recorded] = await entriesOf(sale);
    expect(recorded!.outcome).toBe('RECORDED');
    putSale(edited.customerId, 100, { transactionHeadId: sale });
    fake.fail({ method: 'GET', path: '/customers/point', status: 403, times: 'always' });
    try {
      await deliver([sale], 'edited');
      const entries = await entriesOf(sale);
      expect(entries.map((e) => [e.outcome, e.purchase?.id]).sort()).toEqual([
        ['EDITED_IGNORED', recorded!.purchase!.id],
        ['RECORDED', recorded!.purchase!.id],
      ]);
      const reconcile = await system.subgraphs.purchases.built.outbox.find(`smaregi-reconcile:${CONTRACT}:${edited.customerId}`);
      // a contract-wide refusal: again in 10 minutes, as a push
      expect(reconcile).toMatchObject({ doneAt: null, lastError: 'Forbidden' });
      expect(reconcile!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    } finally {
      fake.clearFailures();
    }
    await system.subgraphs.purchases.built.outbox.process(`smaregi-reconcile:${CONTRACT}:${edited.customerId}`, { ignoreBackoff: true });
    await settleAll();
    expect(fake.pointOf(CONTRACT, edited.customerId)).toBe(312);
  });

  it('a sale delivered again (DUPLICATE) arms no reconcile: its pre-sale point field in Smaregi is not taken for a register change', async () => {
    const twice = await memberWithCustomer(300);
    const sale = putSale(twice.customerId, 0);
    await deliver([sale]);
    await deliver([sale]);
    expect((await entriesOf(sale)).map((e) => e.outcome).sort()).toEqual(['DUPLICATE', 'RECORDED']);
    expect(await system.subgraphs.purchases.built.outbox.find(`smaregi-reconcile:${CONTRACT}:${twice.customerId}`)).toBeNull();
    expect(fake.pointOf(CONTRACT, twice.customerId)).toBe(312);
  });

  it('a POS integrator cannot take a connector key (smaregi:<contract>:<id>) before the connector does', async () => {
    const sale = putSale((await memberWithCustomer(100)).customerId, 0);
    const refused = await system.graphql(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }',
      { input: { idempotencyKey: `smaregi:${CONTRACT}:${sale}`, storeId, lines: [{ sku: 'TEA-01', name: 'お茶', unitPrice: 300, quantity: 1 }], total: 300 } },
      await system.posHeaders([storeId]),
    );
    expect(refused.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'idempotencyKey']]);
    await deliver([sale]);
    expect((await entriesOf(sale)).map((e) => e.outcome)).toEqual(['RECORDED']);
  });

  it('a wrong secret or an unknown contract: 401, and nothing is recorded', async () => {
    const sale = putSale(member.customerId, 0);
    const body = { contractId: CONTRACT, event: 'pos:transactions', action: 'created', transactionHeadIds: [sale] };
    const url = `${system.subgraphs.purchases.url}/webhooks/smaregi`;
    const wrongSecret = await fake.sendWebhook(url, body, { ...FAKE_SMAREGI_WEBHOOK, secret: 'a-guess-at-the-webhook-secret' });
    const unknownContract = await fake.sendWebhook(url, { ...body, contractId: 'sb_notours01' }, FAKE_SMAREGI_WEBHOOK);
    await settleAll();
    expect([wrongSecret.status, unknownContract.status]).toEqual([401, 401]);
    expect(await entriesOf(sale)).toEqual([]);
    expect(fake.apiCalls(CONTRACT, 'GET').filter((c) => c.path.endsWith(`/transactions/${sale}`))).toEqual([]);
  });
});
