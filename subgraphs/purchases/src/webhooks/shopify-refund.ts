import { z } from 'zod';
import type { PurchaseLineDoc } from '../models/purchase.model';
import { orderExternalId } from './shopify-order';
import { lineItemIdentity, lineItemKey, lineKey, money, moneySet, parseYen, readPayload, shopifyId, ShopifyPayloadError } from './shopify-payload';

const refundSchema = z.object({
  id: shopifyId,
  admin_graphql_api_id: z.string().nullish(),
  order_id: shopifyId,
  refund_line_items: z
    .array(
      z.object({
        line_item_id: shopifyId,
        quantity: z.number().int().nonnegative(),
        subtotal: money.nullish(),
        line_item: lineItemIdentity.partial({ id: true }).nullish(),
      }),
    )
    .nullish(),
  transactions: z
    .array(
      z.object({
        kind: z.string(),
        status: z.string().nullish(),
        amount: money,
        currency: z.string().nullish(),
      }),
    )
    .nullish(),
  refund_shipping_lines: z.array(z.object({ subtotal_amount_set: moneySet })).nullish(),
  order_adjustments: z.array(z.object({ kind: z.string().nullish(), amount: money.nullish(), tax_amount: money.nullish() })).nullish(),
});

export interface ShopifyRefundLine {
  /** The purchase skus this line may be recorded under, most specific first (see lineKey and mapLines). */
  skus: string[];
  quantity: number;
  /** Shopify's refunded value of the line: after its share of the order discount, tax as the order had it. */
  subtotal: number | null;
}

/** A refunds/create body, before it is matched to the purchase of its order. */
export interface ShopifyRefund {
  refundId: string;
  idempotencyKey: string;
  orderId: string;
  orderExternalId: string;
  lines: ShopifyRefundLine[];
  /** Money returned for goods by the refund's successful transactions: shipping refunded is taken out. */
  goodsAmount: number;
}

const REFUND_GID = /^gid:\/\/shopify\/Refund\/(\d+)$/;

export function mapShopifyRefund(payload: unknown): ShopifyRefund {
  const refund = readPayload(refundSchema, payload, 'refunds/create');
  const refundId = REFUND_GID.exec(refund.admin_graphql_api_id ?? '')?.[1] ?? refund.id;
  const lines = (refund.refund_line_items ?? [])
    .filter((item) => item.quantity > 0)
    .map((item) => {
      const identity = { id: item.line_item_id, sku: item.line_item?.sku, variant_id: item.line_item?.variant_id };
      return {
        skus: [...new Set([lineItemKey(item.line_item_id), lineKey(identity)])],
        quantity: item.quantity,
        subtotal: item.subtotal == null ? null : parseYen(item.subtotal, `refund line ${item.line_item_id} subtotal`),
      };
    });
  return {
    refundId,
    idempotencyKey: `shopify-refund:${refundId}`,
    orderId: refund.order_id,
    orderExternalId: orderExternalId(refund.order_id),
    lines,
    goodsAmount: Math.max(0, transactionsAmount(refund) - shippingAmount(refund)),
  };
}

type RefundPayload = z.infer<typeof refundSchema>;

/** Transactions are in the currency the customer paid; another currency cannot be counted as yen. */
function transactionsAmount(refund: RefundPayload): number {
  let total = 0;
  for (const transaction of refund.transactions ?? []) {
    if (transaction.kind !== 'refund' || (transaction.status != null && transaction.status !== 'success')) continue;
    if (transaction.currency != null && transaction.currency !== 'JPY') {
      throw new ShopifyPayloadError('unsupported-currency', `Refund ${refund.id} was paid back in ${transaction.currency}`);
    }
    total += parseYen(transaction.amount, 'transaction amount');
  }
  return total;
}

/**
 * Shipping earned no points, so shipping paid back returns none. Newer API versions list it in
 * refund_shipping_lines, older ones as a negative `shipping_refund` order adjustment; a body never has both.
 */
function shippingAmount(refund: RefundPayload): number {
  const lines = refund.refund_shipping_lines ?? [];
  if (lines.length > 0) {
    return lines.reduce((sum, line) => {
      const amount = line.subtotal_amount_set?.shop_money?.amount;
      return sum + (amount == null ? 0 : parseYen(amount, 'refund shipping line'));
    }, 0);
  }
  return (refund.order_adjustments ?? [])
    .filter((adjustment) => adjustment.kind === 'shipping_refund')
    .reduce((sum, adjustment) => {
      const amount = adjustment.amount == null ? 0 : parseYen(adjustment.amount, 'shipping refund');
      const tax = adjustment.tax_amount == null ? 0 : parseYen(adjustment.tax_amount, 'shipping refund tax');
      return sum - (amount + tax);
    }, 0);
}

/** What to ask the purchases service for: returned units when every line is on the purchase, else an amount. */
export type RefundRequest = { kind: 'lines'; lines: { sku: string; quantity: number }[] } | { kind: 'amount'; amount: number } | { kind: 'nothing' };

/**
 * Units are preferred: the purchases service then takes back exactly those units' points and keeps the
 * per-sku counts that stop a unit being refunded twice. A refund naming a line the purchase does not have
 * (the order was recorded differently) falls back to money: the lines' Shopify subtotals, or for a refund without
 * lines (a goodwill or shipping refund) the transactions less shipping, never more than is still refundable.
 */
export function refundRequest(refund: ShopifyRefund, purchaseLines: PurchaseLineDoc[], refundable: number): RefundRequest {
  const skus = new Set(purchaseLines.map((line) => line.sku));
  const matched = refund.lines.map((line) => ({ sku: line.skus.find((sku) => skus.has(sku)), quantity: line.quantity }));
  if (matched.length > 0 && matched.every((line) => line.sku !== undefined)) {
    const bySku = new Map<string, number>();
    for (const line of matched) if (line.sku) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
    return { kind: 'lines', lines: [...bySku].map(([sku, quantity]) => ({ sku, quantity })) };
  }
  const linesSubtotal = refund.lines.every((line) => line.subtotal !== null) ? refund.lines.reduce((sum, line) => sum + (line.subtotal ?? 0), 0) : null;
  const wanted = refund.lines.length > 0 && linesSubtotal !== null ? linesSubtotal : refund.goodsAmount;
  const amount = Math.min(wanted, refundable);
  return amount > 0 ? { kind: 'amount', amount } : { kind: 'nothing' };
}
