import { createHash } from 'node:crypto';
import { Types } from 'mongoose';

/**
 * An id derived from a caller's idempotency key: every retry of one request names the same purchase or refund,
 * so the insert of that id is the exclusive claim, and the outbox item keyed by it exists once.
 */
export function idFromKey(key: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(key).digest('hex').slice(0, 24));
}

export function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}
