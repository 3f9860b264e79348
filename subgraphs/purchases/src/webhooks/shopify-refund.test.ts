import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PurchaseLineDoc } from '../models/purchase.model';
import { parseShopifyJson, ShopifyPayloadError } from './shopify-payload';
import { mapShopifyRefund, refundRequest } from './shopify-refund';

const raw = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/shopify/refunds-create.json'));

type Json = Record<string, unknown> & { refund_line_items: Record<string, unknown>[]; transactions: Record<string, unknown>[] };

function refund(change: (body: Json) => void = () => undefined) {
  const body = parseShopifyJson(raw) as Json;
  change(body);
  return mapShopifyRefund(body);
}

/** The fixture order's purchase lines, as mapShopifyOrder records them; the purchase total is 5360. */
const purchaseLines: PurchaseLineDoc[] = [
  { sku: 'TEA-HOJI-020', name: '有機ほうじ茶 ティーバッグ - 20包', unitPrice: 1280, quantity: 2, category: null },
  { sku: 'CUP-SHIGA-AI', name: '信楽焼 湯呑み - 藍', unitPrice: 3300, quantity: 1, category: null },
];

describe('mapping a Shopify refunds/create body', () => {
  it('maps the fixture refund: the cup, 3018 yen back, for the order recorded as gid://shopify/Order/5918273645012', () => {
    expect(refund()).toEqual({
      refundId: '1012345678901',
      idempotencyKey: 'shopify-refund:1012345678901',
      orderId: '5918273645012',
      orderExternalId: 'gid://shopify/Order/5918273645012',
      lines: [{ skus: ['line-item:14567823901267', 'CUP-SHIGA-AI'], quantity: 1, subtotal: 3018 }],
      goodsAmount: 3018,
    });
  });

  it('keeps an 18-digit order id exact', () => {
    const big = mapShopifyRefund(parseShopifyJson(Buffer.from(raw.toString('utf8').replace('"order_id": 5918273645012', '"order_id": 820982911946154508'))));
    expect(big.orderExternalId).toBe('gid://shopify/Order/820982911946154508');
  });

  it('counts only successful refund transactions, and takes shipping paid back out', () => {
    const mapped = refund((r) => {
      r.transactions.push({ ...r.transactions[0], kind: 'refund', status: 'failure', amount: '9999' });
      r.transactions.push({ ...r.transactions[0], kind: 'sale', amount: '9999' });
      r.transactions[0]!.amount = '3678.00';
      r.refund_shipping_lines = [{ subtotal_amount_set: { shop_money: { amount: '660', currency_code: 'JPY' } } }];
    });
    expect(mapped.goodsAmount).toBe(3018);
    const older = refund((r) => {
      r.transactions[0]!.amount = '3678';
      r.order_adjustments = [{ kind: 'shipping_refund', amount: '-600', tax_amount: '-60' }];
    });
    expect(older.goodsAmount).toBe(3018);
  });

  it('refuses a refund paid back in another currency', () => {
    expect(() => refund((r) => (r.transactions[0]!.currency = 'USD'))).toThrow(ShopifyPayloadError);
  });
});

describe('choosing how to refund the purchase', () => {
  it('refunds the returned units when every refunded line is on the purchase', () => {
    expect(refundRequest(refund(), purchaseLines, 5360)).toEqual({ kind: 'lines', lines: [{ sku: 'CUP-SHIGA-AI', quantity: 1 }] });
  });

  it('finds a line recorded under its line item id', () => {
    const lines = purchaseLines.map((l) => (l.sku === 'CUP-SHIGA-AI' ? { ...l, sku: 'line-item:14567823901267' } : l));
    expect(refundRequest(refund(), lines, 5360)).toEqual({ kind: 'lines', lines: [{ sku: 'line-item:14567823901267', quantity: 1 }] });
  });

  it('refunds the lines’ Shopify value when a line is not on the purchase', () => {
    const other = purchaseLines.filter((l) => l.sku !== 'CUP-SHIGA-AI');
    expect(refundRequest(refund(), other, 5360)).toEqual({ kind: 'amount', amount: 3018 });
  });

  it('refunds the money paid back for a refund without lines, never more than is left', () => {
    const noLines = refund((r) => (r.refund_line_items = []));
    expect(refundRequest(noLines, purchaseLines, 5360)).toEqual({ kind: 'amount', amount: 3018 });
    expect(refundRequest(noLines, purchaseLines, 1000)).toEqual({ kind: 'amount', amount: 1000 });
    expect(refundRequest(noLines, purchaseLines, 0)).toEqual({ kind: 'nothing' });
  });

  it('does nothing for a shipping-only refund', () => {
    const shippingOnly = refund((r) => {
      r.refund_line_items = [];
      r.transactions[0]!.amount = '660';
      r.refund_shipping_lines = [{ subtotal_amount_set: { shop_money: { amount: '660', currency_code: 'JPY' } } }];
    });
    expect(refundRequest(shippingOnly, purchaseLines, 5360)).toEqual({ kind: 'nothing' });
  });
});
