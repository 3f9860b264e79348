import { z } from 'zod';
import { MAX_YEN } from '@omo/lib/core/limits';
import { objectIdSchema } from '@omo/lib/core/validation';
import { couponCodeSchema, MAX_COUPONS_PER_PURCHASE } from '@omo/lib/contracts/points';

/** recordPurchase's input, as the resolver and the Shopify webhooks pass it. */
export interface RecordPurchaseInput {
  idempotencyKey: string;
  storeId: string;
  memberCode?: string | null;
  memberId?: string | null;
  externalId?: string | null;
  lines: { sku: string; name: string; unitPrice: number; quantity: number; category?: string | null }[];
  discount?: number | null;
  total: number;
  pointsToRedeem?: number | null;
  /** Coupon codes as scanned or typed; their discounts come off `total`. */
  couponCodes?: string[] | null;
  occurredAt?: Date | null;
}

/** refundPurchase's input, as the resolver and the Shopify webhooks pass it. */
export interface RefundPurchaseInput {
  purchaseId: string;
  idempotencyKey: string;
  lines?: { sku: string; quantity: number }[] | null;
  amount?: number | null;
}

const key = z.string().trim().min(1).max(200);
const yen = (max: number) => z.number().int('must be a whole number of yen').min(0, 'must not be negative').max(max);
const lineSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  unitPrice: yen(10_000_000),
  quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000),
  category: z.string().trim().max(100).nullish(),
});

export const recordSchema = z.object({
  idempotencyKey: key,
  storeId: objectIdSchema('is not a store id'),
  memberCode: z.string().trim().min(1).max(40).nullish(),
  memberId: objectIdSchema('is not a member id').nullish(),
  externalId: z.string().trim().min(1).max(100).nullish(),
  lines: z.array(lineSchema).min(1, 'must have at least one line').max(200),
  discount: yen(MAX_YEN).nullish(),
  total: z.number().int('must be a whole number of yen'),
  pointsToRedeem: z.number().int('must be a whole number').min(0, 'must not be negative').max(MAX_YEN).nullish(),
  couponCodes: z.array(couponCodeSchema).max(MAX_COUPONS_PER_PURCHASE, `must be at most ${MAX_COUPONS_PER_PURCHASE} codes`).nullish(),
  occurredAt: z.date().nullish(),
});
export type RecordInput = z.infer<typeof recordSchema>;

export const refundSchema = z.object({
  purchaseId: objectIdSchema('is not a purchase id'),
  idempotencyKey: key,
  lines: z.array(z.object({ sku: z.string().trim().min(1).max(64), quantity: z.number().int('must be a whole number').min(1, 'must be at least 1') })).min(1).max(200).nullish(),
  amount: z.number().int('must be a whole number of yen').min(1, 'must be at least 1').max(MAX_YEN).nullish(),
});
export type RefundInput = z.infer<typeof refundSchema>;
