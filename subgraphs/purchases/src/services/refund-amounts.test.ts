import { Types } from 'mongoose';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import { nextRefundAmounts, paidShare, refundStateOf, type RefundRequest } from './refund-amounts';

/** Two teas and a cup: subtotal 5860, 500 off, total 5360, of which 60 paid in points. */
const purchase = {
  _id: new Types.ObjectId(),
  lines: [
    { sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 2 },
    { sku: 'CUP-01', name: '信楽焼 湯呑み', unitPrice: 3300, quantity: 1 },
  ],
  subtotal: 5860,
  discount: 500,
  total: 5360,
  pointsApplied: 60,
  amountPaid: 5300,
} as PurchaseDoc;

/** Refunds `requests` one after another, as RefundService stores them. */
function refundInTurn(requests: RefundRequest[]): RefundDoc[] {
  const refunds: RefundDoc[] = [];
  for (const request of requests) {
    const previous = refunds.at(-1) ?? null;
    refunds.push({ _id: new Types.ObjectId(), seq: refunds.length + 1, ...nextRefundAmounts(purchase, previous, request) } as RefundDoc);
  }
  return refunds;
}

describe('the refund arithmetic', () => {
  it('refunds the units of a purchase one by one for exactly its total, each unit its floored cumulative share', () => {
    const refunds = refundInTurn([{ lines: [{ sku: 'TEA-01', quantity: 1 }] }, { lines: [{ sku: 'TEA-01', quantity: 1 }] }, { lines: [{ sku: 'CUP-01', quantity: 1 }] }]);
    expect(refunds.map((r) => r.amount)).toEqual([1170, 1171, 3019]);
    expect(refunds.map((r) => r.lineValueAfter)).toEqual([1170, 2341, 5360]);
    expect(refunds.at(-1)).toMatchObject({ refundedAmountAfter: 5360, refundedQuantitiesAfter: { 'TEA-01': 2, 'CUP-01': 1 } });
  });

  it('shows each line of a refund its own share, the last line taking the rounding', () => {
    const [refund] = refundInTurn([{ lines: [{ sku: 'TEA-01', quantity: 1 }, { sku: 'CUP-01', quantity: 1 }] }]);
    expect(refund).toMatchObject({ amount: 4189, lines: [{ sku: 'TEA-01', quantity: 1, amount: 1170 }, { sku: 'CUP-01', quantity: 1, amount: 3019 }] });
  });

  it('refunds an amount up to what is left, leaving the units and their value as they were', () => {
    const [byLine, byAmount] = refundInTurn([{ lines: [{ sku: 'CUP-01', quantity: 1 }] }, { amount: 2342 }]);
    expect(byAmount).toMatchObject({ amount: 2342, lines: [], refundedAmountAfter: 5360, refundedQuantitiesAfter: { 'CUP-01': 1 }, lineValueAfter: 3018 });
    expect(() => nextRefundAmounts(purchase, byLine!, { amount: 2343 })).toThrow('Only 2342 yen can still be refunded');
  });

  it('refuses units the purchase does not have, or has no more of', () => {
    const [first] = refundInTurn([{ lines: [{ sku: 'TEA-01', quantity: 2 }] }]);
    expect(() => nextRefundAmounts(purchase, first!, { lines: [{ sku: 'TEA-01', quantity: 1 }] })).toThrow('Only 0 of TEA-01 can still be refunded');
    expect(() => nextRefundAmounts(purchase, null, { lines: [{ sku: 'CUP-01', quantity: 2 }] })).toThrow('Only 1 of CUP-01 can still be refunded');
    expect(() => nextRefundAmounts(purchase, null, { lines: [{ sku: 'BAG-01', quantity: 1 }] })).toThrow('The purchase has no line with sku BAG-01');
  });

  it('gives back the money part of refunds adding up to exactly the amount paid', () => {
    const refunds = refundInTurn([{ lines: [{ sku: 'TEA-01', quantity: 1 }] }, { lines: [{ sku: 'TEA-01', quantity: 1 }] }, { lines: [{ sku: 'CUP-01', quantity: 1 }] }]);
    expect(refunds.map((r) => paidShare(purchase, r))).toEqual([1156, 1158, 2986]);
  });

  it('calls a purchase fully refunded once every unit or its whole total is, reading the totals off its last refund', () => {
    expect(refundStateOf(purchase, [])).toEqual({ refundedAmount: 0, refundedQuantities: {}, fullyRefunded: false });
    const units = refundInTurn([{ lines: [{ sku: 'TEA-01', quantity: 2 }] }, { lines: [{ sku: 'CUP-01', quantity: 1 }] }]);
    expect(refundStateOf(purchase, [...units].reverse())).toEqual({ refundedAmount: 5360, refundedQuantities: { 'TEA-01': 2, 'CUP-01': 1 }, fullyRefunded: true });
    const partly = refundInTurn([{ lines: [{ sku: 'TEA-01', quantity: 1 }] }]);
    expect(refundStateOf(purchase, partly)).toEqual({ refundedAmount: 1170, refundedQuantities: { 'TEA-01': 1 }, fullyRefunded: false });
    expect(refundStateOf(purchase, refundInTurn([{ amount: 5360 }])).fullyRefunded).toBe(true);
  });

  it('measures a purchase with a coupon against what was paid after it, never the coupon’s value', () => {
    // the same sale without the register's own discount, 500 off by a coupon and 60 paid in points
    const withCoupon = { ...purchase, discount: 500, couponDiscount: 500, total: 5360, amountPaid: 5300 } as PurchaseDoc;
    const all = nextRefundAmounts(withCoupon, null, { lines: [{ sku: 'TEA-01', quantity: 2 }, { sku: 'CUP-01', quantity: 1 }] });
    expect(all).toMatchObject({ amount: 5360, refundedAmountAfter: 5360 });
    expect(paidShare(withCoupon, { ...all, _id: new Types.ObjectId(), seq: 1 } as RefundDoc)).toBe(5300);
  });

  it('calls a purchase its coupons paid in full (total 0) fully refunded only once every unit is', () => {
    const free = { ...purchase, discount: 5860, couponDiscount: 5860, total: 0, pointsApplied: 0, amountPaid: 0 } as PurchaseDoc;
    const cup = nextRefundAmounts(free, null, { lines: [{ sku: 'CUP-01', quantity: 1 }] });
    const partly = { ...cup, _id: new Types.ObjectId(), seq: 1 } as RefundDoc;
    expect(refundStateOf(free, [partly])).toEqual({ refundedAmount: 0, refundedQuantities: { 'CUP-01': 1 }, fullyRefunded: false });
    const teas = { ...nextRefundAmounts(free, partly, { lines: [{ sku: 'TEA-01', quantity: 2 }] }), _id: new Types.ObjectId(), seq: 2 } as RefundDoc;
    expect(refundStateOf(free, [partly, teas]).fullyRefunded).toBe(true);
  });
});
