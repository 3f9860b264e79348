import { Types } from 'mongoose';
import pino from 'pino';
import { AppError } from '@omo/lib/core/errors';
import { pointsContract } from '@omo/lib/contracts/points';
import { internalClient, type InternalClient } from '@omo/lib/server/internal-api';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Coupons in a sale, on the points side: the quote purchases asks for when a register presents codes, and the
 * consumption in the purchase's settlement, driven through the points service's internal routes (as purchases
 * calls them) and read back through the gateway as staff, registers and members see them.
 */
const REGISTER = 'mutation ($input: RegisterMemberInput!) { registerMember(input: $input) { id } }';
const ADJUST = 'mutation ($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "coupon test", idempotencyKey: $key) { account { balance } } }';
const CREATE = 'mutation ($input: RewardInput!) { createReward(input: $input) { id } }';
const REDEEM = 'mutation ($rewardId: ID!, $key: String!) { redeemReward(rewardId: $rewardId, idempotencyKey: $key) { id code } }';
const CANCEL = 'mutation ($id: ID!) { cancelCoupon(couponId: $id) { state } }';
const BY_CODE = 'query ($code: String!) { couponByCode(code: $code) { id state usedAt purchaseId restoreCouponOnRefund } }';
const ACCOUNT = 'query ($id: ID!) { member(id: $id) { points { balance history(first: 20) { nodes { type amount reason purchaseId } } } } }';

let system: TestSystem;
let storeId: string;
let otherStoreId: string;
let points: InternalClient<typeof pointsContract>;
const logs: { level: number; msg: string }[] = [];

beforeAll(async () => {
  system = await startTestSystem({}, pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) }), { runBackground: false });
  const store = (code: string) => system.graphql<{ createStore: { id: string } }>(`mutation { createStore(input: { code: "${code}", name: "${code}", kind: PHYSICAL }) { id } }`, {}, system.adminHeaders());
  storeId = ok(await store('C001')).createStore.id;
  otherStoreId = ok(await store('C002')).createStore.id;
  points = internalClient(pointsContract, { directory: { baseUrl: () => system.subgraphs.points.url }, internalSecret: system.config.INTERNAL_SECRET, service: 'purchases' });
});
afterAll(() => system.close());

let counter = 0;
async function memberWith(balance: number): Promise<string> {
  counter += 1;
  const { registerMember } = ok(await system.graphql<{ registerMember: { id: string } }>(REGISTER, { input: { displayName: `券${counter}`, email: `cu${counter}@example.com`, registeredVia: 'ONLINE' } }, system.staffHeaders()));
  if (balance !== 100) ok(await system.graphql(ADJUST, { memberId: registerMember.id, amount: balance - 100, key: `top-${registerMember.id}` }, system.adminHeaders()));
  return registerMember.id;
}

async function reward(extra: Record<string, unknown> = {}): Promise<string> {
  const input = { nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit: { kind: 'YEN_OFF', yenOff: 500 }, storeIds: [storeId], online: false, ...extra };
  return ok(await system.graphql<{ createReward: { id: string } }>(CREATE, { input }, system.adminHeaders())).createReward.id;
}

async function coupon(memberId: string, rewardId: string): Promise<{ id: string; code: string }> {
  counter += 1;
  return ok(await system.graphql<{ redeemReward: { id: string; code: string } }>(REDEEM, { rewardId, key: `k${counter}` }, system.customerHeaders(memberId))).redeemReward;
}

async function account(memberId: string) {
  const { member } = ok(await system.graphql<{ member: { points: { balance: number; history: { nodes: { type: string; amount: number; reason: string | null; purchaseId: string | null }[] } } } }>(ACCOUNT, { id: memberId }, system.staffHeaders()));
  return { balance: member.points.balance, entries: member.points.history.nodes };
}

const byCode = async (code: string) => ok(await system.graphql<{ couponByCode: Record<string, unknown> }>(BY_CODE, { code }, system.staffHeaders())).couponByCode;

const lines = [
  { sku: 'BAG-01', unitPrice: 2000, quantity: 1 },
  { sku: 'COFFEE-S', unitPrice: 400, quantity: 2 },
];
const quote = (codes: string[], extra: Record<string, unknown> = {}) =>
  points.couponQuote({ codes, memberId: null, storeId, channel: 'STORE', lines, amount: 2800, occurredAt: new Date().toISOString(), ...extra });

