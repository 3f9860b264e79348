import { BadUserInputError } from '@omo/lib/core/errors';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc, RefundLineDoc } from '../models/refund.model';

/**
 * The arithmetic of refunds. Every figure is cumulative over a purchase's refunds and floored once, so however a
 * purchase is refunded, in whatever pieces, the refunds add up to exactly its total and its amount paid.
 */

/** Refund value after refunding some line units: the units' share of the purchase total, cumulative and floored. */
function lineValue(purchase: PurchaseDoc, quantities: Record<string, number>): number {
  if (purchase.subtotal === 0) return 0;
  const gross = purchase.lines.reduce((sum, line) => sum + line.unitPrice * Math.min(quantities[line.sku] ?? 0, line.quantity), 0);
  return Number((BigInt(purchase.total) * BigInt(gross)) / BigInt(purchase.subtotal));
}

export interface RefundState {
  refundedAmount: number;
  refundedQuantities: Record<string, number>;
  fullyRefunded: boolean;
}

/**
 * Where a purchase's refunds stand: the last refund carries the running totals after it. Full: every unit is
 * back, or the whole total was refunded. A total of 0 (coupons paid it all) is "refunded" by any refund of units,
 * so only its units can say it is full: else returning one item of it would count as returning the sale.
 */
export function refundStateOf(purchase: PurchaseDoc, refunds: RefundDoc[]): RefundState {
  const last = refunds.reduce<RefundDoc | null>((head, r) => (!head || r.seq > head.seq ? r : head), null);
  const refundedQuantities = last?.refundedQuantitiesAfter ?? {};
  const allUnits = purchase.lines.every((line) => (refundedQuantities[line.sku] ?? 0) >= line.quantity);
  const refundedAmount = last?.refundedAmountAfter ?? 0;
  const wholeTotal = purchase.total > 0 && refundedAmount >= purchase.total;
  return { refundedAmount, refundedQuantities, fullyRefunded: Boolean(last) && (allUnits || wholeTotal) };
}

/** What a refund asks for: some line units, or an amount of yen. */
export type RefundRequest = { lines: { sku: string; quantity: number }[] } | { amount: number };

export type RefundAmounts = Pick<RefundDoc, 'amount' | 'lines' | 'refundedAmountAfter' | 'refundedQuantitiesAfter' | 'lineValueAfter'>;

/** The next refund of `purchase` after `previous` (its latest refund, if any); BAD_USER_INPUT when it asks too much. */
export function nextRefundAmounts(purchase: PurchaseDoc, previous: RefundDoc | null, request: RefundRequest): RefundAmounts {
  const refundedBefore = previous?.refundedAmountAfter ?? 0;
  const quantitiesBefore = previous?.refundedQuantitiesAfter ?? {};
  const lineValueBefore = previous?.lineValueAfter ?? 0;
  const left = purchase.total - refundedBefore;
  if ('amount' in request) {
    if (request.amount > left) throw new BadUserInputError(`Only ${left} yen can still be refunded`, { field: 'amount' });
    return { amount: request.amount, lines: [], refundedAmountAfter: refundedBefore + request.amount, refundedQuantitiesAfter: { ...quantitiesBefore }, lineValueAfter: lineValueBefore };
  }
  const quantitiesAfter = { ...quantitiesBefore };
  for (const requested of request.lines) {
    const line = purchase.lines.find((l) => l.sku === requested.sku);
    if (!line) throw new BadUserInputError(`The purchase has no line with sku ${requested.sku}`, { field: 'lines' });
    const already = quantitiesAfter[line.sku] ?? 0;
    if (already + requested.quantity > line.quantity) {
      throw new BadUserInputError(`Only ${line.quantity - already} of ${line.sku} can still be refunded`, { field: 'lines' });
    }
    quantitiesAfter[line.sku] = already + requested.quantity;
  }
  const lineValueAfter = lineValue(purchase, quantitiesAfter);
  const amount = Math.min(lineValueAfter - lineValueBefore, left);
  const lines: RefundLineDoc[] = request.lines.map((r) => ({ sku: r.sku, quantity: r.quantity, amount: 0 }));
  // show each line's share of this refund's amount (the last line takes the rounding)
  let assigned = 0;
  lines.forEach((l, i) => {
    const only = lineValue(purchase, { ...quantitiesBefore, [l.sku]: (quantitiesBefore[l.sku] ?? 0) + l.quantity }) - lineValueBefore;
    l.amount = i === lines.length - 1 ? amount - assigned : Math.min(only, amount - assigned);
    assigned += l.amount;
  });
  return { amount, lines, refundedAmountAfter: refundedBefore + amount, refundedQuantitiesAfter: quantitiesAfter, lineValueAfter };
}

/** The money part of a refund: cumulative share of amountPaid, so all refunds add up to exactly amountPaid. */
export function paidShare(purchase: PurchaseDoc, refund: RefundDoc): number {
  if (purchase.total === 0) return 0;
  const share = (value: number) => Number((BigInt(purchase.amountPaid) * BigInt(value)) / BigInt(purchase.total));
  return share(refund.refundedAmountAfter) - share(refund.refundedAmountAfter - refund.amount);
}
