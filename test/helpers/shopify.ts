import { createHmac } from 'node:crypto';

/** The shop and webhook secret the Shopify fixtures are signed for (test/fixtures/README.md). */
export const SHOP = 'example-omo-shop.myshopify.com';
export const SECRET = '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';

/** The headers Shopify sends with a delivery (X-Shopify-Topic, -Webhook-Id, -Event-Id, -Triggered-At). */
export interface DeliveryHeaders {
  topic: string;
  webhookId: string;
  eventId: string;
  triggeredAt: string;
}

/** X-Shopify-Hmac-Sha256: the body's HMAC-SHA256 with the app's secret, base64. */
export function sign(body: Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** A variant of a fixture (another order or customer): the bytes sent are the edited text, and those are what is signed. */
export function edited(fixture: Buffer, replacements: [string, string][]): Buffer {
  let text = fixture.toString('utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`The fixture has no ${JSON.stringify(from)}`);
    text = text.replaceAll(from, to);
  }
  return Buffer.from(text, 'utf8');
}

/** Another delivery like `base`: Shopify gives each delivery (a retry too) its own webhook id, each event its own id. */
export function newDelivery<T extends Pick<DeliveryHeaders, 'webhookId' | 'eventId'>>(base: T, n: number): T {
  const suffix = String(n).padStart(12, '0');
  return { ...base, webhookId: `${base.webhookId.slice(0, 24)}${suffix}`, eventId: `${base.eventId.slice(0, 24)}${suffix}` };
}

/** POSTs a delivery to the purchases service's webhook endpoint as Shopify does; `signature: null` sends none. */
export async function deliver(
  purchasesUrl: string,
  body: Buffer,
  delivery: DeliveryHeaders,
  options: { shop?: string; signature?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': delivery.topic,
    'X-Shopify-Shop-Domain': options.shop ?? SHOP,
    'X-Shopify-API-Version': '2024-10',
    'X-Shopify-Webhook-Id': delivery.webhookId,
    'X-Shopify-Event-Id': delivery.eventId,
    'X-Shopify-Triggered-At': delivery.triggeredAt,
  };
  const signature = options.signature === undefined ? sign(body) : options.signature;
  if (signature !== null) headers['X-Shopify-Hmac-Sha256'] = signature;
  const response = await fetch(`${purchasesUrl}/webhooks/shopify`, { method: 'POST', headers, body: new Uint8Array(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