function settle(memberId: string, purchaseId: string, coupons: { couponId: string; discount: number }[], extra: Record<string, unknown> = {}) {
  return points.settle({ purchaseId, memberId, storeId, channel: 'STORE', amount: 2000, pointsToRedeem: 0, occurredAt: new Date().toISOString(), actor: 'pos:key-1', coupons, couponPolicy: 'STRICT', ...extra });
}

function reverse(memberId: string, purchaseId: string, refunded: number, extra: Record<string, unknown> = {}) {
  return points.reverse({ refundId: `r-${purchaseId}-${refunded}`, purchaseId, memberId, refundedAmountTotal: refunded, refundAmount: refunded, purchaseAmount: 2000, purchaseOccurredAt: new Date().toISOString(), actor: 'pos:key-1', ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  return refusalOf(await promise.then(() => null, (e: unknown) => e));
}

function refusalOf(error: unknown): Record<string, unknown> {
  if (!(error instanceof AppError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.extensions.code, couponCode: error.extensions.couponCode };
}

const purchaseId = () => new Types.ObjectId().toHexString();

describe('couponQuote', () => {
  it('takes each discount from what the ones before left, for the coupons\' member', async () => {
    const memberId = await memberWith(3000);
    const yen = await coupon(memberId, await reward());
    const percent = await coupon(memberId, await reward({ benefit: { kind: 'PERCENT_OFF', percentOff: 10, capYen: 200 } }));
    const coffee = await coupon(memberId, await reward({ benefit: { kind: 'FREE_ITEM', sku: 'COFFEE-S' } }));
    expect(await quote([yen.code, percent.code, coffee.code])).toEqual({
      memberId,
      coupons: [
        { couponId: yen.id, code: yen.code, discount: 500, rewardId: expect.any(String) as unknown, refusal: null },
        // 10% of the 2300 left is 230, capped at 200
        { couponId: percent.id, code: percent.code, discount: 200, rewardId: expect.any(String) as unknown, refusal: null },
        { couponId: coffee.id, code: coffee.code, discount: 400, rewardId: expect.any(String) as unknown, refusal: null },
      ],
    });
    // lower-case and spaced as typed; a sale smaller than the coupon gets all of it off, no more
    expect((await quote([` ${yen.code.toLowerCase()} `], { memberId, amount: 300 })).coupons.map((c) => c.discount)).toEqual([300]);
    expect((await quote([percent.code], { amount: 1000 })).coupons.map((c) => c.discount)).toEqual([100]);
  });

  it('refuses each coupon that cannot be used, naming its code', async () => {
    const memberId = await memberWith(5000);
    const other = await memberWith(500);
    const yen = await coupon(memberId, await reward());
    const theirs = await coupon(other, await reward());
    const onlineOnly = await coupon(memberId, await reward({ storeIds: [], online: true }));
    const tea = await coupon(memberId, await reward({ benefit: { kind: 'FREE_ITEM', sku: 'TEA-M' } }));
    const cancelled = await coupon(memberId, await reward());
    ok(await system.graphql(CANCEL, { id: cancelled.id }, system.customerHeaders(memberId)));
    expect(await refusal(quote(['NOSUCHCODE2345678']))).toEqual({ code: 'NOT_FOUND', couponCode: 'NOSUCHCODE2345678' });
    expect(await refusal(quote([yen.code], { memberId: other }))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: yen.code });
    expect(await refusal(quote([yen.code, theirs.code]))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: theirs.code });
    expect(await refusal(quote([yen.code], { storeId: otherStoreId }))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: yen.code });
    expect(await refusal(quote([onlineOnly.code]))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: onlineOnly.code });
    expect((await quote([onlineOnly.code], { channel: 'ONLINE' })).coupons.map((c) => c.discount)).toEqual([500]);
    expect(await refusal(quote([yen.code], { channel: 'ONLINE' }))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: yen.code });
    expect(await refusal(quote([tea.code]))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: tea.code });
    expect(await refusal(quote([yen.code, yen.code]))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: yen.code });
    expect(await refusal(quote([cancelled.code]))).toEqual({ code: 'COUPON_ENDED', couponCode: cancelled.code });
    const expiresAt = new Date(Date.now() - 1000);
    await system.db.collection('coupons').updateOne({ _id: new Types.ObjectId(yen.id) }, { $set: { expiresAt } });
    expect(await refusal(quote([yen.code]))).toEqual({ code: 'COUPON_ENDED', couponCode: yen.code });
  });
});

