import { z } from 'zod';

/**
 * A signed Shopify body we will not turn into a purchase or refund. Retrying cannot change a signed body, so the
 * route acknowledges it (200) and logs `reason` instead of making Shopify retry it for hours.
 */
export class ShopifyPayloadError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShopifyPayloadError';
  }
}

/** 2^53 has 16 digits: every integer literal that long may already have lost digits as a JS number. */
const UNSAFE_INTEGER = /^-?\d{16,}$/;

/**
 * JSON.parse, except that integer literals of 16 digits or more become strings. Shopify ids are integers and its
 * documented ones (820982911946154508) do not fit a double; Node 20's JSON.parse has no access to a number's
 * source text. The scan skips string contents (with their escapes), so a note or a tag is never touched.
 */
export function parseShopifyJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) {
      const start = i;
      while (i < text.length && /[-+0-9.eE]/.test(text[i] ?? '')) i += 1;
      const token = text.slice(start, i);
      if (UNSAFE_INTEGER.test(token)) {
        out += `${text.slice(copied, start)}"${token}"`;
        copied = i;
      }
    } else {
      i += 1;
    }
  }
  try {
    return JSON.parse(out + text.slice(copied)) as unknown;
  } catch {
    throw new ShopifyPayloadError('invalid-json', 'The body is not JSON');
  }
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Whole yen from a Shopify money value: a decimal string ("6020", "6020.00", "-500") or a JSON number (3018.0).
 * JPY has no minor unit, so a non-zero fraction means the value is not yen and is refused rather than rounded.
 */
export function parseYen(value: string | number, field: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    throw new ShopifyPayloadError('invalid-amount', `${field} is not a whole number of yen: ${value}`);
  }
  const match = DECIMAL.exec(value.trim());
  const [, sign, whole, fraction] = match ?? [];
  if (whole === undefined || /[1-9]/.test(fraction ?? '')) {
    throw new ShopifyPayloadError('invalid-amount', `${field} is not a whole number of yen: ${JSON.stringify(value)}`);
  }
  const yen = Number(`${sign ?? ''}${whole}`);
  if (!Number.isSafeInteger(yen)) throw new ShopifyPayloadError('invalid-amount', `${field} is too large: ${value}`);
  // "-0" parses to -0, which Object.is (and so jest) tells apart from 0
  return yen === 0 ? 0 : yen;
}

/** A Shopify id as decimal digits, whether it arrived as a number (small ids) or as a string (see parseShopifyJson). */
export const shopifyId = z
  .union([z.string().regex(/^\d{1,30}$/), z.number().int().nonnegative().refine(Number.isSafeInteger)])
  .transform((id) => String(id));

export const money = z.union([z.string(), z.number()]);

export const moneySet = z.object({ shop_money: z.object({ amount: money, currency_code: z.string().nullish() }).nullish() }).nullish();

/** Reads a value shaped by `schema`; anything else is a payload we cannot use. */
export function readPayload<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ShopifyPayloadError('unexpected-shape', `${what}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`);
}

/** The order line fields that name a line; refunds embed the same fields in `refund_line_items[].line_item`. */
export const lineItemIdentity = z.object({
  id: shopifyId,
  sku: z.string().nullish(),
  variant_id: shopifyId.nullish(),
});

/** The longest sku the purchases service keeps; a longer Shopify sku falls back to the variant id. */
const MAX_SKU_LENGTH = 64;

/**
 * The sku a line is recorded under: Shopify's sku when the merchant set one, else the variant id (custom and
 * deleted-variant lines have neither, so the line item id). Orders and refunds both name lines this way, which is
 * how a refund finds the purchase line it returns.
 */
export function lineKey(item: z.infer<typeof lineItemIdentity>): string {
  const sku = item.sku?.trim();
  if (sku && sku.length <= MAX_SKU_LENGTH) return sku;
  return item.variant_id ? `variant:${item.variant_id}` : lineItemKey(item.id);
}

/** The sku of a line that cannot share its sku with another line of the order (same sku, different price). */
export function lineItemKey(lineItemId: string): string {
  return `line-item:${lineItemId}`;
}
