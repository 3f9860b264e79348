import { Types } from 'mongoose';
import { AppError } from '@omo/lib/core/errors';
import { pointsContract } from '@omo/lib/contracts/points';
import { internalClient, type InternalClient } from '@omo/lib/server/internal-api';
import { CANCEL, rewardsDriver } from '../helpers/rewards';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Coupons an online order was already paid with (couponQuote and settle under RECORD), and refunds of sales the
 * coupons paid in full: driven through points' internal routes as purchases calls them, read back through the
 * gateway as staff see them (review findings).
 */
const BY_CODE = 'query ($code: String!) { couponByCode(code: $code) { id state purchaseId } }';

let system: TestSystem;
let storeId: string;
let points: InternalClient<typeof pointsContract>;
beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
  points = internalClient(pointsContract, { directory: { baseUrl: () => system.subgraphs.points.url }, internalSecret: system.config.INTERNAL_SECRET, service: 'purchases' });
});
afterAll(() => system.close());

const { memberWith, createReward, account, redeem } = rewardsDriver(() => system, () => storeId);
const purchaseId = () => new Types.ObjectId().toHexString();
const lines = [{ sku: 'BAG-01', unitPrice: 2000, quantity: 1 }];
const HOUR = 3_600_000;

async function coupon(memberId: string, extra: Record<string, unknown> = {}) {
  return ok(await redeem(memberId, await createReward(extra), new Types.ObjectId().toHexString())).redeemReward;
}

const quote = (codes: string[], extra: Record<string, unknown> = {}) =>
  points.couponQuote({ codes, memberId: null, storeId, channel: 'ONLINE', lines, amount: 2000, occurredAt: new Date().toISOString(), policy: 'RECORD', ...extra });

const settleOrder = (memberId: string, sale: string, couponId: string, extra: Record<string, unknown> = {}) =>
  points.settle({ purchaseId: sale, memberId, storeId, channel: 'ONLINE', amount: 1500, pointsToRedeem: 0, occurredAt: new Date().toISOString(), actor: 'shopify:order', coupons: [{ couponId, discount: 500 }], couponPolicy: 'RECORD', ...extra });

const byCode = async (code: string) => ok(await system.graphql<{ couponByCode: Record<string, unknown> }>(BY_CODE, { code }, system.staffHeaders())).couponByCode;

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof AppError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.extensions.code, couponCode: error.extensions.couponCode };
}

async function expire(code: string, at: Date): Promise<void> {
  await system.db.collection('coupons').updateOne({ code }, { $set: { expiresAt: at } });
}

