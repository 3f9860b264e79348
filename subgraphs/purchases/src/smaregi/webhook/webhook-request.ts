import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Smaregi signs nothing (no HMAC is documented): a webhook is trusted by the static secret header the app's webhook
 * settings send, compared in constant time (both hashed first, so neither length nor content leaks), and by its
 * contract being one that installed the app. The body is only ids: everything is read back from the API.
 */
export function secretMatches(sent: string | undefined, expected: string | undefined): boolean {
  if (!sent || !expected) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(expected));
}

const id = z.string().regex(/^\d{1,20}$/, 'must be a Smaregi id (digits)');

/** The headers Smaregi sends with every webhook (developers.smaregi.dev, webhooks; a captured sandbox delivery). */
export const webhookHeadersSchema = z.object({
  'smaregi-contract-id': z.string().min(1).max(40),
  'smaregi-event-id': z.string({ error: 'is required' }).trim().min(1, 'is required').max(100),
  'smaregi-event': z.string().max(100).optional(),
});

/** `{"contractId":"sb_...","event":"pos:transactions","action":"created","transactionHeadIds":["25"]}`; other ids of other events are kept as they come. */
export const webhookBodySchema = z.looseObject({
  contractId: z.string().min(1).max(40),
  event: z.string().min(1).max(100),
  action: z.string().max(100).nullish(),
  // a bulk operation names many: bounded by the 1 MB body, not refused at some count
  transactionHeadIds: z.array(id).nullish(),
  customerIds: z.array(id).nullish(),
});

/** What the event's outbox item carries: the event as received, enough to carry it out and log it. */
export interface SmaregiEventPayload {
  [field: string]: unknown;
  contractId: string;
  eventId: string;
  event: string;
  action: string | null;
  transactionHeadIds: string[];
  customerIds: string[];
  receivedAt: string;
}

export const TRANSACTIONS_EVENT = 'pos:transactions';
export const CUSTOMERS_EVENT = 'pos:customers';

/** The event's outbox item, keyed by contract and Smaregi's event id: the insert that records it is its dedupe. */
export const eventItemKey = (contractId: string, eventId: string): string => `smaregi-event:${contractId}:${eventId}`;
