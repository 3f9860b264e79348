import { Types } from 'mongoose';
import { receiptClaimMessage } from '@omo/line/src/chat/receipt-claim-messages';
import { claimReceiptForMember } from '@omo/line/src/chat/receipt-claim.client';
import { ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * What limits a member's receipt claims: RECEIPT_CLAIMS_PER_DAY successful claims a Japanese day (held by slots
 * taken by unique insert, so two claims at once at the boundary cannot both pass, and given back by a claim that
 * fails), and a membership withdrawn while its claim is on its way, in GraphQL and in what LINE answers.
 */
const RECORD = 'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id receiptClaim { code } } }';
const CLAIM = 'mutation($code: String!) { claimPurchase(code: $code) { id status member { id } } }';
const CAP = 3;

let system: TestSystem;
// 12:00 in Japan
let now = new Date('2026-06-01T03:00:00.000Z');
let storeId: string;
let pos: Record<string, string>;
let sequence = 0;

beforeAll(async () => {
  // a customer's standing is trusted for 30 s, as in production: the window a withdrawal can fall into
  system = await startTestSystem({ RECEIPT_CLAIMS_PER_DAY: String(CAP), CUSTOMER_STATUS_CACHE_SECONDS: '30' }, undefined, { runBackground: false, clock: () => now });
  storeId = ok(await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL' } }, system.adminHeaders())).createStore.id;
  pos = await system.posHeaders([storeId]);
});
afterAll(() => system?.close());

async function guestSale(yen = 1_000): Promise<{ id: string; code: string }> {
  sequence += 1;
  const input = { idempotencyKey: `limits-${sequence}`, storeId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: yen, quantity: 1 }], total: yen };
  const { recordPurchase } = ok(await system.graphql<{ recordPurchase: { id: string; receiptClaim: { code: string } } }>(RECORD, { input }, pos));
  return { id: recordPurchase.id, code: recordPurchase.receiptClaim.code };
}

