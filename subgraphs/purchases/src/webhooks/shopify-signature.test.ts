import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shopifyHmac, verifyShopifyHmac } from './shopify-signature';

const body = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/shopify/orders-create.json'));
const secret = 'shpss_test_secret';

describe('Shopify webhook signature', () => {
  it('accepts the base64 HMAC-SHA256 of the exact body bytes', () => {
    expect(verifyShopifyHmac(body, shopifyHmac(body, secret), secret)).toBe(true);
  });

  it('refuses a signature made with another secret', () => {
    expect(verifyShopifyHmac(body, shopifyHmac(body, 'another-secret'), secret)).toBe(false);
  });

  it('refuses the signature once a single byte of the body changes', () => {
    const tampered = Buffer.from(body.toString('utf8').replace('"6020"', '"6021"'), 'utf8');
    expect(verifyShopifyHmac(tampered, shopifyHmac(body, secret), secret)).toBe(false);
  });

  it('refuses the signature of the re-serialized JSON, which is not the bytes sent', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))), 'utf8');
    expect(verifyShopifyHmac(body, shopifyHmac(reserialized, secret), secret)).toBe(false);
  });

  it('refuses a missing, empty, truncated or garbled header without throwing', () => {
    const good = shopifyHmac(body, secret);
    for (const header of [undefined, '', good.slice(0, -2), `${good}==`, `${good.slice(0, -1)}*`, 'not base64 at all']) {
      expect(verifyShopifyHmac(body, header, secret)).toBe(false);
    }
  });

  it('refuses everything when the shop has no secret', () => {
    expect(verifyShopifyHmac(body, shopifyHmac(body, ''), '')).toBe(false);
  });
});