describe('coupons consumed by a settlement', () => {
  it('uses a coupon once: USED with its purchase, the resend the same, the next sale refused', async () => {
    const memberId = await memberWith(600);
    const yen = await coupon(memberId, await reward());
    const sale = purchaseId();
    const first = await settle(memberId, sale, [{ couponId: yen.id, discount: 500 }], { pointsToRedeem: 100 });
    expect(first).toEqual({ pointsEarned: 20, pointsRedeemed: 100, overdrawn: 0, unconsumedCoupons: [] });
    expect(await settle(memberId, sale, [{ couponId: yen.id, discount: 500 }], { pointsToRedeem: 100 })).toEqual(first);
    expect(await byCode(yen.code)).toEqual({ id: yen.id, state: 'USED', usedAt: expect.any(String) as unknown, purchaseId: sale, restoreCouponOnRefund: false });
    // a used coupon keeps its points spent: 600 − 500 for the coupon − 100 redeemed + 20 earned
    expect((await account(memberId)).balance).toBe(20);
    expect(await refusal(quote([yen.code]))).toEqual({ code: 'COUPON_ALREADY_USED', couponCode: yen.code });
    expect(await refusal(settle(memberId, purchaseId(), [{ couponId: yen.id, discount: 500 }]))).toEqual({ code: 'COUPON_ALREADY_USED', couponCode: yen.code });
    // cancelling a used coupon gives nothing back
    expect(ok(await system.graphql<{ cancelCoupon: { state: string } }>(CANCEL, { id: yen.id }, system.customerHeaders(memberId))).cancelCoupon).toEqual({ state: 'USED' });
    expect((await account(memberId)).balance).toBe(20);
  });

  it('gives a coupon presented at two registers at once to one sale; the other is refused and writes nothing', async () => {
    const memberId = await memberWith(1500);
    const yen = await coupon(memberId, await reward());
    const spare = await coupon(memberId, await reward());
    const [a, b] = [purchaseId(), purchaseId()];
    const answers = await Promise.allSettled([
      settle(memberId, a, [{ couponId: spare.id, discount: 500 }, { couponId: yen.id, discount: 500 }]),
      settle(memberId, b, [{ couponId: yen.id, discount: 500 }]),
    ]);
    const won = answers.map((r) => r.status === 'fulfilled');
    expect(won.filter(Boolean)).toHaveLength(1);
    const loser = answers.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refusalOf(loser.reason)).toEqual({ code: 'COUPON_ALREADY_USED', couponCode: yen.code });
    const [winner, lost] = won[0] ? [a, b] : [b, a];
    expect(await byCode(yen.code)).toMatchObject({ state: 'USED', purchaseId: winner });
    // the loser's other coupon (if it had one) is not held, and it has no ledger entry
    expect(await byCode(spare.code)).toMatchObject(winner === a ? { state: 'USED', purchaseId: a } : { state: 'ISSUED', purchaseId: null });
    expect((await account(memberId)).entries.filter((e) => e.purchaseId === lost)).toEqual([]);
    expect(await system.db.collection('coupon_ends').countDocuments({ purchaseId: lost })).toBe(0);
  });

  it("refuses a register's sale of another member's coupon and leaves it unused", async () => {
    const [memberId, other] = [await memberWith(500), await memberWith(100)];
    const yen = await coupon(memberId, await reward());
    expect(await refusal(settle(other, purchaseId(), [{ couponId: yen.id, discount: 500 }]))).toEqual({ code: 'COUPON_NOT_APPLICABLE', couponCode: yen.code });
    expect(await byCode(yen.code)).toMatchObject({ state: 'ISSUED', purchaseId: null });
  });

  it('leaves the coupons unused when the points of the sale are refused', async () => {
    const memberId = await memberWith(600);
    const yen = await coupon(memberId, await reward());
    const sale = purchaseId();
    expect(await refusal(settle(memberId, sale, [{ couponId: yen.id, discount: 500 }], { pointsToRedeem: 200 }))).toEqual({ code: 'INSUFFICIENT_POINTS', couponCode: undefined });
    expect(await byCode(yen.code)).toMatchObject({ state: 'ISSUED', purchaseId: null });
    expect(await system.db.collection('coupon_ends').countDocuments({ _id: new Types.ObjectId(yen.id) })).toBe(0);
    expect((await quote([yen.code])).coupons.map((c) => c.discount)).toEqual([500]);
  });

  it('claims the coupons again when a sibling attempt redeemed while this one was refused, and fails to be retried', async () => {
    const memberId = await memberWith(700);
    const yen = await coupon(memberId, await reward());
    const sale = purchaseId();
    const ledger = system.subgraphs.points.built.deps.ledger;
    const redeem = ledger.redeem.bind(ledger);
    // the sibling attempt's redemption lands just as this attempt is told the points are short
    const sibling = jest.spyOn(ledger, 'redeem').mockImplementationOnce(async (input) => {
      await redeem(input);
      throw new AppError('Not enough points', 'INSUFFICIENT_POINTS');
    });
    try {
      await expect(settle(memberId, sale, [{ couponId: yen.id, discount: 500 }], { pointsToRedeem: 200 })).rejects.toThrow('points is unavailable: HTTP 500');
    } finally {
      sibling.mockRestore();
    }
    expect(await byCode(yen.code)).toMatchObject({ state: 'USED', purchaseId: sale });
    expect(await settle(memberId, sale, [{ couponId: yen.id, discount: 500 }], { pointsToRedeem: 200 })).toEqual({ pointsEarned: 20, pointsRedeemed: 200, overdrawn: 0, unconsumedCoupons: [] });
    expect((await account(memberId)).balance).toBe(20);
  });

  it('puts back a claim a refused sibling attempt undid while this one settled', async () => {
    const memberId = await memberWith(500);
    const yen = await coupon(memberId, await reward());
    const sale = purchaseId();
    const ledger = system.subgraphs.points.built.deps.ledger;
    const earn = ledger.earn.bind(ledger);
    const undone = jest.spyOn(ledger, 'earn').mockImplementationOnce(async (input) => {
      await system.db.collection('coupon_ends').deleteOne({ _id: new Types.ObjectId(yen.id), state: 'USED', purchaseId: sale });
      return earn(input);
    });
    try {
      expect(await settle(memberId, sale, [{ couponId: yen.id, discount: 500 }])).toEqual({ pointsEarned: 20, pointsRedeemed: 0, overdrawn: 0, unconsumedCoupons: [] });
    } finally {
      undone.mockRestore();
    }
    expect(await system.db.collection('coupon_ends').findOne({ _id: new Types.ObjectId(yen.id) })).toMatchObject({ state: 'USED', purchaseId: sale });
    expect(await refusal(quote([yen.code]))).toEqual({ code: 'COUPON_ALREADY_USED', couponCode: yen.code });
  });

  it('records an online order that used a cancelled coupon, takes its returned points back, and reports it', async () => {
    const memberId = await memberWith(500);
    const online = await coupon(memberId, await reward({ online: true }));
    ok(await system.graphql(CANCEL, { id: online.id }, system.customerHeaders(memberId)));
    expect((await account(memberId)).balance).toBe(500);
    const sale = purchaseId();
    const order = { channel: 'ONLINE', couponPolicy: 'RECORD', amount: 0 };
    const result = await settle(memberId, sale, [{ couponId: online.id, discount: 500 }], order);
    expect(result).toEqual({ pointsEarned: 0, pointsRedeemed: 0, overdrawn: 0, unconsumedCoupons: [{ couponId: online.id, code: online.code, state: 'CANCELLED' }] });
    expect(await settle(memberId, sale, [{ couponId: online.id, discount: 500 }], order)).toEqual(result);
    const after = await account(memberId);
    expect(after.balance).toBe(0);
    expect(after.entries.filter((e) => e.type === 'ADJUST' && e.purchaseId === sale)).toEqual([
      { type: 'ADJUST', amount: -500, purchaseId: sale, reason: `Coupon ${online.code} was used online after it was cancelled: the points it gave back are taken back` },
    ]);
    expect(logs.some((l) => l.msg === 'an online order used a coupon that had ended: its returned points are taken back')).toBe(true);
    expect(await byCode(online.code)).toMatchObject({ state: 'CANCELLED' });
  });
});

