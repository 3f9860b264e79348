import { DAY_MS, HOUR_MS } from '@omo/lib/core/time';
import { createStore, ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * Claiming a guest purchase's points by its receipt code, through the gateway: the register records the sale
 * without a card and prints the code, the customer claims it later (docs/receipt-claims.md).
 */
const RECORD = /* GraphQL */ `
  mutation($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) { id status member { id } receiptClaim { code claimableUntil claimUrl barcodeSvg claimed } }
  }
`;
const CLAIM = 'mutation($code: String!) { claimPurchase(code: $code) { id status pointsEarned member { id } } }';
const ACCOUNT = '{ me { points { balance history(first: 20) { nodes { type amount purchaseId } } } purchaseSummary { count totalSpent } } }';

interface Recorded {
  id: string;
  status: string;
  member: { id: string } | null;
  receiptClaim: { code: string; claimableUntil: string; claimUrl: string | null; barcodeSvg: string; claimed: boolean } | null;
}
interface Account {
  points: { balance: number; history: { nodes: { type: string; amount: number; purchaseId: string | null }[] } };
  purchaseSummary: { count: number; totalSpent: number };
}

let system: TestSystem;
let now = new Date('2026-06-01T03:00:00.000Z');
let storeId: string;
let pos: Record<string, string>;
let sequence = 0;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  storeId = await createStore(system);
  pos = await system.posHeaders([storeId]);
});
afterAll(() => system?.close());

/** A guest sale of one ¥`yen` item at the register (no card), as the POS key records it. */
async function guestSale(yen: number, key = `guest-${(sequence += 1)}`): Promise<Recorded> {
  const input = { idempotencyKey: key, storeId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: yen, quantity: 1 }], total: yen };
  return ok(await system.graphql<{ recordPurchase: Recorded }>(RECORD, { input }, pos)).recordPurchase;
}