describe('an online order paid with coupons that could not be used any more', () => {
  it('answers ended and used coupons with their refusal under RECORD, and refuses only an unknown code', async () => {
    const memberId = await memberWith(1500);
    const [cancelled, used, fine] = [await coupon(memberId), await coupon(memberId), await coupon(memberId)];
    ok(await system.graphql(CANCEL, { id: cancelled.id }, system.customerHeaders(memberId)));
    await points.settle({ purchaseId: purchaseId(), memberId, storeId, channel: 'STORE', amount: 0, pointsToRedeem: 0, occurredAt: new Date().toISOString(), actor: 'pos:1', coupons: [{ couponId: used.id, discount: 500 }] });
    expect(await quote([cancelled.code, used.code, fine.code, fine.code], { amount: 1800 })).toEqual({
      memberId,
      coupons: [
        { couponId: cancelled.id, code: cancelled.code, discount: 0, rewardId: expect.any(String) as unknown, refusal: 'COUPON_ENDED' },
        { couponId: used.id, code: used.code, discount: 0, rewardId: expect.any(String) as unknown, refusal: 'COUPON_ALREADY_USED' },
        { couponId: fine.id, code: fine.code, discount: 500, rewardId: expect.any(String) as unknown, refusal: null },
        { couponId: fine.id, code: fine.code, discount: 0, rewardId: expect.any(String) as unknown, refusal: 'COUPON_NOT_APPLICABLE' },
      ],
    });
    expect(await refusal(quote([cancelled.code], { policy: 'STRICT' }))).toEqual({ code: 'COUPON_ENDED', couponCode: cancelled.code });
    expect(await refusal(quote([fine.code, 'NOSUCHCODE2345678']))).toEqual({ code: 'NOT_FOUND', couponCode: 'NOSUCHCODE2345678' });
  });

  it('decides expiry by when the sale happened, not when it is quoted', async () => {
    const memberId = await memberWith(500);
    const c = await coupon(memberId);
    const expiresAt = new Date(Date.now() - HOUR);
    await expire(c.code, expiresAt);
    const before = new Date(expiresAt.getTime() - HOUR).toISOString();
    expect((await quote([c.code], { occurredAt: before, policy: 'STRICT' })).coupons.map((q) => [q.discount, q.refusal])).toEqual([[500, null]]);
    expect(await refusal(quote([c.code], { occurredAt: expiresAt.toISOString(), policy: 'STRICT' }))).toEqual({ code: 'COUPON_ENDED', couponCode: c.code });
  });

  it('takes back the points of a coupon that expired after the order and before its webhook, once', async () => {
    const memberId = await memberWith(500);
    const c = await coupon(memberId);
    const occurredAt = new Date(Date.now() - 2 * HOUR);
    await expire(c.code, new Date(Date.now() - HOUR));
    await system.subgraphs.points.built.couponExpiry.run(new Date());
    expect((await account(memberId)).balance).toBe(500);
    expect((await quote([c.code], { occurredAt })).coupons.map((q) => q.refusal)).toEqual(['COUPON_ENDED']);
    const sale = purchaseId();
    const result = await settleOrder(memberId, sale, c.id, { occurredAt });
    expect(result.unconsumedCoupons).toEqual([{ couponId: c.id, code: c.code, state: 'EXPIRED' }]);
    await settleOrder(memberId, sale, c.id, { occurredAt });
    const after = await account(memberId);
    expect(after.balance).toBe(0);
    expect(after.entries.filter((e) => e.type === 'ADJUST' && e.amount < 0)).toEqual([{ type: 'ADJUST', amount: -500 }]);
  });

  it('consumes a coupon past its expiry the job has not ended yet: its points stay spent and never come back', async () => {
    const memberId = await memberWith(500);
    const c = await coupon(memberId);
    await expire(c.code, new Date(Date.now() - HOUR));
    expect((await quote([c.code])).coupons.map((q) => q.refusal)).toEqual(['COUPON_ENDED']);
    const sale = purchaseId();
    expect((await settleOrder(memberId, sale, c.id)).unconsumedCoupons).toEqual([]);
    await system.subgraphs.points.built.couponExpiry.run(new Date());
    expect(await byCode(c.code)).toEqual({ id: c.id, state: 'USED', purchaseId: sale });
    expect((await account(memberId)).balance).toBe(0);
  });

  it("uses another member's coupon for the order, and takes a cancelled one's points back from its holder", async () => {
    const [holder, buyer] = [await memberWith(1000), await memberWith(100)];
    const [open, cancelled] = [await coupon(holder), await coupon(holder)];
    ok(await system.graphql(CANCEL, { id: cancelled.id }, system.customerHeaders(holder)));
    expect((await quote([open.code, cancelled.code], { memberId: buyer })).coupons.map((q) => [q.discount, q.refusal])).toEqual([
      [0, 'COUPON_NOT_APPLICABLE'],
      [0, 'COUPON_ENDED'],
    ]);
    const [first, second] = [purchaseId(), purchaseId()];
    expect((await settleOrder(buyer, first, open.id)).unconsumedCoupons).toEqual([]);
    expect(await byCode(open.code)).toEqual({ id: open.id, state: 'USED', purchaseId: first });
    expect((await settleOrder(buyer, second, cancelled.id)).unconsumedCoupons).toEqual([{ couponId: cancelled.id, code: cancelled.code, state: 'CANCELLED' }]);
    // the holder: 1000 − 500 − 500 + 500 given back − 500 taken back; the buyer's 100 untouched (their order's points pending)
    expect((await account(holder)).balance).toBe(0);
    expect((await account(buyer)).balance).toBe(100);
  });
});

