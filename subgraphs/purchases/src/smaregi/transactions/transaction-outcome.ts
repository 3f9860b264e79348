import { RetryLater } from '@omo/lib/outbox/outbox';
import type { SmaregiEventOutcome } from '../webhook/event-log.model';

/** What carrying out one Smaregi transaction came to, for its event log entry. */
export interface TransactionOutcome {
  outcome: Exclude<SmaregiEventOutcome, 'RECEIVED' | 'CUSTOMERS_APPLIED'>;
  reason: string | null;
  purchaseId: string | null;
  pointsOverdrawn?: number;
}

export const outcomeOf = (outcome: TransactionOutcome['outcome'], reason: string | null, purchaseId: string | null = null): TransactionOutcome => ({ outcome, reason, purchaseId });

/**
 * The transaction's purchase is stored and its points are still being settled: the purchase's own settlement decides
 * what it comes to (it ends COMPLETED or, after its own 24 hours, SETTLEMENT_FAILED for staff), so the event entry waits
 * on it with the purchase shown, and is never given up FAILED (staff would record the sale again by hand).
 */
export class StillSettling extends RetryLater {
  constructor(readonly purchaseId: string) {
    super('settling: its points are still being settled');
  }
}