async function newMember(): Promise<string> {
  sequence += 1;
  const response = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: `会員${sequence}`, phone: `090-5000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    system.staffHeaders(),
  );
  return ok(response).registerMember.id;
}

const claim = (memberId: string, code: string): Promise<GraphQLResponse<{ claimPurchase: { id: string; status: string; member: { id: string } } }>> =>
  system.graphql(CLAIM, { code }, system.customerHeaders(memberId));
const refusalOf = (response: GraphQLResponse<unknown>) => {
  const error = response.errors?.[0];
  return { code: error?.extensions?.code, message: error?.message, retryAfterSeconds: error?.extensions?.retryAfterSeconds };
};

/** Claims `count` fresh guest sales for the member, each one expected to go through. */
async function claimSales(memberId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) expect(ok(await claim(memberId, (await guestSale()).code)).claimPurchase.status).toBe('COMPLETED');
}

/** What the line service's chat and member page call purchases with. */
const lineDeps = () => ({ services: { baseUrl: (service: string) => system.subgraphs[service as 'purchases'].url }, internalSecret: system.config.INTERNAL_SECRET });

const LIMITED = {
  code: 'RATE_LIMITED',
  message: `You have claimed ${CAP} receipts today, the most a day: claim again after midnight Japan time (2026-06-02 00:00 JST).`,
  retryAfterSeconds: 12 * 3600,
};

describe('claims a member may make a day', () => {
  it(`refuses the claim after ${CAP} in a Japanese day, saying when, writes nothing for it, and takes it the next day`, async () => {
    const member = await newMember();
    await claimSales(member, CAP);
    const fourth = await guestSale();
    expect(refusalOf(await claim(member, fourth.code))).toEqual(LIMITED);
    expect(await system.db.collection('receipt_claims').countDocuments({ _id: new Types.ObjectId(fourth.id) })).toBe(0);
    expect(await system.db.collection('purchases').findOne({ _id: new Types.ObjectId(fourth.id) }, { projection: { _id: 0, memberId: 1 } })).toEqual({ memberId: null });
    const fromLine = await claimReceiptForMember(lineDeps(), { memberId: member, code: fourth.code });
    expect(receiptClaimMessage({ locale: 'ja' }, fromLine).text).toBe('本日受け取れるレシートの数に達しました。日本時間の午前0時以降にもう一度お送りください。');

    now = new Date('2026-06-01T14:59:59.999Z');
    expect(refusalOf(await claim(member, fourth.code)).code).toBe('RATE_LIMITED');
    now = new Date('2026-06-01T15:00:00.000Z');
    expect(ok(await claim(member, fourth.code)).claimPurchase).toEqual({ id: fourth.id, status: 'COMPLETED', member: { id: member } });
    now = new Date('2026-06-01T03:00:00.000Z');
  });

  it('lets one of two claims at once through when one claim is left', async () => {
    const member = await newMember();
    await claimSales(member, CAP - 1);
    const [a, b] = [await guestSale(), await guestSale()];
    const results = await Promise.all([claim(member, a.code), claim(member, b.code)]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors).map(refusalOf)).toEqual([LIMITED]);
    expect(await system.db.collection('receipt_claims').countDocuments({ memberId: member })).toBe(CAP);
  });

  it('gives the slot of a claim another member won back at once', async () => {
    const [hanako, taro] = [await newMember(), await newMember()];
    await claimSales(hanako, CAP - 1);
    await claimSales(taro, CAP - 1);
    const contested = await guestSale();
    const results = await Promise.all([claim(hanako, contested.code), claim(taro, contested.code)]);
    expect(results.map((r) => r.errors?.[0]?.extensions?.code ?? 'CLAIMED').sort()).toEqual(['ALREADY_CLAIMED', 'CLAIMED']);
    const loser = results[0].errors ? hanako : taro;
    expect(ok(await claim(loser, (await guestSale()).code)).claimPurchase.member.id).toBe(loser);
  });

  it('takes back, at the cap, a slot whose claim died before it was inserted', async () => {
    const member = await newMember();
    await claimSales(member, CAP - 1);
    const abandoned = await guestSale();
    // what a claim that died between taking its slot and inserting its claim leaves
    await system.db.collection<{ _id: string; memberId: string; day: string; purchaseId: Types.ObjectId; takenAt: Date }>('receipt_claim_slots').insertOne({ _id: `${member}:2026-06-01:${CAP - 1}`, memberId: member, day: '2026-06-01', purchaseId: new Types.ObjectId(abandoned.id), takenAt: new Date(now.getTime() - 2 * 60_000) });
    const next = await guestSale();
    expect(ok(await claim(member, next.code)).claimPurchase.member.id).toBe(member);
    expect(refusalOf(await claim(member, abandoned.code))).toEqual(LIMITED);
  });
});

describe('a membership withdrawn while its claim is on its way', () => {
  async function withdrawnMidClaim(): Promise<{ member: string; sale: { id: string; code: string } }> {
    const member = await newMember();
    const sale = await guestSale();
    // the customer's standing is read (and trusted for 30 s) as their claim starts; then staff withdraw them
    ok(await system.graphql('{ me { purchaseSummary { count } } }', {}, system.customerHeaders(member)));
    ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { status } }', { id: member }, system.staffHeaders()));
    return { member, sale };
  }

  it('is told the membership was withdrawn, not that the code is unknown, and nothing is claimed', async () => {
    const { member, sale } = await withdrawnMidClaim();
    expect(refusalOf(await claim(member, sale.code))).toEqual({ code: 'MEMBER_WITHDRAWN', message: 'This membership has been withdrawn, so it cannot claim a receipt’s points.', retryAfterSeconds: undefined });
    expect(await system.db.collection('receipt_claims').countDocuments({ _id: new Types.ObjectId(sale.id) })).toBe(0);
  });

  it('gets the same answer from the LINE chat, in the customer’s language', async () => {
    const { member, sale } = await withdrawnMidClaim();
    const outcome = await claimReceiptForMember(lineDeps(), { memberId: member, code: sale.code });
    expect(outcome).toEqual({ refused: 'MEMBER_WITHDRAWN' });
    expect(receiptClaimMessage({ locale: 'ja' }, outcome).text).toBe('この会員は退会済みのため、レシートのポイントは受け取れません。');
    expect(receiptClaimMessage({ locale: 'en' }, outcome).text).toBe('This membership has been withdrawn, so it cannot get a receipt’s points.');
  });
});