describe('a refund of a sale its coupons paid in full', () => {
  async function paidInFull() {
    const memberId = await memberWith(1000);
    const c = await coupon(memberId, { restoreCouponOnRefund: true, online: false });
    const sale = purchaseId();
    await points.settle({ purchaseId: sale, memberId, storeId, channel: 'STORE', amount: 0, pointsToRedeem: 0, occurredAt: new Date().toISOString(), actor: 'pos:1', coupons: [{ couponId: c.id, discount: 500 }] });
    const reverse = (refundId: string, extra: Record<string, unknown>) =>
      points.reverse({ refundId: `${sale}:${refundId}`, purchaseId: sale, memberId, refundedAmountTotal: 0, refundAmount: 0, purchaseAmount: 0, purchaseOccurredAt: new Date().toISOString(), actor: 'pos:1', ...extra });
    return { c, sale, reverse };
  }

  it('keeps the coupon used on a partial refund, and restores it when the purchase is fully refunded', async () => {
    const { c, sale, reverse } = await paidInFull();
    await reverse('partial', { fullyRefunded: false });
    expect(await byCode(c.code)).toEqual({ id: c.id, state: 'USED', purchaseId: sale });
    await reverse('full', { fullyRefunded: true });
    expect(await byCode(c.code)).toEqual({ id: c.id, state: 'ISSUED', purchaseId: null });
  });

  it('keeps it used when an older caller does not say whether the refund is full', async () => {
    const { c, sale, reverse } = await paidInFull();
    await reverse('unsaid', {});
    expect(await byCode(c.code)).toEqual({ id: c.id, state: 'USED', purchaseId: sale });
  });
});

describe("a coupon's state", () => {
  it("is not left USED by a cancel that read a sale's end just before the sale was voided", async () => {
    const memberId = await memberWith(500);
    const c = await coupon(memberId, { online: false });
    const sale = purchaseId();
    await points.settle({ purchaseId: sale, memberId, storeId, channel: 'STORE', amount: 0, pointsToRedeem: 0, occurredAt: new Date().toISOString(), actor: 'pos:1', coupons: [{ couponId: c.id, discount: 500 }] });
    const ends = system.subgraphs.points.built.deps.models.ledger.db.model('CouponEnd');
    const read = ends.findById.bind(ends);
    // the cancel loses its claim to the sale's USED end and reads it; the sale is voided before the cancel goes on
    const voided = jest.spyOn(ends, 'findById').mockImplementationOnce(((id: unknown) => ({
      lean: () => ({
        exec: async () => {
          const end: unknown = await read(id).lean().exec();
          await points.reverse({ refundId: `outcome:${sale}`, purchaseId: sale, memberId, refundedAmountTotal: 0, refundAmount: 0, purchaseAmount: 0, purchaseOccurredAt: new Date().toISOString(), actor: 'system', voidsPurchase: true });
          return end;
        },
      }),
    })) as never);
    try {
      expect(ok(await system.graphql<{ cancelCoupon: { state: string } }>(CANCEL, { id: c.id }, system.customerHeaders(memberId))).cancelCoupon.state).toBe('USED');
    } finally {
      voided.mockRestore();
    }
    expect(await byCode(c.code)).toEqual({ id: c.id, state: 'ISSUED', purchaseId: null });
    expect(ok(await system.graphql<{ cancelCoupon: { state: string } }>(CANCEL, { id: c.id }, system.customerHeaders(memberId))).cancelCoupon.state).toBe('CANCELLED');
    expect((await account(memberId)).balance).toBe(500);
  });
});

describe('a percentage off without a cap', () => {
  it('is created without capYen and takes its percentage of what is left', async () => {
    const memberId = await memberWith(1000);
    const uncapped = await coupon(memberId, { benefit: { kind: 'PERCENT_OFF', percentOff: 10 } });
    const nullCap = await coupon(memberId, { benefit: { kind: 'PERCENT_OFF', percentOff: 20, capYen: null } });
    const sale = { channel: 'STORE', policy: 'STRICT', amount: 2000 };
    expect((await quote([uncapped.code, nullCap.code], sale)).coupons.map((q) => q.discount)).toEqual([200, 360]);
  });
});