describe('an online order using a coupon a register used first', () => {
  it('is recorded and reported, with nothing more taken: the points were spent once', async () => {
    const memberId = await memberWith(500);
    const both = await coupon(memberId, await reward({ online: true }));
    const register = purchaseId();
    await settle(memberId, register, [{ couponId: both.id, discount: 500 }]);
    const order = purchaseId();
    const result = await settle(memberId, order, [{ couponId: both.id, discount: 500 }], { channel: 'ONLINE', couponPolicy: 'RECORD', amount: 1000 });
    expect(result).toEqual({ pointsEarned: 10, pointsRedeemed: 0, overdrawn: 0, unconsumedCoupons: [{ couponId: both.id, code: both.code, state: 'USED' }] });
    expect(await byCode(both.code)).toMatchObject({ state: 'USED', purchaseId: register });
    // 500 − 500 for the coupon + 20 earned at the register (the order's 10 are pending in its return window)
    expect((await account(memberId)).balance).toBe(20);
    expect(logs.some((l) => l.msg === 'an online order used a coupon another purchase had used')).toBe(true);
  });
});

describe('refunds and voided sales', () => {
  async function used(restoreCouponOnRefund: boolean) {
    const memberId = await memberWith(500);
    const c = await coupon(memberId, await reward({ restoreCouponOnRefund }));
    const sale = purchaseId();
    await settle(memberId, sale, [{ couponId: c.id, discount: 500 }]);
    return { memberId, coupon: c, sale };
  }

  it('restores the coupon on a full refund only where its reward says so, and never on a partial one', async () => {
    const restoring = await used(true);
    expect(await byCode(restoring.coupon.code)).toMatchObject({ state: 'USED', restoreCouponOnRefund: true });
    await reverse(restoring.memberId, restoring.sale, 1000);
    expect(await byCode(restoring.coupon.code)).toMatchObject({ state: 'USED' });
    await reverse(restoring.memberId, restoring.sale, 2000);
    expect(await byCode(restoring.coupon.code)).toEqual({ id: restoring.coupon.id, state: 'ISSUED', usedAt: null, purchaseId: null, restoreCouponOnRefund: true });
    expect((await quote([restoring.coupon.code])).coupons.map((c) => c.discount)).toEqual([500]);

    const keeping = await used(false);
    await reverse(keeping.memberId, keeping.sale, 2000);
    expect(await byCode(keeping.coupon.code)).toMatchObject({ state: 'USED', purchaseId: keeping.sale });
  });

  it('releases every coupon of a voided sale; one past its expiry then expires with its points back', async () => {
    const { memberId, coupon: c, sale } = await used(false);
    expect((await account(memberId)).balance).toBe(20);
    await reverse(memberId, sale, 2000, { voidsPurchase: true, refundId: `outcome:${sale}` });
    expect(await byCode(c.code)).toMatchObject({ state: 'ISSUED', purchaseId: null });
    const expiresAt = new Date(Date.now() - 1000);
    await system.db.collection('coupons').updateOne({ _id: new Types.ObjectId(c.id) }, { $set: { expiresAt } });
    await system.subgraphs.points.built.couponExpiry.run(new Date());
    expect(await byCode(c.code)).toMatchObject({ state: 'EXPIRED' });
    // 500 back for the coupon; the voided sale's 20 earned points taken back
    expect((await account(memberId)).balance).toBe(500);
  });
});

describe('couponByCode', () => {
  it('shows a register the coupons valid at its stores, staff all, and nobody else', async () => {
    const memberId = await memberWith(500);
    const c = await coupon(memberId, await reward());
    const [own, other] = await Promise.all([system.posHeaders([storeId]), system.posHeaders([otherStoreId])]);
    expect(ok(await system.graphql(BY_CODE, { code: c.code.toLowerCase() }, own))).toEqual({ couponByCode: { id: c.id, state: 'ISSUED', usedAt: null, purchaseId: null, restoreCouponOnRefund: false } });
    expect((await system.graphql(BY_CODE, { code: c.code }, other)).errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect((await system.graphql(BY_CODE, { code: c.code }, system.customerHeaders(memberId))).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect((await system.graphql(BY_CODE, { code: c.code })).errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});
