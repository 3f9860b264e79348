import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { BadUserInputError } from '@omo/lib/core/errors';

/**
 * Idempotency of recordPurchase and refundPurchase: the record's id is derived from the caller's key, so every
 * retry of one request names the same purchase or refund, the insert of that id is the exclusive claim, and the
 * outbox item keyed by it exists once. A digest of the request is kept with it, so a key reused for another
 * request is refused rather than answered with the first one's record.
 */
export function idFromKey(key: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(key).digest('hex').slice(0, 24));
}

export function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

/** A register's keys are its own: the same key at two stores names two purchases. */
export const purchaseIdFor = (storeId: string, idempotencyKey: string): Types.ObjectId => idFromKey(`purchase:${storeId}:${idempotencyKey}`);

export const refundIdFor = (purchaseId: string, idempotencyKey: string): Types.ObjectId => idFromKey(`refund:${purchaseId}:${idempotencyKey}`);

/** A stored record found under a request's key answers that request only if it was made by the same request. */
export function assertSameRequest(stored: { requestDigest: string }, requestDigest: string, what: 'purchase' | 'refund'): void {
  if (stored.requestDigest !== requestDigest) throw new BadUserInputError(`This idempotencyKey was already used for a different ${what}`, { field: 'idempotencyKey' });
}
