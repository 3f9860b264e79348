import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mapShopifyCancellation, mapShopifyOrder } from './shopify-order';
import { parseShopifyJson, ShopifyPayloadError } from './shopify-payload';

const raw = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/shopify/orders-create.json'));
const cancelledRaw = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/shopify/orders-cancelled.json'));

type Json = Record<string, unknown> & { line_items: Record<string, unknown>[]; customer: Record<string, unknown> | null };

/** The fixture order, parsed, with changes applied. */
function order(change: (body: Json) => void = () => undefined): unknown {
  const body = parseShopifyJson(raw) as Json;
  change(body);
  return body;
}

function refusal(map: () => unknown): string | undefined {
  try {
    map();
  } catch (error) {
    if (error instanceof ShopifyPayloadError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('mapping a Shopify orders/create body to a purchase', () => {
  it('maps the fixture order: goods after discount, without shipping, dated when it was processed', () => {
    expect(mapShopifyOrder(order())).toEqual({
      orderId: '5918273645012',
      name: '#1042',
      idempotencyKey: 'shopify:5918273645012',
      externalId: 'gid://shopify/Order/5918273645012',
      lines: [
        { sku: 'TEA-HOJI-020', name: '有機ほうじ茶 ティーバッグ - 20包', unitPrice: 1280, quantity: 2, category: null },
        { sku: 'CUP-SHIGA-AI', name: '信楽焼 湯呑み - 藍', unitPrice: 3300, quantity: 1, category: null },
      ],
      discount: 500,
      total: 5360,
      occurredAt: new Date('2025-06-15T05:02:37Z'),
      customer: { taggedMemberId: null, customerId: '7623451098234', email: 'hanako.yamada@example.com', phone: '+819000001234' },
      paid: true,
      financialStatus: 'paid',
      cancelled: false,
      posLocationId: null,
      discountCodes: [{ code: 'WELCOME500', amount: 500 }],
    });
  });

  it.each([
    ['paid', true],
    ['partially_refunded', true],
    ['refunded', true],
    ['pending', false],
    ['authorized', false],
    ['partially_paid', false],
    ['voided', false],
    [null, false],
  ])('reads financial_status %p as paid: %p', (status, paid) => {
    expect(mapShopifyOrder(order((o) => (o.financial_status = status))).paid).toBe(paid);
  });

  it('keeps the discount codes on the goods with the yen each took off, not a shipping code', () => {
    const mapped = mapShopifyOrder(
      order((body) => {
        body.discount_codes = [
          { code: ' K7PQ2M9XW4RT8HNB ', amount: '500.00', type: 'fixed_amount' },
          { code: 'FREESHIP', amount: '660', type: 'shipping' },
        ];
      }),
    );
    expect(mapped.discountCodes).toEqual([{ code: 'K7PQ2M9XW4RT8HNB', amount: 500 }]);
    expect(mapShopifyOrder(order((body) => delete body.discount_codes)).discountCodes).toEqual([]);
  });

  it('sees a cancelled order in cancelled_at', () => {
    expect(mapShopifyOrder(parseShopifyJson(cancelledRaw))).toMatchObject({ orderId: '5918273645012', cancelled: true, financialStatus: 'refunded' });
  });

  it('keeps an 18-digit order id exact, preferring admin_graphql_api_id', () => {
    const big = parseShopifyJson(Buffer.from(raw.toString('utf8').replace('"id": 5918273645012', '"id": 820982911946154508'))) as Json;
    big.admin_graphql_api_id = null;
    expect(mapShopifyOrder(big)).toMatchObject({ orderId: '820982911946154508', externalId: 'gid://shopify/Order/820982911946154508' });
    expect(mapShopifyOrder(order((o) => (o.id = 1)))).toMatchObject({ orderId: '5918273645012' });
  });

  it('reads amounts written with decimals, as other shops write them', () => {
    const mapped = mapShopifyOrder(
      order((o) => {
        o.subtotal_price = '5360.00';
        o.total_line_items_price = '5860.00';
        o.line_items.forEach((item) => (item.price = `${String(item.price)}.00`));
      }),
    );
    expect(mapped).toMatchObject({ total: 5360, discount: 500 });
    expect(mapped.lines.map((l) => l.unitPrice)).toEqual([1280, 3300]);
  });

  it('finds the member id in the customer tags', () => {
    const tagged = order((o) => (o.customer!.tags = 'LINE連携, omo-member:65F0A1B2C3D4E5F60718293A ,リピーター'));
    expect(mapShopifyOrder(tagged).customer.taggedMemberId).toBe('65f0a1b2c3d4e5f60718293a');
  });

  it('works without customer tags (API 2025-01 and later) and without a customer (guest checkout)', () => {
    expect(mapShopifyOrder(order((o) => delete o.customer!.tags)).customer).toEqual({ taggedMemberId: null, customerId: '7623451098234', email: 'hanako.yamada@example.com', phone: '+819000001234' });
    expect(mapShopifyOrder(order((o) => (o.customer = null))).customer).toEqual({ taggedMemberId: null, customerId: null, email: 'hanako.yamada@example.com', phone: null });
  });

  it('falls back to the variant id, then the line item id, for lines without a sku', () => {
    const mapped = mapShopifyOrder(
      order((o) => {
        o.line_items[0]!.sku = '';
        o.line_items[1]!.sku = null;
        o.line_items[1]!.variant_id = null;
      }),
    );
    expect(mapped.lines.map((l) => l.sku)).toEqual(['variant:47123456780011', 'line-item:14567823901267']);
  });

  it('merges lines of one sku at one price, and keeps lines of one sku at different prices apart', () => {
    const tea = (order() as Json).line_items[0]!;
    const samePrice = order((o) => {
      o.line_items.push({ ...tea, id: 14567823909999, quantity: 1 });
      o.total_line_items_price = '7140';
      o.subtotal_price = '6640';
    });
    expect(mapShopifyOrder(samePrice).lines).toEqual([
      expect.objectContaining({ sku: 'TEA-HOJI-020', quantity: 3 }),
      expect.objectContaining({ sku: 'CUP-SHIGA-AI', quantity: 1 }),
    ]);
    const otherPrice = order((o) => {
      o.line_items.push({ ...tea, id: 14567823909999, quantity: 1, price: '0' });
    });
    expect(mapShopifyOrder(otherPrice).lines.map((l) => [l.sku, l.quantity])).toEqual([
      ['line-item:14567823901234', 2],
      ['CUP-SHIGA-AI', 1],
      ['line-item:14567823909999', 1],
    ]);
  });

  it.each<[string, (o: Json) => void, string]>([
    ['a shop currency other than yen', (o) => (o.currency = 'USD'), 'unsupported-currency'],
    ['a fraction of a yen', (o) => (o.subtotal_price = '5360.50'), 'invalid-amount'],
    ['line items that do not add up', (o) => (o.total_line_items_price = '5861'), 'inconsistent-amounts'],
    ['a subtotal above the line items', (o) => (o.subtotal_price = '6000'), 'inconsistent-amounts'],
    ['no line items', (o) => ((o.line_items = []), (o.total_line_items_price = '0'), (o.subtotal_price = '0')), 'no-lines'],
    ['no line items array', (o) => Reflect.deleteProperty(o, 'line_items'), 'unexpected-shape'],
  ])('refuses %s', (_what, change, reason) => {
    expect(refusal(() => mapShopifyOrder(order(change)))).toBe(reason);
  });
});

describe('mapping a Shopify orders/cancelled body', () => {
  const cancellation = (change: (body: Json) => void = () => undefined) => {
    const body = parseShopifyJson(cancelledRaw) as Json;
    change(body);
    return mapShopifyCancellation(body);
  };

  it('names the order’s purchase and one refund key per order', () => {
    expect(cancellation()).toEqual({ orderId: '5918273645012', name: '#1042', externalId: 'gid://shopify/Order/5918273645012', idempotencyKey: 'shopify-cancel:5918273645012' });
  });

  it.each<[string, (o: Json) => void, string]>([
    ['a body without cancelled_at', (o) => (o.cancelled_at = null), 'not-cancelled'],
    ['a shop currency other than yen', (o) => (o.currency = 'USD'), 'unsupported-currency'],
  ])('refuses %s', (_what, change, reason) => {
    expect(refusal(() => cancellation(change))).toBe(reason);
  });
});
