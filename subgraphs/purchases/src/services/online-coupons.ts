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
  /** Every coupon of ours the order used, those points would not have let it use included (RECORD settles them). */
  coupons: PurchaseCouponDoc[];
  /** Of those, the ones a register could not have used (used in a store meanwhile, ended, another member's), and why. */
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
 * Which of an online sale's discount codes are our coupons. Points' couponQuote (channel ONLINE, policy RECORD, at
 * the order's time) decides; a code it does not know (NOT_FOUND) is the shop's own and ignored. Shopify has applied
 * every code's discount already, so each coupon is kept, also one that is used, ended or another member's (its
 * `refusal`): the settlement's RECORD consumption then claims it, or takes back the points its end gave back.
 * Leaving it out would let the member keep both the discount and those points. Each coupon is kept with the yen
 * Shopify took off for it, which the sale's discount already includes. Points unreachable: its
 * ServiceUnavailableError is thrown, for the caller to keep the codes and ask later.
 */
export async function onlineCoupons(quotes: CouponQuotes, sale: OnlineSale, applied: AppliedCode[], memberId: string | null, log: Logger): Promise<OnlineCoupons> {
  let codes = candidateCodes(applied);
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
        policy: 'RECORD',
      });
      const given = new Map(codes.map((c) => [c.code, c.discount]));
      const coupons = quoted.coupons.map((c) => ({ couponId: c.couponId, code: c.code, discount: given.get(c.code) ?? c.discount }));
      const refused = quoted.coupons.flatMap((c) => (c.refusal ? [{ code: c.code, reason: c.refusal }] : []));
      if (refused.length) log.warn({ order: sale.name, refused }, 'an online order used coupons a register could not have: recorded, for points to settle');
      return { memberId: memberId ?? quoted.memberId, coupons, refused };
    } catch (error) {
      // NOT_FOUND, the only refusal of a RECORD quote: the shop's own code (a points from before RECORD quotes
      // refuses ours too, and they are left out as it did then)
      const code = refusedCouponCode(error);
      if (!code || !codes.some((c) => c.code === code)) throw error;
      codes = codes.filter((c) => c.code !== code);
    }
  }
  return { memberId, coupons: [], refused: [] };
}
