import type { Logger } from '@omo/lib/core/logger';
import { couponCodeSchema, MAX_COUPONS_PER_PURCHASE } from '@omo/lib/contracts/points';
import type { PurchaseCouponDoc } from '../models/purchase.model';
import { refusedCouponCode, type CouponQuotes } from '../services/coupon-quotes';
import type { ShopifyOrder } from './shopify-order';

/** The coupons an order used, and the member they make it (the coupons' when no member matched the order). */
export interface OrderCoupons {
  memberId: string | null;
  coupons: PurchaseCouponDoc[];
  /** Our coupons points would not let this order consume (used in a store meanwhile, ended, another member's). */
  refused: { code: string; reason: string }[];
}

/**
 * Which of an order's discount codes are our coupons. Points' couponQuote (channel ONLINE) decides; a code it does
 * not know (NOT_FOUND) is the shop's own and ignored, and one it refuses is left out and reported: Shopify has
 * applied its discount already, so the order is recorded whatever points says (the settlement's RECORD policy).
 * Each coupon is kept with the yen Shopify took off for it, which the order's discount already includes.
 */
export async function orderCoupons(quotes: CouponQuotes, order: ShopifyOrder, storeId: string, memberId: string | null, log: Logger): Promise<OrderCoupons> {
  const byCode = new Map<string, number>();
  for (const { code, amount } of order.discountCodes) {
    const parsed = couponCodeSchema.safeParse(code);
    if (parsed.success && amount > 0 && !byCode.has(parsed.data)) byCode.set(parsed.data, amount);
  }
  let codes = [...byCode.keys()].slice(0, MAX_COUPONS_PER_PURCHASE);
  const refused: OrderCoupons['refused'] = [];
  while (codes.length > 0) {
    const before = codes.reduce((sum, code) => sum + byCode.get(code)!, order.total);
    try {
      const quoted = await quotes.quote({
        codes,
        memberId,
        storeId,
        channel: 'ONLINE',
        lines: order.lines,
        amount: Math.min(before, order.lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0)),
        occurredAt: order.occurredAt,
      });
      const coupons = quoted.coupons.map((c) => ({ ...c, discount: byCode.get(c.code) ?? c.discount }));
      return { memberId: memberId ?? quoted.memberId, coupons, refused };
    } catch (error) {
      const code = refusedCouponCode(error);
      // points unreachable: the delivery fails and Shopify retries it
      if (!code || !codes.includes(code)) throw error;
      codes = codes.filter((c) => c !== code);
      const reason = (error as Error).message;
      if ((error as { extensions?: { code?: unknown } }).extensions?.code !== 'NOT_FOUND') {
        refused.push({ code, reason });
        log.warn({ order: order.name, code, reason }, 'an order used a coupon points would not consume: recorded without it');
      }
    }
  }
  return { memberId, coupons: [], refused };
}
