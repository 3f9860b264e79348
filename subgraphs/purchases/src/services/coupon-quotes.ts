import { AppError } from '@omo/lib/core/errors';
import { pointsContract, type CouponQuote } from '@omo/lib/contracts/points';
import { internalClient, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { CouponPolicy, PurchaseCouponDoc, PurchaseLineDoc } from '../models/purchase.model';

/** The refusals of couponQuote and of a STRICT settlement that name a coupon (lib/contracts/points.ts). */
export const COUPON_REFUSALS = new Set(['COUPON_ALREADY_USED', 'COUPON_ENDED', 'COUPON_NOT_APPLICABLE']);

/** Whether `error` is points refusing a presented code: one of ours that cannot be used, or NOT_FOUND, naming it. */
export function refusedCouponCode(error: unknown): string | null {
  if (!(error instanceof AppError)) return null;
  const code = String(error.extensions.code);
  const couponCode = error.extensions.couponCode;
  return (COUPON_REFUSALS.has(code) || code === 'NOT_FOUND') && typeof couponCode === 'string' ? couponCode : null;
}

export interface QuoteRequest {
  codes: string[];
  memberId: string | null;
  storeId: string;
  channel: 'STORE' | 'ONLINE';
  lines: PurchaseLineDoc[];
  /** The sale's total before the coupons. */
  amount: number;
  occurredAt: Date;
  /** STRICT (a register's sale, the default) or RECORD (an order already paid with the codes). */
  policy?: CouponPolicy;
}

/** Why a RECORD quote says a STRICT one would have refused a coupon. */
export type CouponRefusal = NonNullable<CouponQuote['coupons'][number]['refusal']>;

/**
 * What the coupons take off, as the purchase keeps it: the member they are for and each coupon's discount, with
 * (RECORD only) the refusal a STRICT quote would have made of it.
 */
export interface QuotedCoupons {
  memberId: string;
  coupons: (PurchaseCouponDoc & { refusal: CouponRefusal | null })[];
}

/**
 * Points' couponQuote, as purchases asks it: read-only, so asking is safe before anything is written, and its
 * refusals (NOT_FOUND, COUPON_*) reach the caller as they are, with the coupon's code in their extensions.
 */
export class CouponQuotes {
  private readonly points: InternalClient<typeof pointsContract>;

  constructor(services: ServiceDirectory, internalSecret: string) {
    this.points = internalClient(pointsContract, { directory: services, internalSecret, service: 'purchases' });
  }

  async quote(request: QuoteRequest): Promise<QuotedCoupons> {
    const quote: CouponQuote = await this.points.couponQuote({
      codes: request.codes,
      memberId: request.memberId,
      storeId: request.storeId,
      channel: request.channel,
      lines: request.lines.map((line) => ({ sku: line.sku, unitPrice: line.unitPrice, quantity: line.quantity })),
      amount: request.amount,
      occurredAt: request.occurredAt,
      policy: request.policy ?? 'STRICT',
    });
    return { memberId: quote.memberId, coupons: quote.coupons.map((c) => ({ couponId: c.couponId, code: c.code, discount: c.discount, refusal: c.refusal })) };
  }
}
