import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers of every delivery (docs/events.md). */
export const PARTNER_HEADERS = {
  eventId: 'x-omo-event-id',
  topic: 'x-omo-topic',
  timestamp: 'x-omo-timestamp',
  signature: 'x-omo-signature',
} as const;

/** How old a delivery's timestamp may be before a receiver should treat it as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function digest(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * The X-Omo-Signature header of a body sent at `timestamp` (unix seconds): `t=<timestamp>,v1=<hex>` with one v1 per
 * secret, HMAC-SHA256 of "<timestamp>.<raw body>". Two secrets while a rotated one is still honoured.
 */
export function signPartnerPayload(secrets: readonly string[], timestamp: number, rawBody: string | Buffer): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${digest(secret, timestamp, rawBody)}`)].join(',');
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: 'malformed' | 'too-old' | 'mismatch' };

/**
 * What a receiver runs on each delivery, on the body's raw bytes as received (before any JSON parsing): the header
 * must carry a timestamp no further than `toleranceSeconds` from now (either way) and a v1 signature that is the
 * HMAC-SHA256 of "<timestamp>.<raw body>" with the subscription's secret. Compared in constant time.
 */
export function verifyPartnerSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  now: Date = new Date(),
): SignatureCheck {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([key, value]) => key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)).map(([, value]) => value!);
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0]!) || signatures.length === 0) return { valid: false, reason: 'malformed' };
  const timestamp = Number(timestamps[0]);
  if (Math.abs(Math.floor(now.getTime() / 1000) - timestamp) > toleranceSeconds) return { valid: false, reason: 'too-old' };
  const expected = Buffer.from(digest(secret, timestamp, rawBody), 'hex');
  const matches = signatures.some((given) => timingSafeEqual(expected, Buffer.from(given, 'hex')));
  return matches ? { valid: true, timestamp } : { valid: false, reason: 'mismatch' };
}