async function newMember(): Promise<string> {
  sequence += 1;
  const response = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: `会員${sequence}`, phone: `090-2000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    system.staffHeaders(),
  );
  return ok(response).registerMember.id;
}

function claim(memberId: string, code: string): Promise<GraphQLResponse<{ claimPurchase: { id: string; status: string; pointsEarned: number; member: { id: string } } }>> {
  return system.graphql(CLAIM, { code }, system.customerHeaders(memberId));
}

async function account(memberId: string): Promise<Account> {
  return ok(await system.graphql<{ me: Account }>(ACCOUNT, {}, system.customerHeaders(memberId))).me;
}

const errorOf = (response: GraphQLResponse<unknown>) => ({ code: response.errors?.[0]?.extensions?.code, message: response.errors?.[0]?.message, claimedByYou: response.errors?.[0]?.extensions?.claimedByYou });

describe('a guest purchase claimed by its receipt code', () => {
  it('gives a guest sale a printable code, the same on a resend, and none to a member’s sale', async () => {
    const sale = await guestSale(1_000, 'guest-resend');
    expect(sale.status).toBe('COMPLETED');
    expect(sale.member).toBeNull();
    expect(sale.receiptClaim).toEqual({
      code: expect.stringMatching(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/),
      claimableUntil: new Date(now.getTime() + 30 * DAY_MS).toISOString(),
      claimUrl: null,
      barcodeSvg: expect.stringMatching(/^<svg /),
      claimed: false,
    });
    expect((await guestSale(1_000, 'guest-resend')).receiptClaim?.code).toBe(sale.receiptClaim!.code);

    const memberId = await newMember();
    const input = { idempotencyKey: 'member-sale', storeId, memberId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 500, quantity: 1 }], total: 500 };
    const memberSale = ok(await system.graphql<{ recordPurchase: Recorded }>(RECORD, { input }, system.staffHeaders())).recordPurchase;
    expect(memberSale.receiptClaim).toBeNull();
  });

  it('shows the code only to the key that recorded the sale and to ADMIN; STAFF see whether and until when it can be claimed', async () => {
    const sale = await guestSale(1_500);
    const READ = 'query($id: ID!) { purchase(id: $id) { receiptClaim { code claimableUntil claimUrl barcodeSvg claimed } } }';
    const read = async (headers: Record<string, string>) => ok(await system.graphql<{ purchase: { receiptClaim: unknown } }>(READ, { id: sale.id }, headers)).purchase.receiptClaim;
    const full = { code: sale.receiptClaim!.code, claimableUntil: sale.receiptClaim!.claimableUntil, claimUrl: null, barcodeSvg: sale.receiptClaim!.barcodeSvg, claimed: false };
    expect(await read(pos)).toEqual(full);
    expect(await read(system.adminHeaders())).toEqual(full);
    expect(await read(system.staffHeaders())).toEqual({ code: null, claimableUntil: sale.receiptClaim!.claimableUntil, claimUrl: null, barcodeSvg: null, claimed: false });
    const otherRegister = await system.posHeaders([storeId]);
    expect(await read(otherRegister)).toBeNull();
    // the other register resending the same sale learns its outcome, not its code
    const input = { idempotencyKey: 'guest-other-register', storeId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 700, quantity: 1 }], total: 700 };
    const first = ok(await system.graphql<{ recordPurchase: Recorded }>(RECORD, { input }, pos)).recordPurchase;
    const resent = ok(await system.graphql<{ recordPurchase: Recorded }>(RECORD, { input }, otherRegister)).recordPurchase;
    expect({ id: resent.id, receiptClaim: resent.receiptClaim }).toEqual({ id: first.id, receiptClaim: null });
  });

  it('earns the purchase’s points once for the member who claims it; a second claim and another member’s are refused', async () => {
    const sale = await guestSale(5_000);
    const hanako = await newMember();
    const taro = await newMember();
    const before = await account(hanako);

    const claimed = ok(await claim(hanako, sale.receiptClaim!.code.toLowerCase().replace(/-/g, ' '))).claimPurchase;
    expect(claimed).toEqual({ id: sale.id, status: 'COMPLETED', pointsEarned: 50, member: { id: hanako } });
    const after = await account(hanako);
    expect(after.points.balance).toBe(before.points.balance + 50);
    expect(after.points.history.nodes.filter((n) => n.purchaseId === sale.id)).toEqual([{ type: 'EARN', amount: 50, purchaseId: sale.id }]);
    expect(after.purchaseSummary).toEqual({ count: before.purchaseSummary.count + 1, totalSpent: before.purchaseSummary.totalSpent + 5_000 });

    expect(errorOf(await claim(hanako, sale.receiptClaim!.code))).toEqual({ code: 'ALREADY_CLAIMED', message: 'You have already claimed this receipt.', claimedByYou: true });
    expect(errorOf(await claim(taro, sale.receiptClaim!.code))).toEqual({ code: 'ALREADY_CLAIMED', message: 'This receipt’s points have already been claimed.', claimedByYou: false });
    expect(await account(hanako)).toEqual(after);
    expect((await account(taro)).points.history.nodes.filter((n) => n.purchaseId === sale.id)).toEqual([]);
    const seen = await system.graphql<{ purchase: Recorded }>('query($id: ID!) { purchase(id: $id) { id status member { id } receiptClaim { claimed } } }', { id: sale.id }, pos);
    expect(ok(seen).purchase).toEqual({ id: sale.id, status: 'COMPLETED', member: { id: hanako }, receiptClaim: { claimed: true } });
  });

  it('lets exactly one of two members claiming at once win', async () => {
    const sale = await guestSale(3_000);
    const [a, b] = [await newMember(), await newMember()];
    const results = await Promise.all([claim(a, sale.receiptClaim!.code), claim(b, sale.receiptClaim!.code)]);
    const won = results.filter((r) => !r.errors);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.errors).map(errorOf)).toEqual([{ code: 'ALREADY_CLAIMED', message: 'This receipt’s points have already been claimed.', claimedByYou: false }]);
    const winner = won[0]!.data!.claimPurchase.member.id;
    const earned = async (memberId: string) => (await account(memberId)).points.history.nodes.filter((n) => n.purchaseId === sale.id);
    expect(await earned(winner)).toEqual([{ type: 'EARN', amount: 30, purchaseId: sale.id }]);
    expect(await earned(winner === a ? b : a)).toEqual([]);
  });

  it('refuses a refunded purchase, a typo and an unknown code, writing nothing', async () => {
    const sale = await guestSale(2_000);
    const refund = await system.graphql('mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id } }', { input: { purchaseId: sale.id, idempotencyKey: 'r1', amount: 500 } }, pos);
    expect(refund.errors).toBeUndefined();
    const hanako = await newMember();
    const before = await account(hanako);
    expect(errorOf(await claim(hanako, sale.receiptClaim!.code))).toEqual({ code: 'PURCHASE_REFUNDED', message: 'This purchase was refunded, so its points cannot be claimed.', claimedByYou: undefined });

    const code = sale.receiptClaim!.code;
    const typo = code.slice(0, 1) + (code[1] === 'A' ? 'B' : 'A') + code.slice(2);
    expect(errorOf(await claim(hanako, typo)).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await claim(hanako, '2222-2222-2222'))).toEqual({ code: 'NOT_FOUND', message: 'No purchase has this receipt code. Check the code on your receipt.', claimedByYou: undefined });
    expect(await account(hanako)).toEqual(before);
    expect(await system.db.collection('receipt_claims').countDocuments({ memberId: hanako })).toBe(0);
  });

  it('tells the claimant who claims again after a refund of their claimed purchase that it is theirs, and the claim stays applied', async () => {
    const sale = await guestSale(2_000);
    const hanako = await newMember();
    expect(ok(await claim(hanako, sale.receiptClaim!.code)).claimPurchase).toEqual({ id: sale.id, status: 'COMPLETED', pointsEarned: 20, member: { id: hanako } });
    const refund = await system.graphql('mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id } }', { input: { purchaseId: sale.id, idempotencyKey: 'claimed-r1', amount: 500 } }, pos);
    expect(refund.errors).toBeUndefined();
    expect(errorOf(await claim(hanako, sale.receiptClaim!.code))).toEqual({ code: 'ALREADY_CLAIMED', message: 'You have already claimed this receipt.', claimedByYou: true });
    expect(await system.db.collection('receipt_claims').findOne({ memberId: hanako }, { projection: { _id: 0, refusal: 1, appliedAt: 1 } })).toEqual({ refusal: null, appliedAt: expect.any(Date) });
  });

  it('earns under the rules in force when it was bought, and refuses a code past its days', async () => {
    const sale = await guestSale(4_000);
    const late = await guestSale(1_000);
    now = new Date(now.getTime() + HOUR_MS);
    const rate = await system.graphql('mutation($input: SetStoreEarnRateInput!) { setStoreEarnRate(input: $input) { rounding } }', { input: { storeId, ratePoints: 3, ratePerYen: 100 } }, system.adminHeaders());
    expect(rate.errors).toBeUndefined();
    now = new Date(now.getTime() + HOUR_MS);
    const hanako = await newMember();
    expect(ok(await claim(hanako, sale.receiptClaim!.code)).claimPurchase.pointsEarned).toBe(40);

    now = new Date(new Date(late.receiptClaim!.claimableUntil).getTime() + 1);
    expect(errorOf(await claim(hanako, late.receiptClaim!.code))).toEqual({ code: 'CLAIM_EXPIRED', message: 'The days to claim this receipt’s points are over.', claimedByYou: undefined });
  });
});
