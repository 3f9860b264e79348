import { Types } from 'mongoose';
import { ledgerEntryModel } from '@omo/points/src/models/ledger-entry.model';
import { pointAccountModel } from '@omo/points/src/models/point-account.model';
import { verifyLedger } from '@omo/points/src/services/ledger-verify';
import { ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * Receipt claims that died half way, raced a refund, or guessed: the states a crash or a race leaves are written
 * into the database as the code would have left them, then the real services carry on from them.
 */
const RECORD = 'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id receiptClaim { code } } }';
const CLAIM = 'mutation($code: String!) { claimPurchase(code: $code) { id status } }';
const ACCOUNT = '{ me { points { balance history(first: 20) { nodes { type amount purchaseId } } } } }';

let system: TestSystem;
let now = new Date('2026-06-01T03:00:00.000Z');
let storeId: string;
let pos: Record<string, string>;
let sequence = 0;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  storeId = ok(await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL' } }, system.adminHeaders())).createStore.id;
  pos = await system.posHeaders([storeId]);
});
afterAll(() => system?.close());

async function guestSale(yen: number): Promise<{ id: string; code: string }> {
  sequence += 1;
  const input = { idempotencyKey: `recovery-${sequence}`, storeId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: yen, quantity: 1 }], total: yen };
  const { recordPurchase } = ok(await system.graphql<{ recordPurchase: { id: string; receiptClaim: { code: string } } }>(RECORD, { input }, pos));
  return { id: recordPurchase.id, code: recordPurchase.receiptClaim.code.replace(/-/g, '') };
}

