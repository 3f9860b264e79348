import { randomUUID } from 'node:crypto';
import { outboxItemModel } from '@omo/lib/outbox/outbox-item.model';
import { eventItemKey } from '@omo/purchases/src/smaregi/webhook/webhook-request';
import { FAKE_SMAREGI_WEBHOOK, startFakeSmaregi, type FakeSmaregi } from '../helpers/fake-smaregi';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/** Webhooks in, with register sales of guests (no Smaregi customer): what the endpoint answers and what staff see. */
const CONTRACT = 'sb_skp380c6';

const EVENTS = /* GraphQL */ `
  query Events($outcome: SmaregiEventOutcome) {
    smaregiEvents(outcome: $outcome, first: 20) {
      nodes {
        contractId event action transactionHeadId outcome reason pointsOverdrawn
        purchase { externalId channel status subtotal discount amountPaid refundedAmount store { code } lines { sku name unitPrice quantity refundedQuantity } }
      }
    }
  }
`;

interface EventView {
  transactionHeadId: string | null;
  outcome: string;
  reason: string | null;
  purchase: { externalId: string; status: string; [field: string]: unknown } | null;
  [field: string]: unknown;
}

let fake: FakeSmaregi;
let system: TestSystem;
/** Each delivery comes a second after the one before, so "newest first" has an order to show. */
let offsetMs = 0;
let webhookUrl: string;

beforeAll(async () => {
  fake = await startFakeSmaregi();
  system = await startTestSystem(fake.settings([{ contractId: CONTRACT, stores: { '1': 'SHIBUYA', '9': 'NOWHERE' } }]), undefined, { runBackground: false, clock: () => new Date(Date.now() + offsetMs) });
  webhookUrl = `${system.subgraphs.purchases.url}/webhooks/smaregi`;
  ok(await system.graphql('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' } }, system.adminHeaders()));
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

/** A ¥1,400 sale of two lines (one discounted) at Smaregi store 1, as the fake stores it. */
function putSale(fields: Record<string, string | number | null> = {}): string {
  const head = fake.putTransaction(CONTRACT, {
    subtotal: 1350,
    subtotalDiscountPrice: 100,
    total: 1250,
    terminalId: 2,
    ...fields,
    details: [
      { productId: 11, productCode: '4901234567894', productName: 'ブレンドコーヒー', price: 450, salesPrice: 450, quantity: 2, unitDiscountedSum: 900 },
      { productId: 12, productCode: 'CAKE-01', productName: 'チーズケーキ', price: 500, salesPrice: 500, quantity: 1, unitDiscountPrice: 50, unitDiscountedSum: 450 },
    ],
  });
  return String(head.transactionHeadId);
}

/** Smaregi posts the event; then the event is carried out (it was tried at once: this waits for that try or makes it). */
async function deliver(transactionHeadIds: string[], options: { eventId?: string; action?: string; event?: string } = {}): Promise<{ status: number; body: string }> {
  const eventId = options.eventId ?? randomUUID();
  offsetMs += 1000;
  const answer = await fake.sendWebhook(webhookUrl, { contractId: CONTRACT, event: options.event ?? 'pos:transactions', action: options.action ?? 'created', transactionHeadIds }, { ...FAKE_SMAREGI_WEBHOOK, eventId });
  await system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, eventId), { ignoreBackoff: true });
  return answer;
}

async function events(outcome?: string): Promise<EventView[]> {
  return ok(await system.graphql<{ smaregiEvents: { nodes: EventView[] } }>(EVENTS, { outcome }, system.staffHeaders())).smaregiEvents.nodes;
}

async function entryOf(transactionHeadId: string): Promise<EventView[]> {
  return (await events()).filter((e) => e.transactionHeadId === transactionHeadId);
}

