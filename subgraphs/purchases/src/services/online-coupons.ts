import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { couponCodeSchema, MAX_COUPONS_PER_PURCHASE } from '@omo/lib/contracts/points';
import type { PurchaseCouponDoc, PurchaseLineDoc } from '../models/purchase.model';
import { refusedCouponCode, type CouponQuotes } from './coupon-quotes';

/** A discount code an online order carries, with the yen Shopify took off for it. */
export interface AppliedCode {
  code: string;
  discount: number;
}

/** An online sale as couponQuote needs it. */
export interface OnlineSale {
  storeId: string;
  lines: PurchaseLineDoc[];
  /** After every discount, the coupons' included (Shopify applied them). */
  total: number;
  occurredAt: Date;
  /** For logs. */
  name: string | null;
}

/** The coupons an online sale used, and the member they make it (the coupons' when no member matched the order). */
export interface OnlineCoupons {
  memberId: string | null;
  coupons: PurchaseCouponDoc[];
  /** Our coupons points would not let this sale consume (used in a store meanwhile, ended, another member's). */
  refused: { code: string; reason: string }[];
}

/** The distinct codes on the goods that could be coupons, at most as many as a purchase takes. */
export function candidateCodes(codes: AppliedCode[]): AppliedCode[] {
  const byCode = new Map<string, number>();
  for (const { code, discount } of codes) {
    const parsed = couponCodeSchema.safeParse(code);
    if (parsed.success && discount > 0 && !byCode.has(parsed.data)) byCode.set(parsed.data, discount);
  }
  return [...byCode].slice(0, MAX_COUPONS_PER_PURCHASE).map(([code, discount]) => ({ code, discount }));
}

/**
 * Which of an online sale's discount codes are our coupons. Points' couponQuote (channel ONLINE) decides; a code it
 * does not know (NOT_FOUND) is the shop's own and ignored, and one it refuses is left out and reported: Shopify has
 * applied its discount already, so the sale is recorded whatever points says (the settlement's RECORD policy).
 * Each coupon is kept with the yen Shopify took off for it, which the sale's discount already includes. Points
 * unreachable: its ServiceUnavailableError is thrown, for the caller to keep the codes and ask later.
 */
export async function onlineCoupons(quotes: CouponQuotes, sale: OnlineSale, applied: AppliedCode[], memberId: string | null, log: Logger): Promise<OnlineCoupons> {
  let codes = candidateCodes(applied);
  const refused: OnlineCoupons['refused'] = [];
  const subtotal = sale.lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
  while (codes.length > 0) {
    try {
      const quoted = await quotes.quote({
        codes: codes.map((c) => c.code),
        memberId,
        storeId: sale.storeId,
        channel: 'ONLINE',
        lines: sale.lines,
        amount: Math.min(subtotal, codes.reduce((sum, c) => sum + c.discount, sale.total)),
        occurredAt: sale.occurredAt,
      });
      const given = new Map(codes.map((c) => [c.code, c.discount]));
      const coupons = quoted.coupons.map((c) => ({ couponId: c.couponId, code: c.code, discount: given.get(c.code) ?? c.discount }));
      return { memberId: memberId ?? quoted.memberId, coupons, refused };
    } catch (error) {
      const code = refusedCouponCode(error);
      if (!code || !codes.some((c) => c.code === code)) throw error;
      codes = codes.filter((c) => c.code !== code);
      if (error instanceof AppError && error.extensions.code !== 'NOT_FOUND') {
        refused.push({ code, reason: error.message });
        log.warn({ order: sale.name, code, reason: error.message }, 'an online order used a coupon points would not consume: recorded without it');
      }
    }
  }
  return { memberId, coupons: [], refused };
}
