import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mapShopifyCustomer } from './shopify-customer';
import { mapShopifyOrder } from './shopify-order';
import { parseShopifyJson, ShopifyPayloadError } from './shopify-payload';

const raw = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/shopify/customers-create.json'));
const posRaw = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/shopify/orders-create-pos.json'));
const STORE = '665f00000000000000000001';

function customer(change: (body: Record<string, unknown>) => void = () => undefined): unknown {
  const body = parseShopifyJson(raw) as Record<string, unknown>;
  change(body);
  return body;
}

describe('mapping a Shopify customers/create or customers/update body', () => {
  it('maps the fixture customer with its consent states', () => {
    expect(mapShopifyCustomer(customer(), STORE)).toEqual({
      storeId: STORE,
      customerId: '7623451099001',
      email: 'kenta.sato@example.com',
      phone: '+819000005678',
      firstName: '健太',
      lastName: '佐藤',
      state: 'enabled',
      emailMarketing: 'subscribed',
      smsMarketing: 'not_subscribed',
      updatedAt: '2025-06-20T10:15:42+09:00',
    });
  });

  it('reads a body of API version 2025-01 on, without consent objects, and an id beyond 2^53 without rounding', () => {
    const body = Buffer.from(raw.toString('utf8').replace('"id": 7623451099001', '"id": 820982911946154508'), 'utf8');
    const mapped = mapShopifyCustomer(
      (() => {
        const parsed = parseShopifyJson(body) as Record<string, unknown>;
        delete parsed.email_marketing_consent;
        delete parsed.sms_marketing_consent;
        parsed.phone = null;
        parsed.email = '  ';
        return parsed;
      })(),
      STORE,
    );
    expect(mapped).toMatchObject({ customerId: '820982911946154508', email: null, phone: null, emailMarketing: null, smsMarketing: null });
  });

  it('refuses a body without a customer id', () => {
    expect(() => mapShopifyCustomer(customer((body) => delete body.id), STORE)).toThrow(ShopifyPayloadError);
  });
});

describe('reading where a Shopify POS order was rung up', () => {
  it('keeps the location of a POS order only', () => {
    expect(mapShopifyOrder(parseShopifyJson(posRaw)).posLocationId).toBe('81234567890');
    const online = parseShopifyJson(posRaw) as Record<string, unknown>;
    online.source_name = 'web';
    expect(mapShopifyOrder(online).posLocationId).toBeNull();
  });
});