describe('POST /webhooks/smaregi', () => {
  test('a wrong secret, an unknown contract or a body naming another contract: 401, and nothing is recorded', async () => {
    const id = putSale();
    const body = { contractId: CONTRACT, event: 'pos:transactions', action: 'created', transactionHeadIds: [id] };
    const answers = [
      await fake.sendWebhook(webhookUrl, body, { ...FAKE_SMAREGI_WEBHOOK, secret: 'not-the-webhook-secret-at-all' }),
      await fake.sendWebhook(webhookUrl, { ...body, contractId: 'sb_unknown1' }, FAKE_SMAREGI_WEBHOOK),
      await fake.sendWebhook(webhookUrl, body, { ...FAKE_SMAREGI_WEBHOOK, header: 'x-other-header' }),
    ];
    const mismatch = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'smaregi-contract-id': CONTRACT, 'smaregi-event-id': randomUUID(), [FAKE_SMAREGI_WEBHOOK.header]: FAKE_SMAREGI_WEBHOOK.secret },
      body: JSON.stringify({ ...body, contractId: 'sb_another9' }),
    });
    expect([...answers.map((a) => a.status), mismatch.status]).toEqual([401, 401, 401, 401]);
    expect(await outboxItemModel(system.db, 'purchases').countDocuments({ type: 'smaregiEvent' })).toBe(0);
    expect(await events()).toEqual([]);
    expect(fake.apiCalls(CONTRACT)).toEqual([]);
  });

  test('an authenticated webhook that cannot be read (no smaregi-event-id): 400, nothing carried out, and a FAILED entry naming its ids for staff', async () => {
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'smaregi-contract-id': CONTRACT, [FAKE_SMAREGI_WEBHOOK.header]: FAKE_SMAREGI_WEBHOOK.secret },
      body: JSON.stringify({ contractId: CONTRACT, event: 'pos:transactions', action: 'created', transactionHeadIds: ['1'] }),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 400, body: { error: 'Invalid webhook: smaregi-event-id is required' } });
    expect(await outboxItemModel(system.db, 'purchases').countDocuments({ type: 'smaregiEvent' })).toBe(0);
    expect((await events('FAILED')).map((e) => [e.event, e.transactionHeadId, e.reason])).toEqual([
      ['pos:transactions', '1', 'Invalid webhook: smaregi-event-id is required; transactionHeadIds 1: carry it out by hand'],
    ]);
    await system.db.collection('smaregi_event_log').deleteMany({});
    await system.db.collection('smaregi_event_outcomes').deleteMany({});
  });

  test('a guest sale becomes a STORE purchase with the register’s lines; the same event again, another event of it, and an edit double nothing', async () => {
    const id = putSale();
    const eventId = randomUUID();
    expect(await deliver([id], { eventId })).toEqual({ status: 200, body: JSON.stringify({ outcome: 'accepted' }) });
    const [recorded] = await entryOf(id);
    expect(recorded).toEqual({
      contractId: CONTRACT,
      event: 'pos:transactions',
      action: 'created',
      transactionHeadId: id,
      outcome: 'RECORDED',
      reason: 'a guest purchase (no Smaregi customer)',
      pointsOverdrawn: 0,
      purchase: {
        externalId: id.padStart(10, '0'),
        channel: 'STORE',
        status: 'COMPLETED',
        subtotal: 1400,
        discount: 150,
        amountPaid: 1250,
        refundedAmount: 0,
        store: { code: 'SHIBUYA' },
        lines: [
          { sku: '4901234567894', name: 'ブレンドコーヒー', unitPrice: 450, quantity: 2, refundedQuantity: 0 },
          { sku: 'CAKE-01', name: 'チーズケーキ', unitPrice: 500, quantity: 1, refundedQuantity: 0 },
        ],
      },
    });

    expect(await deliver([id], { eventId })).toEqual({ status: 200, body: JSON.stringify({ outcome: 'duplicate' }) });
    await deliver([id]);
    fake.putTransaction(CONTRACT, { transactionHeadId: id, subtotal: 900, total: 900, details: [{ productCode: '4901234567894', productName: 'ブレンドコーヒー', salesPrice: 450, quantity: 2, unitDiscountedSum: 900 }] });
    await deliver([id], { action: 'edited' });
    const entries = await entryOf(id);
    expect(entries.map((e) => [e.outcome, e.reason, e.purchase?.amountPaid])).toEqual([
      ['EDITED_IGNORED', `transaction ${id} was edited after it was recorded: the edit is not applied`, 1250],
      ['DUPLICATE', `transaction ${id} was recorded by an earlier event`, 1250],
      ['RECORDED', 'a guest purchase (no Smaregi customer)', 1250],
    ]);
    expect(await system.db.collection('purchases').countDocuments({ idempotencyKey: `smaregi:${CONTRACT}:${id}` })).toBe(1);
  });

  test('取消 after the sale refunds it in full; 取消 before it was recorded records nothing, even when its sale’s event comes later', async () => {
    const sold = putSale();
    await deliver([sold]);
    putSale({ transactionHeadId: sold, cancelDivision: 1 });
    await deliver([sold], { action: 'canceled' });
    const [cancelled] = await entryOf(sold);
    expect([cancelled!.outcome, cancelled!.purchase?.status, cancelled!.purchase?.refundedAmount]).toEqual(['REFUNDED', 'REFUNDED', 1250]);

    const voided = putSale({ cancelDivision: 1 });
    await deliver([voided], { action: 'canceled' });
    // the sale's late event reads it not voided (a read from before the void): the stored void alone must decide
    putSale({ transactionHeadId: voided, cancelDivision: 0 });
    await deliver([voided], { action: 'created' });
    expect((await entryOf(voided)).map((e) => [e.outcome, e.reason, e.purchase])).toEqual([
      ['IGNORED', `transaction ${voided} was voided at the register before it was recorded`, null],
      ['IGNORED', `transaction ${voided} was voided at the register before it was recorded: nothing to refund; its sale records nothing (or, being recorded at this moment, is refunded)`, null],
    ]);
    expect(await system.db.collection('purchases').countDocuments({ idempotencyKey: `smaregi:${CONTRACT}:${voided}` })).toBe(0);
  });

  test('返品取消: the negative record refunds its original’s purchase in full, once', async () => {
    const original = putSale();
    await deliver([original]);
    const undo = putSale({ disposeDivision: 2, disposeServerTransactionHeadId: original, subtotal: -1350, subtotalDiscountPrice: -100, total: -1250 });
    await deliver([undo]);
    await deliver([undo]);
    const entries = await entryOf(undo);
    expect(entries.map((e) => [e.outcome, e.purchase?.externalId, e.purchase?.status, e.purchase?.refundedAmount])).toEqual([
      ['REFUNDED', original.padStart(10, '0'), 'REFUNDED', 1250],
      ['REFUNDED', original.padStart(10, '0'), 'REFUNDED', 1250],
    ]);
    expect(await system.db.collection('refunds').countDocuments({ idempotencyKey: `smaregi-void:${CONTRACT}:${original}` })).toBe(1);
  });

  test('what is not a sale, a guest’s return, a store not mapped and another event are logged for staff, filterable by outcome', async () => {
    const points = putSale({ transactionHeadDivision: 6 });
    const guestReturn = fake.putTransaction(CONTRACT, { subtotal: -450, total: -450, details: [{ productCode: 'CAKE-01', salesPrice: 450, quantity: -1, unitDiscountedSum: -450, transactionDetailDivision: 2 }] });
    const unmapped = putSale({ storeId: 3 });
    const unknownStore = putSale({ storeId: 9 });
    await deliver([points, String(guestReturn.transactionHeadId), unmapped, unknownStore]);
    await deliver([], { event: 'pos:stock', action: 'updated' });
    expect((await entryOf(points)).map((e) => [e.outcome, e.reason])).toEqual([['IGNORED', 'not a sale (transactionHeadDivision 6)']]);
    expect((await events('UNMATCHED')).map((e) => [e.transactionHeadId, e.reason])).toEqual([[String(guestReturn.transactionHeadId), 'a return without a member: refund it by hand']]);
    expect(new Map((await events('FAILED')).map((e) => [e.transactionHeadId, e.reason]))).toEqual(
      new Map([
        [unknownStore, 'Smaregi store 9 is mapped to NOWHERE: Unknown store: NOWHERE'],
        [unmapped, 'Smaregi store 3 is not mapped to a store of ours (SMAREGI_CONTRACTS stores)'],
      ]),
    );
    expect((await events('IGNORED')).find((e) => e.event === 'pos:stock')).toMatchObject({ transactionHeadId: null, reason: 'event pos:stock is not one the connector reads' });
  });

  test('a pos:customers event is one entry per customer: an attempt stopped by its 15 s budget resumes at the next customer', async () => {
    const customers = [1, 2].map((n) => String(fake.putCustomer(CONTRACT, { customerCode: `WH-${n}`, lastName: '佐藤', firstName: `${n}`, mobileNumber: `090-3000-000${n}` }).customerId));
    const eventId = randomUUID();
    const held = fake.hold({ method: 'GET', path: `/customers/${customers[0]}` });
    offsetMs += 1000;
    // the event as the receiver stores it, its first attempt run here so the test can hold it
    const key = eventItemKey(CONTRACT, eventId);
    const outbox = system.subgraphs.purchases.built.outbox;
    await outbox.enqueue(key, 'smaregiEvent', { contractId: CONTRACT, eventId, event: 'pos:customers', action: 'bulk-update', transactionHeadIds: [], customerIds: customers, receivedAt: new Date(Date.now() + offsetMs).toISOString() });
    const running = outbox.process(key);
    await held.arrived;
    offsetMs += 15_000;
    held.release();
    expect(await running).toMatchObject({ doneAt: null, attempts: 1, lastError: 'carrying on with the rest of the event' });
    const outcomes = async () => (await events()).filter((e) => e.event === 'pos:customers').map((e) => e.outcome).sort();
    expect(await outcomes()).toEqual(['CUSTOMERS_APPLIED', 'RECEIVED']);
    const gets = () => fake.apiCalls(CONTRACT, 'GET').filter((c) => c.path.includes('/customers/')).map((c) => c.path.split('/').pop());
    expect(gets()).toEqual([customers[0]]);
    await outbox.process(key, { ignoreBackoff: true });
    expect(await outcomes()).toEqual(['CUSTOMERS_APPLIED', 'CUSTOMERS_APPLIED']);
    expect(gets()).toEqual(customers);
  });

  test('Smaregi answering 503: the event waits, RECEIVED with the reason, and is carried out when Smaregi answers', async () => {
    const id = putSale();
    const eventId = randomUUID();
    fake.fail({ method: 'GET', path: `/transactions/${id}`, status: 503, times: 'always' });
    await deliver([id], { eventId });
    const [waiting] = await entryOf(id);
    expect([waiting!.outcome, waiting!.reason?.startsWith('waiting: '), waiting!.purchase]).toEqual(['RECEIVED', true, null]);
    fake.clearFailures();
    await system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, eventId), { ignoreBackoff: true });
    const [recorded] = await entryOf(id);
    expect([recorded!.outcome, recorded!.purchase?.amountPaid]).toEqual(['RECORDED', 1250]);
  });
});
