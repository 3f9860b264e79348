import { createHmac, timingSafeEqual } from 'node:crypto';

/** Base64 HMAC-SHA256 of the body bytes keyed with the shop's webhook secret: what Shopify puts in X-Shopify-Hmac-Sha256. */
export function shopifyHmac(rawBody: Buffer, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/**
 * Whether `header` is Shopify's signature of exactly these bytes. The base64 strings are compared, not decoded
 * bytes, because Node's base64 decoder skips characters it does not know, so a mangled header could decode to
 * the right digest. timingSafeEqual throws on unequal lengths, hence the length check first.
 */
export function verifyShopifyHmac(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !secret) return false;
  const expected = Buffer.from(shopifyHmac(rawBody, secret), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
