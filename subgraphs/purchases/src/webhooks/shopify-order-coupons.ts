import type { Logger } from '@omo/lib/core/logger';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { CouponQuotes } from '../services/coupon-quotes';
import { candidateCodes, onlineCoupons, type AppliedCode, type OnlineCoupons } from '../services/online-coupons';
import type { ShopifyOrder } from './shopify-order';

/**
 * An order's coupons (services/online-coupons.ts). While points cannot be asked, the order is recorded all the
 * same with its codes kept for the settlement to ask: answering 503 instead would lose the order once Shopify
 * stops retrying, and an order is never refused for its coupons anyway.
 */
export async function couponsOfOrder(quotes: CouponQuotes, order: ShopifyOrder, storeId: string, matched: string | null, log: Logger): Promise<OnlineCoupons & { unquoted: AppliedCode[] }> {
  const applied = order.discountCodes.map((d) => ({ code: d.code, discount: d.amount }));
  if (candidateCodes(applied).length === 0) return { memberId: matched, coupons: [], refused: [], unquoted: [] };
  const sale = { storeId, lines: order.lines, total: order.total, occurredAt: order.occurredAt, name: order.name };
  try {
    return { ...(await onlineCoupons(quotes, sale, applied, matched, log)), unquoted: [] };
  } catch (error) {
    if (!(error instanceof ServiceUnavailableError)) throw error;
    log.warn({ order: order.name, err: error.message }, 'points could not be asked about the order’s discount codes: its settlement will');
    return { memberId: matched, coupons: [], refused: [], unquoted: candidateCodes(applied) };
  }
}