async function newMember(): Promise<string> {
  sequence += 1;
  const response = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: `会員${sequence}`, phone: `090-4000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    system.staffHeaders(),
  );
  return ok(response).registerMember.id;
}

async function entriesFor(memberId: string, purchaseId: string) {
  type Me = { me: { points: { balance: number; history: { nodes: { type: string; amount: number; purchaseId: string | null }[] } } } };
  const { me } = ok(await system.graphql<Me>(ACCOUNT, {}, system.customerHeaders(memberId)));
  return me.points.history.nodes.filter((n) => n.purchaseId === purchaseId).map((n) => ({ type: n.type, amount: n.amount }));
}

/** What a claim that died right after its insert leaves: the claim, and a purchase still a guest's. */
async function claimDiedAfterInsert(purchaseId: string, code: string, memberId: string): Promise<void> {
  await system.db.collection('receipt_claims').insertOne({ _id: new Types.ObjectId(purchaseId), memberId, code, claimedAt: now, appliedAt: null, refusal: null });
}

const refund = (purchaseId: string, amount: number) =>
  system.graphql('mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id } }', { input: { purchaseId, idempotencyKey: `refund-${purchaseId}`, amount } }, pos);
const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;
const purchases = () => system.subgraphs.purchases.built;

describe('receipt claims that died half way or raced a refund', () => {
  it('finishes a claim that died after its insert: the member’s retry earns it, once', async () => {
    const sale = await guestSale(2_000);
    const member = await newMember();
    await claimDiedAfterInsert(sale.id, sale.code, member);
    const retry = await system.graphql(CLAIM, { code: sale.code }, system.customerHeaders(member));
    expect(retry.errors?.[0]?.extensions).toEqual({ code: 'ALREADY_CLAIMED', claimedByYou: true });
    expect(await entriesFor(member, sale.id)).toEqual([{ type: 'EARN', amount: 20 }]);
  });

  it('finishes a claim that died after its insert in the sweep, when nobody retries', async () => {
    const sale = await guestSale(4_000);
    const member = await newMember();
    await claimDiedAfterInsert(sale.id, sale.code, member);
    expect(await purchases().receiptClaims.finishStale()).toBe(0);
    now = new Date(now.getTime() + 2 * 60_000);
    expect(await purchases().receiptClaims.finishStale()).toBe(1);
    expect(await entriesFor(member, sale.id)).toEqual([{ type: 'EARN', amount: 40 }]);
    expect(await purchases().receiptClaims.finishStale()).toBe(0);
  });

  it('refuses, for staff to see, a claim a refund got in before it was finished; the refund reverses for no one', async () => {
    const sale = await guestSale(3_000);
    const member = await newMember();
    await claimDiedAfterInsert(sale.id, sale.code, member);
    expect((await refund(sale.id, 1_000)).errors).toBeUndefined();
    const [stored] = await system.db.collection('refunds').find({ purchaseId: sale.id }).toArray();
    const reverse = await purchases().outbox.find(`reverse:${String(stored!._id)}`);
    expect({ done: reverse?.doneAt !== null, error: reverse?.lastError }).toEqual({ done: false, error: 'a receipt claim of the purchase is not finished yet' });

    now = new Date(now.getTime() + 2 * 60_000);
    expect(await purchases().receiptClaims.finishStale()).toBe(1);
    expect(await system.db.collection('receipt_claims').findOne({ _id: new Types.ObjectId(sale.id) })).toMatchObject({ memberId: member, appliedAt: null, refusal: { code: 'PURCHASE_REFUNDED' } });
    await purchases().outbox.process(`reverse:${String(stored!._id)}`, { ignoreBackoff: true });
    expect((await purchases().outbox.find(`reverse:${String(stored!._id)}`))?.result).toEqual({ settled: false, reason: 'guest purchase' });
    expect(await system.db.collection('purchases').findOne({ _id: new Types.ObjectId(sale.id) })).toMatchObject({ memberId: null, state: 'COMPLETED' });
    expect(await entriesFor(member, sale.id)).toEqual([]);
    expect(codeOf(await system.graphql(CLAIM, { code: sale.code }, system.customerHeaders(member)))).toBe('PURCHASE_REFUNDED');
  });

  it('takes back, from the claimant, the refunded share of a purchase whose claim had looked for refunds just before the refund', async () => {
    const sale = await guestSale(5_000);
    const member = await newMember();
    await claimDiedAfterInsert(sale.id, sale.code, member);
    expect((await refund(sale.id, 2_000)).errors).toBeUndefined();
    // the claim's refund check ran before the refund was stored: it decided to apply the claim, and settles
    await system.db.collection('receipt_claim_decisions').insertOne({ _id: new Types.ObjectId(sale.id), verdict: 'APPLIED', reason: null, decidedAt: now });
    await system.db.collection('purchases').updateOne({ _id: new Types.ObjectId(sale.id) }, { $set: { memberId: member, state: 'PENDING_POINTS' } });
    await system.db.collection('receipt_claims').updateOne({ _id: new Types.ObjectId(sale.id) }, { $set: { appliedAt: now } });
    const [stored] = await system.db.collection('refunds').find({ purchaseId: sale.id }).toArray();
    await purchases().outbox.process(`reverse:${String(stored!._id)}`, { ignoreBackoff: true });
    expect((await purchases().outbox.find(`reverse:${String(stored!._id)}`))?.lastError).toBe('the claimed purchase is still being settled');

    await purchases().outbox.runNow(`settle:${sale.id}`, 'settle', { purchaseId: sale.id }, { ignoreBackoff: true });
    await purchases().outbox.process(`reverse:${String(stored!._id)}`, { ignoreBackoff: true });
    expect(await entriesFor(member, sale.id)).toEqual([
      { type: 'REVERSAL', amount: -20 },
      { type: 'EARN', amount: 50 },
    ]);
  });

  it('takes back the whole of a purchase refunded while two finishes of one claim ran, the second seeing the refund', async () => {
    const sale = await guestSale(6_000);
    const member = await newMember();
    await claimDiedAfterInsert(sale.id, sale.code, member);
    // finish A, the member's retry, has looked for refunds (none) and waits just before making the purchase theirs
    const model = purchases().models.purchases;
    const original = model.updateOne.bind(model);
    let reachedA!: () => void;
    const reached = new Promise<void>((resolve) => (reachedA = resolve));
    let releaseA!: () => void;
    const released = new Promise<void>((resolve) => (releaseA = resolve));
    const seam = jest.spyOn(model, 'updateOne').mockImplementationOnce(((...args: Parameters<typeof model.updateOne>) => {
      reachedA();
      return released.then(() => original(...args));
    }) as typeof model.updateOne);
    const finishA = system.graphql(CLAIM, { code: sale.code }, system.customerHeaders(member));
    await reached;
    seam.mockRestore();
    expect((await refund(sale.id, 6_000)).errors).toBeUndefined();
    // finish B sees the refund, and follows A's verdict
    expect((await system.graphql(CLAIM, { code: sale.code }, system.customerHeaders(member))).errors?.[0]?.extensions).toEqual({ code: 'ALREADY_CLAIMED', claimedByYou: true });
    await purchases().outbox.drain();
    releaseA();
    expect((await finishA).errors?.[0]?.extensions).toEqual({ code: 'ALREADY_CLAIMED', claimedByYou: true });
    const [stored] = await system.db.collection('refunds').find({ purchaseId: sale.id }).toArray();
    await purchases().outbox.process(`reverse:${String(stored!._id)}`, { ignoreBackoff: true });
    expect(await entriesFor(member, sale.id)).toEqual([
      { type: 'REVERSAL', amount: -60 },
      { type: 'EARN', amount: 60 },
    ]);
    const points = system.subgraphs.points.connection;
    expect((await verifyLedger(ledgerEntryModel(points), pointAccountModel(points))).problems).toEqual([]);
  });

  it('refuses, and gives its day slot back, a claim whose member was withdrawn between its insert and its finish', async () => {
    const sale = await guestSale(7_000);
    const member = await newMember();
    const slot = `${member}:2026-06-01:0`;
    await system.db.collection<{ _id: string; memberId: string; day: string; purchaseId: Types.ObjectId; takenAt: Date }>('receipt_claim_slots').insertOne({ _id: slot, memberId: member, day: '2026-06-01', purchaseId: new Types.ObjectId(sale.id), takenAt: now });
    await system.db.collection('receipt_claims').insertOne({ _id: new Types.ObjectId(sale.id), memberId: member, code: sale.code, claimedAt: now, appliedAt: null, refusal: null, slot });
    ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { status } }', { id: member }, system.staffHeaders()));
    now = new Date(now.getTime() + 2 * 60_000);
    expect(await purchases().receiptClaims.finishStale()).toBe(1);
    expect(await system.db.collection('receipt_claims').findOne({ _id: new Types.ObjectId(sale.id) })).toMatchObject({ appliedAt: null, refusal: { code: 'MEMBER_WITHDRAWN' } });
    expect(await system.db.collection('purchases').findOne({ _id: new Types.ObjectId(sale.id) })).toMatchObject({ memberId: null, state: 'COMPLETED' });
    expect(await system.db.collection<{ _id: string }>('receipt_claim_slots').countDocuments({ _id: slot })).toBe(0);
  });

  it('stops a member after 10 codes an hour that matched nothing, and counts none that matched', async () => {
    const sale = await guestSale(1_000);
    const member = await newMember();
    for (let attempt = 0; attempt < 10; attempt += 1) expect(codeOf(await system.graphql(CLAIM, { code: '2222-2222-2222' }, system.customerHeaders(member)))).toBe('NOT_FOUND');
    expect(codeOf(await system.graphql(CLAIM, { code: sale.code }, system.customerHeaders(member)))).toBe('RATE_LIMITED');
    now = new Date(now.getTime() + 61 * 60_000);
    expect(ok(await system.graphql<{ claimPurchase: { status: string } }>(CLAIM, { code: sale.code }, system.customerHeaders(member))).claimPurchase.status).toBe('COMPLETED');
  });
});
