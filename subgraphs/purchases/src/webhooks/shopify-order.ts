import { z } from 'zod';
import type { RecordPurchaseInput } from '../services/purchase-inputs';
import { lineItemIdentity, lineItemKey, lineKey, money, parseYen, readPayload, shopifyId, ShopifyPayloadError } from './shopify-payload';

/** Points are counted in yen; another shop currency would need exchange rates we do not have. */
export const SHOP_CURRENCY = 'JPY';

const MAX_LINE_NAME_LENGTH = 200;

const orderSchema = z.object({
  id: shopifyId,
  admin_graphql_api_id: z.string().nullish(),
  name: z.string().nullish(),
  currency: z.string(),
  created_at: z.string().nullish(),
  processed_at: z.string().nullish(),
  financial_status: z.string().nullish(),
  cancelled_at: z.string().nullish(),
  subtotal_price: money,
  total_discounts: money.nullish(),
  total_line_items_price: money.nullish(),
  email: z.string().nullish(),
  contact_email: z.string().nullish(),
  phone: z.string().nullish(),
  /** "web" at the online checkout, "pos" at a Shopify POS register (then `location_id` is where). */
  source_name: z.string().nullish(),
  location_id: shopifyId.nullish(),
  /** The codes the customer entered at checkout, each with the amount it took off (calculated once the order exists). */
  discount_codes: z.array(z.object({ code: z.string(), amount: money, type: z.string().nullish() })).nullish(),
  line_items: z.array(
    lineItemIdentity.extend({
      title: z.string().nullish(),
      name: z.string().nullish(),
      price: money,
      quantity: z.number().int().nonnegative(),
      /** A gift card sold: taking money in advance, so its line is the `gift-card` category points excludes (docs/item-rules.md). */
      gift_card: z.boolean().nullish(),
    }),
  ),
  customer: z
    .object({
      id: shopifyId.nullish(),
      email: z.string().nullish(),
      phone: z.string().nullish(),
      // absent from API version 2025-01 on
      tags: z.string().nullish(),
    })
    .nullish(),
});

/** Who placed the order, in the forms the members service can match. */
export interface ShopifyCustomerHints {
  /** From a customer tag `omo-member:<memberId>`, which the EC site sets when a logged-in member checks out. */
  taggedMemberId: string | null;
  /** Shopify's customer id: the member its customers/create linked it to comes before e-mail and phone. */
  customerId: string | null;
  email: string | null;
  phone: string | null;
}

/** An orders/create, orders/paid or orders/updated body as the purchase it becomes (less the store and the member, which need lookups). */
export interface ShopifyOrder {
  /** Shopify's numeric order id, as decimal digits. */
  orderId: string;
  /** For logs: the order's name as the merchant sees it ("#1042"). */
  name: string | null;
  idempotencyKey: string;
  externalId: string;
  lines: RecordPurchaseInput['lines'];
  discount: number;
  total: number;
  occurredAt: Date;
  customer: ShopifyCustomerHints;
  /** Whether the customer has paid (see PAID_STATUSES); only a paid order becomes a purchase that earns. */
  paid: boolean;
  /** For logs: Shopify's financial_status as sent. */
  financialStatus: string | null;
  /** The body already shows the order cancelled (an orders/updated sent after orders/cancelled). */
  cancelled: boolean;
  /** The Shopify location of an order rung up at a Shopify POS register; null for every other order. */
  posLocationId: string | null;
  /** The discount codes on the goods (not shipping), each with the yen it took off: some may be our coupons. */
  discountCodes: { code: string; amount: number }[];
}

/**
 * The financial statuses of an order whose payment was captured. `pending` (cash on delivery, bank transfer) and
 * `authorized` have taken no money yet, `partially_paid` not all of it, and `voided` none ever; a refunded order
 * was paid first, and its refunds/create bodies take the refunded part back.
 */
const PAID_STATUSES = new Set(['paid', 'partially_refunded', 'refunded']);

/** An orders/cancelled body: which order, and that Shopify says it is cancelled. */
export interface ShopifyCancellation {
  orderId: string;
  name: string | null;
  externalId: string;
  /** The key of the refund a cancellation records: one per order, however many of its events arrive. */
  idempotencyKey: string;
}

const cancellationSchema = z.object({
  id: shopifyId,
  admin_graphql_api_id: z.string().nullish(),
  name: z.string().nullish(),
  currency: z.string(),
  cancelled_at: z.string().nullish(),
});

const ORDER_GID = /^gid:\/\/shopify\/Order\/(\d+)$/;
const MEMBER_TAG = /^omo-member:([0-9a-f]{24})$/i;

/** The purchase's externalId for a Shopify order: its Admin GraphQL id, which refunds can rebuild from `order_id`. */
export function orderExternalId(orderId: string): string {
  return `gid://shopify/Order/${orderId}`;
}

/** The idempotency key of an order's purchase: every delivery of any event about the order names one purchase. */
export function orderIdempotencyKey(orderId: string): string {
  return `shopify:${orderId}`;
}

/**
 * Maps an order body (orders/create, orders/paid and orders/updated send the same order object). Shipping earns no points, so the purchase is the goods only: its total is
 * `subtotal_price` (line items after their discounts, before shipping; tax included when the shop's prices
 * include it). The discount is what separates the line prices from that subtotal, which is `total_discounts`
 * unless part of the discount was on shipping.
 */
export function mapShopifyOrder(payload: unknown): ShopifyOrder {
  const order = readPayload(orderSchema, payload, 'order');
  if (order.currency !== SHOP_CURRENCY) {
    throw new ShopifyPayloadError('unsupported-currency', `Order ${order.name ?? order.id} is in ${order.currency}; only ${SHOP_CURRENCY} is recorded`);
  }
  const orderId = orderIdOf(order);
  const lines = mapLines(order.line_items);
  if (lines.length === 0) throw new ShopifyPayloadError('no-lines', `Order ${order.name ?? orderId} has no line items`);
  const subtotal = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
  if (order.total_line_items_price != null && parseYen(order.total_line_items_price, 'total_line_items_price') !== subtotal) {
    throw new ShopifyPayloadError('inconsistent-amounts', `Order ${order.name ?? orderId}: line items add up to ${subtotal}, not total_line_items_price`);
  }
  const total = parseYen(order.subtotal_price, 'subtotal_price');
  if (total < 0 || total > subtotal) {
    throw new ShopifyPayloadError('inconsistent-amounts', `Order ${order.name ?? orderId}: subtotal_price ${total} is outside 0..${subtotal}`);
  }
  const occurredAt = new Date(order.processed_at ?? order.created_at ?? '');
  if (Number.isNaN(occurredAt.getTime())) throw new ShopifyPayloadError('unexpected-shape', `Order ${order.name ?? orderId} has no processed_at or created_at`);
  return {
    orderId,
    name: order.name ?? null,
    posLocationId: order.source_name === 'pos' ? (order.location_id ?? null) : null,
    idempotencyKey: orderIdempotencyKey(orderId),
    externalId: orderExternalId(orderId),
    lines,
    discount: subtotal - total,
    total,
    occurredAt,
    customer: {
      taggedMemberId: taggedMemberId(order.customer?.tags),
      customerId: order.customer?.id ?? null,
      email: nonEmpty(order.customer?.email) ?? nonEmpty(order.email) ?? nonEmpty(order.contact_email),
      phone: nonEmpty(order.customer?.phone) ?? nonEmpty(order.phone),
    },
    paid: PAID_STATUSES.has(order.financial_status ?? ''),
    financialStatus: order.financial_status ?? null,
    cancelled: nonEmpty(order.cancelled_at) !== null,
    discountCodes: (order.discount_codes ?? [])
      // a shipping code's amount is not in subtotal_price, and no coupon of ours is one
      .filter((d) => d.type !== 'shipping' && d.code.trim() !== '')
      .map((d) => ({ code: d.code.trim(), amount: parseYen(d.amount, `discount code ${d.code} amount`) })),
  };
}

/**
 * Maps an orders/cancelled body. Only the order's identity is read: the cancellation takes back whatever the
 * purchase still has, so its lines and amounts (which Shopify reports as after the cancellation) are not needed.
 */
export function mapShopifyCancellation(payload: unknown): ShopifyCancellation {
  const order = readPayload(cancellationSchema, payload, 'orders/cancelled');
  const orderId = orderIdOf(order);
  if (!nonEmpty(order.cancelled_at)) throw new ShopifyPayloadError('not-cancelled', `Order ${order.name ?? orderId} has no cancelled_at`);
  if (order.currency !== SHOP_CURRENCY) {
    throw new ShopifyPayloadError('unsupported-currency', `Order ${order.name ?? orderId} is in ${order.currency}; only ${SHOP_CURRENCY} is recorded`);
  }
  return { orderId, name: order.name ?? null, externalId: orderExternalId(orderId), idempotencyKey: `shopify-cancel:${orderId}` };
}

/** admin_graphql_api_id is a string, so it carries the id without any float rounding. */
function orderIdOf(order: { id: string; admin_graphql_api_id?: string | null }): string {
  return ORDER_GID.exec(order.admin_graphql_api_id ?? '')?.[1] ?? order.id;
}

type OrderLineItem = z.infer<typeof orderSchema>['line_items'][number];

/**
 * One purchase line per sku, as the purchases service requires. Shopify may list one variant on several lines
 * (line item properties, separate add-to-cart): at one price they become one line; at different prices each keeps
 * its own line under its line item id, which the refund's `line_item_id` names too.
 */
function mapLines(items: OrderLineItem[]): RecordPurchaseInput['lines'] {
  const priced = items
    .filter((item) => item.quantity > 0)
    .map((item) => ({ item, key: lineKey(item), unitPrice: parseYen(item.price, `line item ${item.id} price`) }));
  for (const { item, unitPrice } of priced) {
    if (unitPrice < 0) throw new ShopifyPayloadError('invalid-amount', `line item ${item.id} has a negative price`);
  }
  const lines = new Map<string, RecordPurchaseInput['lines'][number]>();
  for (const { item, key, unitPrice } of priced) {
    const clash = priced.some((other) => other.key === key && other.unitPrice !== unitPrice);
    const sku = clash ? lineItemKey(item.id) : key;
    const existing = lines.get(sku);
    if (existing) {
      existing.quantity += item.quantity;
    } else {
      const name = nonEmpty(item.name) ?? nonEmpty(item.title) ?? sku;
      lines.set(sku, { sku, name: name.slice(0, MAX_LINE_NAME_LENGTH), unitPrice, quantity: item.quantity, category: item.gift_card ? 'gift-card' : null });
    }
  }
  return [...lines.values()];
}

/** Tags are one comma-separated string ("LINE連携, リピーター"). */
function taggedMemberId(tags: string | null | undefined): string | null {
  for (const tag of (tags ?? '').split(',')) {
    const match = MEMBER_TAG.exec(tag.trim());
    if (match?.[1]) return match[1].toLowerCase();
  }
  return null;
}

function nonEmpty(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}
